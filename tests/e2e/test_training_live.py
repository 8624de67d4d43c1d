"""An instructor starts a run in the browser, watches the curve grow, and stops it.

The real app trains the tutorial's network on the bundled sample in its background thread; the
page's fragment redraws about once a second, with no click from the user.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import (
    assert_no_exception,
    open_page,
    rerun,
    screenshot,
    wait_for_next_run,
    wait_for_run,
)

pytestmark = pytest.mark.e2e

PROGRESS = '[data-testid="stProgress"]'
CHART = '[data-testid="stVegaLiteChart"]'
# Batches done so far, as the progress bar says them, read in the page (null before it shows).
BATCHES_DONE = r"""() => {
    const found = document.querySelector('[data-testid="stProgress"]')?.innerText
        ?.match(/Epoch (\d+) of \d+ · batch (\d+) of (\d+)/);
    return found ? (found[1] - 1) * found[3] + Number(found[2]) : null;
}"""
# What the chart shows: its markup and the pixels of any canvas Vega draws on.
CHART_DRAWING = (
    """chart => chart.innerHTML + [...chart.querySelectorAll('canvas')].map(c => c.toDataURL()).join()"""
)


def progress(page) -> tuple[int, int, str]:
    """(epoch, batch, text) as the progress bar says them."""
    text = page.locator(PROGRESS).first.inner_text()
    found = re.search(r"Epoch (\d+) of \d+ · batch (\d+) of (\d+)", text)
    assert found, text
    epoch, batch, steps = map(int, found.groups())
    return (epoch - 1) * steps + batch, steps, text


def test_a_live_run_grows_its_curve_by_itself_and_stops_on_request(page, app_url):
    open_page(page, app_url, "training")
    epochs = page.get_by_role("spinbutton", name="Epochs E")
    epochs.fill("50")  # long enough that only Stop ends it
    with rerun(page):
        epochs.press("Enter")
    checkpoints = page.get_by_role("spinbutton", name="Checkpoint every N epochs")
    checkpoints.fill("0")  # no files from a test run
    with rerun(page):
        checkpoints.press("Enter")
    page.get_by_role("button", name="Start training").click()

    # TensorFlow loads in the trainer's thread; then batches arrive, with no click from us.
    page.locator(PROGRESS).filter(has_text=re.compile(r"Epoch \d+ of 50 · batch [1-9]")).first.wait_for(
        timeout=90_000
    )
    page.locator(CHART).first.wait_for()
    page.wait_for_function(f"() => ({BATCHES_DONE})() >= 2")  # a curve has two points to join
    wait_for_next_run(page)  # ...and the fragment that draws it has run since
    done_before, steps, _ = progress(page)
    drawn_before = page.locator(CHART).first.evaluate(CHART_DRAWING)
    first = page.locator(CHART).first.screenshot()
    screenshot(page, "training_live_1")

    # The fragment redraws by itself: wait for more batches, and for the chart to draw them.
    page.wait_for_function(f"before => ({BATCHES_DONE})() > before", arg=done_before)
    page.wait_for_function(
        f"before => ({CHART_DRAWING})(document.querySelector('{CHART}')) !== before",
        arg=drawn_before,
        polling=250,  # each look encodes the chart's pixels: not on every frame
    )
    done_after, _, text = progress(page)
    second = page.locator(CHART).first.screenshot()
    screenshot(page, "training_live_2")
    assert done_after > done_before, text  # the run went on while we only watched
    assert first != second  # and the curve on screen grew with it
    assert "images/s" in text and "CPU" in text
    # The bar steps to each new value: a 0.5 s glide every second would keep Chromium repainting
    # on the cores that train (ui/theme.py).
    gliding = page.locator(PROGRESS).first.evaluate(
        "bar => [bar, ...bar.querySelectorAll('*')].map(getComputedStyle)"
        ".filter(s => s.transitionDuration !== '0s' || s.animationName !== 'none').length"
    )
    assert gliding == 0

    page.get_by_role("button", name="Stop").click()
    page.locator(PROGRESS).filter(has_text="Stopped").first.wait_for(timeout=60_000)
    wait_for_run(page)
    page.get_by_text("Test accuracy").first.wait_for(timeout=60_000)
    stopped_at, _, _ = progress(page)
    assert stopped_at < 50 * steps
    assert page.get_by_role("button", name="Start training").is_enabled()
    assert_no_exception(page)
    screenshot(page, "training_stopped")


MAIN = '[data-testid="stMain"]'


def test_a_run_that_ended_is_never_shown_as_going(page, app_url):
    """A short real run to its end, with full reruns of the page while it ends (the learner
    coming back to the page): the page ends up saying the run has ended, and nowhere that it is
    going. Every wait is on the page's state, never on time."""
    open_page(page, app_url, "training?train_epochs=1&train_checkpoint=0")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Your run is going: steer it below.").wait_for()
    result = page.get_by_text("Test accuracy")
    nav = page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Training")
    for _ in range(1000):  # reruns of the whole page until one (ours, or the panel's) draws the result
        if result.count():
            break
        with rerun(page):
            nav.click()
    # From here on nobody clicks: a page that drew the result must say the run ended, by itself.
    page.get_by_text("Your last run has ended").wait_for(timeout=30_000)
    result.first.wait_for()
    wait_for_run(page)
    text = page.locator(MAIN).inner_text()
    assert "your run is going" not in text.lower(), text  # next to Start, or over the settings
    assert page.get_by_role("button", name="Start training").is_enabled()
    assert_no_exception(page)
    screenshot(page, "training_run_ended")
