"""Every page the router lists opens without an exception (new pages are covered automatically)."""

import pytest

from tests.app.conftest import loads_tensorflow
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
    assert not loads_tensorflow("app_pages/home.py")
