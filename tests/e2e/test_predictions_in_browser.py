"""A learner who has trained nothing opens Predictions: the pretrained network answers at once,
and reads a digit the learner draws.

Runs the real app in Chromium (see conftest.py): the canvas is a <canvas> in the page itself,
drawn on with mouse moves as a hand would.
"""

import pytest

from tests.e2e.conftest import (
    assert_no_exception,
    assert_shows_a_page,
    open_page,
    rerun,
    screenshot,
    wait_for_run,
)

pytestmark = pytest.mark.e2e


def test_a_first_visit_shows_the_pretrained_networks_grid_then_reads_a_drawn_digit(page, app_url):
    open_page(page, app_url, "predictions")  # a link straight to the page, nothing trained
    assert_no_exception(page)
    assert page.get_by_text("Test accuracy").is_visible()
    assert page.get_by_text("The tutorial's network, trained by").is_visible()
    assert page.locator('[data-testid="stImage"] img').first.is_visible()  # the prediction grid

    with rerun(page):
        page.get_by_role("tab", name="Draw a digit").click()
    canvas = page.locator("canvas").first
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    # A "7", drawn small in the top-left corner: the preparation must find and centre it.
    with rerun(page):  # the canvas sends the drawing when the mouse is lifted
        page.mouse.move(x + 30, y + 30)
        page.mouse.down()
        for dx, dy in [(110, 30), (105, 40), (85, 80), (70, 120), (62, 140)]:
            page.mouse.move(x + dx, y + dy, steps=8)
        page.mouse.up()
    page.get_by_text("The network reads your drawing as").wait_for()
    wait_for_run(page)
    assert_no_exception(page)
    assert page.get_by_text("The network reads your drawing as").is_visible()
    assert page.get_by_text("centred by mass in 28×28").first.is_visible()
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
    assert_shows_a_page(screenshot(page, "predictions_drawing"))
