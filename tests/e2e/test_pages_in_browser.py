"""A new user opens every listed page in a real browser: no exception, and a screenshot of each."""

from pathlib import Path

import pytest

from tests.e2e.conftest import assert_no_exception, assert_shows_a_page, open_page, screenshot
from ui.navigation import PAGES, url_path

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("info", PAGES, ids=[p.title for p in PAGES])
def test_page_renders_without_exception(page, app_url, info):
    open_page(page, app_url, url_path(info))
    assert_no_exception(page)
    assert page.locator("h1").first.is_visible()
    assert_shows_a_page(screenshot(page, Path(info.path).stem))
