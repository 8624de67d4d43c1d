"""A class poll in Chromium: one instructor and three students, four browser contexts against one
running app with an instructor token. The students answer; the instructor's class view counts
them and charts them; "Next question for everyone" reaches every student's page without a
reload; the class view has no critical or serious axe violation, in the dark and the light theme."""

import re

import pytest

from cnn_core import quiz
from cnn_core.jobs import INSTRUCTOR_TOKEN_ENV
from tests.e2e.conftest import (
    RUN_TIMEOUT_MS,
    VIEWPORT,
    assert_no_exception,
    follow_runs,
    open_page,
    running_app,
    screenshot,
)
from tools.axe_check import blocking, run_axe, table

pytestmark = pytest.mark.e2e

TOKEN = "class-poll-e2e-secret"
SEED, LEVEL = 7, 2
QUIZ = f"quiz=convolution&quiz_seed={SEED}&quiz_level={LEVEL}"
TICK_MS = 20_000  # a fragment ticks every 2 s; a busy 2-core machine may take longer to rerun


@pytest.fixture(scope="module")
def class_app():
    """A server of its own, with the instructor's token set."""
    with running_app("streamlit-class-poll.log", {INSTRUCTOR_TOKEN_ENV: TOKEN}) as url:
        yield url


def new_page(browser, scheme="light"):
    context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    follow_runs(page)
    return context, page


def switch_theme(page, scheme):
    """Turn the browser's colour scheme to ``scheme`` and wait until the app has repainted in it:
    Streamlit restyles element by element, and axe run in between reads one theme's text on the
    other's background."""
    page.emulate_media(color_scheme=scheme)
    page.wait_for_function(
        """light => {
            const lum = el => getComputedStyle(el).backgroundColor.match(/[0-9.]+/g).slice(0, 3)
                .reduce((sum, v) => sum + Number(v), 0);
            const headers = [...document.querySelectorAll('[data-testid="stExpander"] summary')];
            const painted = [document.querySelector('.stApp'), ...headers].every(el => {
                const channels = getComputedStyle(el).backgroundColor.match(/[0-9.]+/g);
                if (channels.length === 4 && Number(channels[3]) === 0) return true;  // transparent
                return light ? lum(el) > 600 : lum(el) < 200;
            });
            const moving = document.getAnimations().some(a => a instanceof CSSTransition);
            return painted && !moving;
        }""",
        arg=scheme == "light",
    )


def answer(page, text):
    box = page.get_by_label("Your answer")
    box.fill(text)
    box.press("Enter")  # submits the form, as Check does
    page.get_by_text(re.compile(r"^[✓✗] ")).first.wait_for()


def test_one_instructor_and_three_students(browser, class_app):
    contexts = []
    try:
        context, teacher = new_page(browser, "dark")
        contexts.append(context)
        open_page(teacher, class_app, f"convolution?{QUIZ}&quiz_class=1&instructor={TOKEN}")
        teacher.get_by_text("Class view.").wait_for()
        assert TOKEN not in teacher.url
        link = teacher.locator('[data-testid="stCode"]').first.inner_text().strip()
        assert link.endswith(f"/convolution?{QUIZ}&quiz_class=1") and TOKEN not in link

        first = quiz.make_question("convolution", SEED, LEVEL, 0)
        truth = quiz.true_answer(first)
        students = []
        for given in (truth, truth, truth - 1):
            context, student = new_page(browser)
            contexts.append(context)
            student.goto(link)
            student.get_by_text("Following the class quiz.").wait_for()
            assert student.get_by_text(first.prompt.split(" What")[0]).is_visible()
            answer(student, str(given))
            assert_no_exception(student)
            students.append(student)
        screenshot(students[2], "class-poll-student-answered")

        teacher.get_by_text("3 answered").wait_for(timeout=TICK_MS)
        chart = teacher.locator('[data-testid="stVegaLiteChart"]')
        chart.first.locator("svg.marks").wait_for()
        drawn = teacher.locator('[data-testid="stVegaLiteChart"][role="graphics-document"]')  # with its alt
        description = (
            f"Answers to question 1, 3 students: {truth} (right) 2; {truth - 1} (wrong, the +1 forgotten) 1."
        )
        assert drawn.get_attribute("aria-label") == description
        assert_no_exception(teacher)
        bad = blocking(run_axe(teacher))
        assert not bad, f"class view (dark): critical/serious axe violations\n{table(bad)}"
        screenshot(teacher, "class-poll-instructor-dark")
        switch_theme(teacher, "light")
        bad = blocking(run_axe(teacher))
        assert not bad, f"class view (light): critical/serious axe violations\n{table(bad)}"
        screenshot(teacher, "class-poll-instructor-light")

        teacher.get_by_role("button", name="Next question for everyone").click()
        teacher.get_by_text("0 answered").wait_for(timeout=TICK_MS)
        second = quiz.make_question("convolution", SEED, LEVEL, 1)
        for student in students:  # no reload: each page's fragment notices and redraws
            student.get_by_text(re.compile(r"^Question 2")).wait_for(timeout=TICK_MS)
            student.get_by_text(second.prompt.split(" What")[0]).wait_for()
            assert student.get_by_label("Your answer").is_enabled()
            assert student.get_by_text(re.compile(r"^[✓✗] ")).count() == 0
            assert_no_exception(student)
        screenshot(students[0], "class-poll-student-next")
    finally:
        for context in contexts:
            context.close()
