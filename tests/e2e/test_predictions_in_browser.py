"""A learner with no model yet trains one on the Predictions page, then draws a digit for it.

Runs the real app in Chromium (see conftest.py): the canvas is a <canvas> in the page itself,
drawn on with mouse moves as a hand would.
"""

import pytest

from tests.e2e.conftest import assert_no_exception, open_page, screenshot, wait_for_run

pytestmark = pytest.mark.e2e


def test_train_then_draw_a_digit_and_see_what_the_network_saw(page, app_url):
    open_page(page, app_url, "")  # through the router first, as a visitor arriving at the app
    open_page(page, app_url, "predictions")
    page.get_by_role("radio", name="1", exact=True).click()  # one epoch: enough to read a drawing
    wait_for_run(page)
    page.get_by_role("button", name="Train the tutorial's network").click()
    # It trains as a job on the server; the page's fragment polls it and shows the model when done.
    page.get_by_text("Test accuracy").first.wait_for(timeout=120_000)
    wait_for_run(page)
    assert_no_exception(page)

    page.get_by_role("tab", name="Draw a digit").click()
    wait_for_run(page)
    canvas = page.locator("canvas").first
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    # A "7", drawn small in the top-left corner: the preparation must find and centre it.
    page.mouse.move(x + 30, y + 30)
    page.mouse.down()
    for dx, dy in [(110, 30), (105, 40), (85, 80), (70, 120), (62, 140)]:
        page.mouse.move(x + dx, y + dy, steps=8)
    page.mouse.up()
    page.wait_for_timeout(800)
    wait_for_run(page)
    assert_no_exception(page)
    assert page.get_by_text("The network reads your drawing as").is_visible()
    assert page.get_by_text("centred by mass in 28×28").first.is_visible()
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
    assert screenshot(page, "predictions_drawing").stat().st_size > 0
