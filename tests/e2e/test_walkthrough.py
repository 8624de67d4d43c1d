"""A new user's walk: from Home, follow "Next" through every lesson page, with no error on any."""

from pathlib import Path

import pytest

from tests.e2e.conftest import assert_no_exception, open_page, rerun
from ui.navigation import lesson_pages

pytestmark = pytest.mark.e2e


def test_home_leads_through_every_page_in_the_lessons_order(page, app_url):
    open_page(page, app_url, "")
    assert_no_exception(page)
    for info in lesson_pages():
        with rerun(page):
            page.get_by_role("link", name=f"Next: {info.title}").click()
        page.wait_for_url(f"**/{Path(info.path).stem}")
        assert_no_exception(page)
        assert page.locator("h1").first.is_visible()
    assert page.get_by_text("You have reached the end of the lesson").is_visible()
