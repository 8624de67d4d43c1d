"""In Chromium: a student moves the Convolution and Pooling sliders and plays the window animation."""

import pytest

from cnn_core.shapes import end_of_row
from tests.e2e.conftest import assert_no_exception, open_page, rerun, runs_ended, screenshot, wait_for_run

pytestmark = pytest.mark.e2e

STEP_SLIDER = "Window position (output cell number, in reading order)"


def go_to(page, app_url, title):
    """Open the app and click the page in the sidebar, as a student would."""
    open_page(page, app_url, "")
    with rerun(page):
        page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    assert page.locator("h1").first.inner_text().startswith(title)


def metric(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has_text=label).first
    return box.get_by_test_id("stMetricValue").inner_text()


def nudge(page, label: str, key: str = "ArrowRight") -> None:
    """Move a slider one step with the keyboard and wait for the rerun."""
    page.get_by_role("slider", name=label).focus()
    with rerun(page):
        page.keyboard.press(key)


def step_value(page) -> int:
    return int(page.get_by_role("slider", name=STEP_SLIDER).get_attribute("aria-valuetext"))


def test_a_student_changes_the_kernel_and_plays_the_window(page, app_url):
    page.clock.install()  # the page's timers run as usual, until the test moves its clock below
    go_to(page, app_url, "Convolution")
    assert metric(page, "Output") == "5×5"
    nudge(page, "Kernel size K")  # K = 4 on a 7×7 input
    assert metric(page, "Output") == "4×4"
    assert_no_exception(page)

    page.get_by_text("Play: slide the window").click()
    page.wait_for_function(  # the fragment ticks on its own: the window moves without a click
        f"""() => Number(document.querySelector('input[aria-label="{STEP_SLIDER}"]').value) >= 2""",
        timeout=30_000,
    )
    with rerun(page):
        page.get_by_text("Play: slide the window").click()
    # One more full run, sent after the toggle's: from its end on the page is certainly stopped.
    nudge(page, "Play speed (windows per second)", "ArrowLeft")  # 1 window per second
    stopped_at, runs = step_value(page), runs_ended(page)
    page.clock.run_for(3_000)  # fires every timer due in 3 s: a live Play timer would tick here
    nudge(page, "Play speed (windows per second)", "ArrowRight")  # a run after any the timers asked for
    assert step_value(page) == stopped_at, "the window stops when Play is off"
    assert runs_ended(page) == runs + 1, "only the nudge ran the script: nothing reruns while Play is off"
    assert_no_exception(page)
    screenshot(page, "convolution_after_play")


def test_a_student_plays_a_28x28_input_fast_and_jumps_to_the_end_of_a_row(page, app_url):
    go_to(page, app_url, "Convolution")
    nudge(page, "Input size I", "End")  # 28×28 input, 3×3 kernel: 26×26 = 676 windows
    nudge(page, "Play speed (windows per second)", "End")  # 50 windows per second
    page.get_by_text("Play: slide the window").click()
    page.wait_for_function(  # 13 windows per redraw: two redraws pass 26, the first row's end
        f"""() => Number(document.querySelector('input[aria-label="{STEP_SLIDER}"]').value) >= 26""",
        timeout=30_000,
    )
    with rerun(page):
        page.get_by_text("Play: slide the window").click()
    assert_no_exception(page)
    screenshot(page, "convolution_fast_play")
    before = step_value(page)
    page.get_by_role("button", name="Jump to the end of the row").click()
    page.wait_for_function(  # the rerun the click starts, whenever it lands
        f"""() => Number(document.querySelector('input[aria-label="{STEP_SLIDER}"]').value) !== {before}""",
        timeout=30_000,
    )
    wait_for_run(page)
    assert step_value(page) == end_of_row(before, 26)


def test_a_student_pools_with_a_larger_window(page, app_url):
    go_to(page, app_url, "Pooling")
    assert metric(page, "Output") == "3×3"
    nudge(page, "Pool size F")  # 3×3 windows, stride 3, on the 6×6 grid
    assert metric(page, "Output") == "2×2"
    assert_no_exception(page)
    screenshot(page, "pooling_3x3")
