"""Two students, one server: the second run waits in line and starts by itself.

Two browser contexts are two Streamlit sessions. Session A trains; session B presses Start
meanwhile and sees its place and an estimate instead of a refusal, watches A's run, changes
pages (the sidebar keeps its place in view), and finds its own run going when it comes back.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import RUN_TIMEOUT_MS, assert_no_exception, open_page, screenshot, wait_for_run

pytestmark = pytest.mark.e2e

SIDEBAR = '[data-testid="stSidebar"]'


def new_session(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    return context, page


def test_a_second_students_run_waits_in_line_then_starts_by_itself(browser, app_url):
    a_context, a = new_session(browser)
    b_context, b = new_session(browser)
    try:
        open_page(a, app_url, "training?train_epochs=50&train_checkpoint=0")  # long: A stops it
        a.get_by_role("button", name="Start training").click()
        a.get_by_text("Your run is going: steer it below.").wait_for()
        screenshot(a, "queue_1_a_trains")

        open_page(b, app_url, "training?train_epochs=50&train_checkpoint=0")
        b.get_by_text("press Start and yours waits in line").wait_for()
        assert b.get_by_role("button", name="Start training").is_enabled()  # not a wall
        b.get_by_role("button", name="Start training").click()
        b.get_by_text(re.compile(r"Your run is 1st in line")).wait_for()
        b.get_by_text(re.compile(r"should start in about \d+ (s|min)")).first.wait_for()
        assert b.get_by_text("watching another session's run").first.is_visible()
        assert b.get_by_role("button", name="Leave the line").is_visible()
        assert_no_exception(b)
        screenshot(b, "queue_2_b_waits_in_line")

        b.locator(SIDEBAR).get_by_role("link", name="Convolution").click()  # B leaves the page
        wait_for_run(b)
        b.locator(SIDEBAR).get_by_text(re.compile(r"Your run: waiting, 1st in line")).first.wait_for()
        screenshot(b, "queue_3_b_elsewhere_waiting")

        a.get_by_role("button", name="Stop").click()  # A's run ends...
        a.get_by_text("Test accuracy").first.wait_for(timeout=180_000)
        wait_for_run(a)
        assert a.get_by_text("Your run is going").count() == 0  # ...and says so
        assert_no_exception(a)
        screenshot(a, "queue_4_a_finished")

        # ...and B's starts by itself: B's sidebar says so without a click.
        b.locator(SIDEBAR).get_by_text(re.compile(r"Your run: (preparing|epoch \d+ of 50)")).first.wait_for(timeout=60_000)
        b.locator(SIDEBAR).get_by_role("link", name=re.compile(r"^Your run:")).first.click()
        wait_for_run(b)
        b.get_by_text("Your run is going: steer it below.").wait_for()
        assert b.get_by_text("Your run is 1st in line").count() == 0
        assert_no_exception(b)
        screenshot(b, "queue_5_b_running")
        b.get_by_role("button", name="Stop").click()
        b.get_by_text("Test accuracy").first.wait_for(timeout=180_000)
        assert_no_exception(b)
    finally:
        a_context.close()
        b_context.close()
