"""Two students, one server: the second run waits in line and starts by itself.

Two browser contexts are two Streamlit sessions on the same server, where one run trains at a
time (CNN_EXPLORER_MAX_JOBS defaults to 1). Session A trains; session B presses Start meanwhile
and is shown its place in line instead of a refusal; A stops its run, and B's run starts by
itself, with no click from B, and B's page says it is going. Every wait is on what a page shows.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import (
    RUN_TIMEOUT_MS,
    VIEWPORT,
    assert_no_exception,
    open_page,
    running_app,
    screenshot,
)

pytestmark = pytest.mark.e2e

# Long runs (200 epochs) that only Stop ends: A's run must outlast B's Start, and B's must still
# be going when B looks. No checkpoint files from a test run.
LONG_RUN = "training?train_epochs=200&train_checkpoint=0"
GOING = "Your run is going: steer it below."
ENDED = "Your last run has ended"


@pytest.fixture(scope="module")
def queue_app_url():
    """A server of its own: no run left by another test stands in the line, and a run this test
    leaves behind (if it fails midway) holds no other test's slot."""
    with running_app("streamlit_queue.log") as url:
        yield url


def new_session(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    return context, page


def stop(page) -> None:
    """One click on Stop, and the page shows the run's result (by itself: the live panel reruns
    it), the Start button free again and nowhere a word that the run is going."""
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("Test accuracy").first.wait_for()
    page.get_by_role("button", name="Start training").and_(page.locator(":enabled")).wait_for()
    assert "your run is going" not in page.locator('[data-testid="stMain"]').inner_text().lower()


def test_a_second_students_run_waits_in_line_then_starts_by_itself(browser, queue_app_url):
    app_url = queue_app_url
    a_context, a = new_session(browser)
    b_context, b = new_session(browser)
    try:
        open_page(a, app_url, LONG_RUN)
        a.get_by_role("button", name="Start training").click()
        a.get_by_text(GOING).wait_for()
        screenshot(a, "queue_1_a_trains")

        open_page(b, app_url, LONG_RUN)
        b.get_by_text("press Start and yours waits in line").wait_for()
        b.get_by_role("button", name="Start training").click()  # not a wall: B may press it
        b.get_by_text(re.compile(r"Your run is 1st in line")).wait_for()
        b.get_by_text(re.compile(r"should start in about \d+ (s|min)")).first.wait_for()
        assert b.get_by_text("watching another session's run").first.is_visible()  # A's, live
        assert b.get_by_role("button", name="Leave the line").is_visible()
        assert b.get_by_role("button", name="Start training").is_disabled()
        assert_no_exception(b)
        screenshot(b, "queue_2_b_waits_in_line")

        stop(a)  # A's run ends, and A sees its result even as B's run takes the slot...
        assert_no_exception(a)
        screenshot(a, "queue_3_a_ended")

        # ...and B's starts by itself: B's page says so with no click from B.
        b.get_by_text(GOING).wait_for()
        b.get_by_role("button", name="Stop").wait_for()
        assert b.get_by_text(re.compile(r"Your run is \d+(st|nd|rd|th) in line")).count() == 0
        assert_no_exception(b)
        screenshot(b, "queue_4_b_running")
        stop(b)
        b.get_by_text(ENDED).wait_for()  # nobody else waits or trains now
        assert_no_exception(b)
    finally:
        a_context.close()
        b_context.close()
