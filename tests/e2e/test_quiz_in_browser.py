"""An instructor's quiz link on the Convolution page, answered in Chromium: the student types the
answer and presses Enter, and sees ✓, the formula and the window on the question's padded grid."""

import re

import pytest

from cnn_core import quiz, shapes
from tests.e2e.conftest import assert_no_exception, open_page, screenshot, wait_for_run

pytestmark = pytest.mark.e2e

SEED, LEVEL = 7, 2


def test_a_student_answers_an_instructors_quiz_link(page, app_url):
    question = quiz.make_question("convolution", SEED, LEVEL, 0)
    p = question.params
    truth = shapes.conv_output_size(p["size"], p["kernel"], p["stride"], p["padding"], p["dilation"])

    open_page(page, app_url, f"convolution?quiz=convolution&quiz_seed={SEED}&quiz_level={LEVEL}")
    assert_no_exception(page)
    assert page.get_by_role("switch", name="Quiz me").is_checked()
    assert page.get_by_text(question.prompt.split(" What")[0]).is_visible()
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    assert charts.count() == 0  # the explorer waits: nothing is worked out before the answer
    assert page.locator("section.explorer").count() == 0

    box = page.get_by_label("Your answer")
    box.fill(str(truth))
    box.press("Enter")  # submits the form, as Check does
    page.get_by_text(re.compile(r"^✓ Right")).wait_for()
    wait_for_run(page)
    assert_no_exception(page)
    charts.first.locator("canvas").wait_for()  # the picture: the last window on the padded grid
    assert charts.count() == 1
    assert page.locator(".katex").count() >= 2  # the formula, then its numbers
    assert page.get_by_text("1 of 1 right").is_visible()
    assert f"quiz_seed={SEED}" in page.url and "quiz=convolution" in page.url
    screenshot(page, "quiz-convolution-answered")

    page.set_viewport_size({"width": 390, "height": 900})  # a phone: the picture shrinks to the column
    page.wait_for_function(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]'); "
        "return m.scrollWidth <= m.clientWidth; }",
        timeout=10_000,
    )
