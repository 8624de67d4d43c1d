"""Can Streamlit's ``bind="query-params"`` keep our links? Run after each Streamlit upgrade.

Issue #26 asked to let Streamlit keep the page settings in the address bar. Our links spell a
choice by its code (``dataset_name=fashion_mnist``, ``train_loop=custom``) and a switch as
``1``/``0`` (``model_show_code=1``); instructors have shared such links for a year, and the README
and docs/instructors.md print them. This probe starts a tiny app whose widgets are bound the
way our pages would bind them, opens it with our spelling and with Streamlit's, and prints
which value each widget took and what Streamlit writes to the URL when the learner changes it.

    python tools/query_binding_probe.py

With Streamlit 1.67 it prints that a labelled select box reads and writes its *label*
(``ds=Fashion-MNIST``) and a checkbox ``true``/``false``, and that our spelling is dropped
without a word: binding would break every shared link, so ``ui/url_state.py`` keeps the link.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.running_app import CHROMIUM_ARGS, chromium_path, free_port, start_app  # noqa: E402

PROBE_APP = """
import json
import streamlit as st
st.selectbox("Dataset", ["mnist", "fashion_mnist"], key="ds", bind="query-params",
             format_func={"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}.get)
st.checkbox("Show code", False, key="flag", bind="query-params")
st.slider("Size", 3, 64, 28, key="size", bind="query-params")
st.code(json.dumps({k: st.session_state[k] for k in ("ds", "flag", "size")}))
"""
# (what our links write, what Streamlit writes) for the same values: fashion_mnist, True, 14.
SPELLINGS = {"ours": "ds=fashion_mnist&flag=1&size=14", "streamlit's": "ds=Fashion-MNIST&flag=true&size=14"}
WANTED = {"ds": "fashion_mnist", "flag": True, "size": 14}
SETTLE_S = 3  # a rerun and the URL update, on a busy machine


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "probe_app.py").write_text(PROBE_APP)
        port = free_port()
        app = start_app(port, root=Path(folder), script="probe_app.py")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                page = browser.new_page()
                for who, query in SPELLINGS.items():
                    page.goto(f"http://127.0.0.1:{port}/?{query}")
                    time.sleep(SETTLE_S)
                    took = json.loads(page.locator("[data-testid=stCode]").inner_text())
                    kept = [k for k, v in WANTED.items() if took[k] == v] or ["nothing"]
                    print(f"{who:12} link ?{query}: the widgets took {took}; the link set: {', '.join(kept)}")
                page.goto(f"http://127.0.0.1:{port}/")
                time.sleep(SETTLE_S)
                page.locator("[data-testid=stSelectbox]").click()
                page.get_by_text("Fashion-MNIST").last.click()
                page.get_by_text("Show code").click()
                time.sleep(SETTLE_S)
                query = page.url.split("?", 1)[-1]
                print(f"after the learner picks Fashion-MNIST and ticks Show code: ?{query}")
                browser.close()
        finally:
            app.terminate()
            app.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
