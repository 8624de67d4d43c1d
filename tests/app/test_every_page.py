"""Every page the router lists opens without an exception (new pages are covered automatically)."""

import subprocess
import sys

import pytest

from tests.app.conftest import ROOT
from ui.navigation import PAGES


@pytest.mark.parametrize("info", PAGES, ids=[p.title for p in PAGES])
def test_page_opens_without_exception(open_page, info):
    at = open_page(info.path)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title or at.header or at.markdown, f"{info.title} drew nothing"


def test_home_lists_and_links_every_lesson_page(open_page):
    at = open_page("app_pages/home.py")
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    for info in PAGES[1:]:
        assert info.blurb in text


def test_home_never_imports_tensorflow():
    code = (
        "import sys; from streamlit.testing.v1 import AppTest;"
        f"at = AppTest.from_file({str(ROOT / 'streamlit_app.py')!r}, default_timeout=60); at.run();"
        "assert not at.exception, at.exception;"
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
