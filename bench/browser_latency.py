"""How long a slider takes to answer in Chromium: keypress to the page's rerun done, against a floor.

For each target, Chromium focuses a slider and presses an arrow key; a MutationObserver on the
``stApp`` element's ``data-test-script-state`` attribute, installed in the page, times from the
keydown to the attribute going ``running`` -> ``notRunning`` for that rerun (the ``running``
must come after the keydown, so a stale state never ends a measurement). Targets:

- floor: a one-slider Streamlit app (written to a temp file, its own server), the least any
  Streamlit page can cost here;
- the Convolution and Pooling pages, served by one ``streamlit run streamlit_app.py``
  (CNN_EXPLORER_OFFLINE=1, the repository's .streamlit/config.toml, as the app ships).

Presses alternate right/left so values stay in range, and are interleaved between targets in one
run, so the machine's noise hits all of them alike. Also reported: "paint", from the keydown to
the second animation frame after ``notRunning`` (the browser has laid out and painted the
result); "quick", presses whose rerun was over before React rendered it as running (timed by the
page's last change instead); "missed", presses with no rerun seen. Prints medians, p90 and each
page's ratio to the floor; the last line is one JSON object.
Run from the repository root:

    python bench/browser_latency.py             # 40 presses per target
    python bench/browser_latency.py --presses 100
    # before/after in one run: also serve the app from another checkout (its pages get "@before")
    git worktree add /tmp/before <commit> && python bench/browser_latency.py --before /tmp/before
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
STARTUP_S = 90
PRESS_TIMEOUT_MS = 5_000
QUICK_WAIT_MS = 1_500  # no state change by then, yet the value and the page changed: a quick rerun

FLOOR_APP = '''import streamlit as st

value = st.slider("Value", 0, 100, 50)
st.write("The value is", value)
'''

# target -> (url path on its server, slider label)
PAGE_TARGETS = {
    "convolution": ("convolution", "Kernel size K"),
    "pooling": ("pooling", "Pool size F"),
}

# Installed in every page: arms on keydown; ends when the state, having left notRunning after it
# (rerunRequested or running: React may render only one of them), is back to notRunning. A rerun
# quicker than a frame may never show as running (React batches both states into one render):
# then the time of the page's last change (its new output) stands in, and is counted as "quick".
OBSERVER_JS = """
() => {
  if (window.__latency) return;
  const app = document.querySelector('[data-testid="stApp"]');
  const state = {t0: null, sawRunning: false, done: null, paint: null, seen: [], lastChange: null};
  window.__latency = state;
  document.addEventListener('keydown', () => {
    state.t0 = performance.now(); state.sawRunning = false; state.done = null; state.paint = null;
    state.seen = []; state.lastChange = null;
  }, true);
  // For a rerun so quick that React never renders it as running: when the page last changed.
  new MutationObserver(() => {
    if (state.t0 !== null && state.done === null) state.lastChange = performance.now() - state.t0;
  }).observe(document.querySelector('[data-testid="stMain"]'), {subtree: true, childList: true, characterData: true});
  new MutationObserver(() => {
    if (state.t0 === null || state.done !== null) return;
    const s = app.getAttribute('data-test-script-state');
    state.seen.push(s);
    if (s !== 'notRunning') state.sawRunning = true;  // rerunRequested or running
    else if (state.sawRunning) {
      state.done = performance.now() - state.t0;
      const t0 = state.t0;
      requestAnimationFrame(() => requestAnimationFrame(() => { state.paint = performance.now() - t0; }));
    }
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(script: str, log: Path, root: Path = ROOT) -> Iterator[str]:
    """``streamlit run script`` from ``root`` (so with its .streamlit/config.toml); yields the URL."""
    port = free_port()
    env = {**os.environ, "CNN_EXPLORER_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + STARTUP_S
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"streamlit did not start; see {log}") from None
                    time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def wait_idle(page) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def open_target(browser, url: str, label: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    slider = page.get_by_role("slider", name=label)
    slider.wait_for()
    wait_idle(page)
    page.evaluate(OBSERVER_JS)
    return page, slider


def press(page, slider, key: str) -> tuple[float, float, bool] | None:
    """One keypress; (ms to notRunning, ms to painted, quick), or None if no rerun was seen."""
    slider.focus()
    before = slider.get_attribute("aria-valuetext")
    page.keyboard.press(key)
    try:
        page.wait_for_function("() => window.__latency.paint !== null", timeout=QUICK_WAIT_MS)
    except Exception:  # noqa: BLE001 - no state change yet: a quick rerun, a slow one, or none
        quick = page.evaluate("() => window.__latency.seen.length === 0 && window.__latency.lastChange")
        if quick and slider.get_attribute("aria-valuetext") != before:
            wait_idle(page)
            return float(quick), float(quick), True
    try:
        page.wait_for_function("() => window.__latency.paint !== null", timeout=PRESS_TIMEOUT_MS)
    except Exception:  # noqa: BLE001 - a missed rerun is counted, not fatal
        print(f"  no rerun seen within {PRESS_TIMEOUT_MS} ms; states:",
              page.evaluate("() => window.__latency.seen"), "value", before, "->",
              slider.get_attribute("aria-valuetext"), page.url, file=sys.stderr)
        wait_idle(page)
        return None
    result = page.evaluate("() => [window.__latency.done, window.__latency.paint]")
    wait_idle(page)
    return float(result[0]), float(result[1]), False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=40, help="arrow presses per target")
    parser.add_argument("--warmup", type=int, default=4, help="presses per target not counted")
    parser.add_argument("--before", type=Path, help="another checkout of the app, measured alongside")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    logs = Path(tempfile.mkdtemp(prefix="browser_latency_"))
    floor_script = logs / "floor_app.py"
    floor_script.write_text(FLOOR_APP)
    with contextlib.ExitStack() as stack:
        floor_url = stack.enter_context(server(str(floor_script), logs / "floor.log"))
        app_urls = {"": stack.enter_context(server("streamlit_app.py", logs / "app.log"))}
        if args.before:
            app_urls["@before"] = stack.enter_context(
                server("streamlit_app.py", logs / "before.log", root=args.before.resolve())
            )
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        targets = {"floor": open_target(browser, floor_url, "Value")}
        for suffix, app_url in app_urls.items():
            for name, (path, label) in PAGE_TARGETS.items():
                targets[name + suffix] = open_target(browser, f"{app_url}/{path}", label)
        done: dict[str, list[float]] = {name: [] for name in targets}
        paint: dict[str, list[float]] = {name: [] for name in targets}
        missed = dict.fromkeys(targets, 0)
        quick = dict.fromkeys(targets, 0)
        for i in range(args.warmup + args.presses):
            key = "ArrowRight" if i % 2 == 0 else "ArrowLeft"
            for name, (page, slider) in targets.items():
                result = press(page, slider, key)
                if i < args.warmup:
                    continue
                if result is None:
                    missed[name] += 1
                else:
                    done[name].append(result[0])
                    paint[name].append(result[1])
                    quick[name] += result[2]
        browser.close()

    floor = statistics.median(done["floor"])
    summary: dict[str, object] = {"presses": args.presses}
    print(f"{'target':<19} {'median ms':>9} {'p90 ms':>7} {'x floor':>7} {'paint ms':>8} {'quick':>5} {'missed':>6}")
    for name in targets:
        med, p90 = statistics.median(done[name]), percentile(done[name], 0.9)
        med_paint = statistics.median(paint[name])
        print(f"{name:<19} {med:9.1f} {p90:7.1f} {med / floor:7.2f} {med_paint:8.1f} {quick[name]:5d} {missed[name]:6d}")
        summary[name] = {"median_ms": round(med, 1), "p90_ms": round(p90, 1), "ratio": round(med / floor, 2),
                         "paint_median_ms": round(med_paint, 1), "quick": quick[name], "missed": missed[name]}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
