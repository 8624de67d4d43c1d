"""The class poll, as a class uses it: students open the instructor's class link and follow one
quiz; the instructor's class view counts their answers, charts them with the slips named, and
"Next question for everyone" moves every student on (their page's fragment asks the poll; under
AppTest each ``at.run()`` is one tick). A wrong instructor token gets the students' view and a
notice. Each AppTest is one browser session; they share the process's polls, as a class does."""

import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import quiz
from cnn_core.jobs import INSTRUCTOR_TOKEN_ENV
from ui import class_poll, jobs

from .conftest import open_app_page, url_param

TIMEOUT_S = 30
SEED, LEVEL = 7, 2
CLASS_LINK = {"quiz": "convolution", "quiz_seed": str(SEED), "quiz_level": str(LEVEL), "quiz_class": "1"}


def quiz_page():
    import streamlit as st

    from ui import quiz as quiz_ui

    question, verdict = quiz_ui.quiz_section("convolution")
    st.session_state["shown_question"] = question


@pytest.fixture(autouse=True)
def fresh_polls():
    class_poll.get_polls.clear()
    yield
    class_poll.get_polls.clear()


def open_quiz(link=CLASS_LINK, instructor=False):
    at = AppTest.from_function(quiz_page, default_timeout=TIMEOUT_S)
    if instructor:
        at.session_state[jobs.INSTRUCTOR_KEY] = True  # what ?instructor=<token> leaves behind
    for param, value in link.items():
        at.query_params[param] = value
    at.run()
    assert not at.exception, at.exception
    return at


def answer(at, given):
    at.text_input[0].input("does not fit" if given is None else str(given))
    next(b for b in at.button if b.label == "Check").click()
    at.run()
    assert not at.exception, at.exception


def texts(at):
    return [e.value for e in (*at.markdown, *at.info, *at.warning, *at.caption) if isinstance(e.value, str)]


def shown(at):
    return at.session_state["shown_question"]


def answers_table(at):
    return at.dataframe[0].value.values.tolist() if at.dataframe else []


# ----- the class view counts what the class answered ----------------------------------------------


def test_the_class_view_counts_the_answers_and_charts_them_with_their_slips():
    teacher = open_quiz(instructor=True)
    assert "**0 answered** · 0 students follow the class quiz now" in texts(teacher)
    assert not teacher.get("vega_lite_chart")  # nothing to chart before the first answer

    students = [open_quiz() for _ in range(3)]
    question = shown(students[0])
    assert all(shown(s) == quiz.make_question("convolution", SEED, LEVEL, 0) for s in students)
    truth = quiz.true_answer(question)
    for student, given in zip(students, (truth, truth, truth - 1)):
        answer(student, given)

    teacher.run()  # the class view's fragment ticks
    assert "**3 answered** · 3 students follow the class quiz now" in texts(teacher)
    assert len(teacher.get("vega_lite_chart")) == 1
    assert answers_table(teacher) == [
        [str(truth), 2, "right", ""],
        [str(truth - 1), 1, "wrong", "the +1 forgotten"],
    ]


def test_a_student_counts_once_however_often_their_page_asks():
    teacher = open_quiz(instructor=True)
    student = open_quiz()
    answer(student, 1)
    student.run()
    student.run()
    teacher.run()
    assert "**1 answered** · 1 student follows the class quiz now" in texts(teacher)


def test_the_class_view_names_nobody():
    teacher = open_quiz(instructor=True)
    student = open_quiz()
    answer(student, 3)
    teacher.run()
    anonymous_id = student.session_state[class_poll.STUDENT_KEY]
    on_screen = " ".join(texts(teacher) + [c.value for c in teacher.code] + [str(answers_table(teacher))])
    assert anonymous_id not in on_screen and anonymous_id[:8] not in on_screen


# ----- next question for everyone ---------------------------------------------------------------


def test_next_question_for_everyone_moves_every_student_without_a_reload():
    teacher = open_quiz(instructor=True)
    students = [open_quiz() for _ in range(2)]
    answer(students[0], 5)  # one answered, one still thinking (and typing)
    students[1].text_input[0].input("9")

    teacher.button(key="quiz_next_for_everyone").click().run()
    assert any(t.startswith("**0 answered**") for t in texts(teacher))
    assert shown(teacher) == quiz.make_question("convolution", SEED, LEVEL, 1)

    for student in students:
        student.run()  # the fragment's next tick: the class moved on
        assert shown(student) == quiz.make_question("convolution", SEED, LEVEL, 1)
        assert any(m.value.startswith("**Question 2**") for m in student.markdown)
        assert not student.text_input[0].disabled and not student.error  # a fresh question
    assert any(" of 1 right" in t for t in texts(students[0]))  # the score stays with the session


def test_a_late_student_lands_on_the_question_the_class_is_on():
    teacher = open_quiz(instructor=True)
    teacher.button(key="quiz_next_for_everyone").click().run()
    teacher.button(key="quiz_next_for_everyone").click().run()
    late = open_quiz()
    assert shown(late).number == 2
    again = open_quiz()  # a reload is a new session on the same link: the same place
    assert shown(again).number == 2


def test_students_follow_at_the_links_level_and_wait_for_the_instructor():
    student = open_quiz()
    assert any("Following the class quiz" in t for t in texts(student))
    question = shown(student)
    answer(student, quiz.true_answer(question))
    assert not [b for b in student.button if b.label == "Next question"]  # the instructor moves on
    assert any("Your instructor moves the class" in t for t in texts(student))
    assert url_param(student, "quiz_class") == "1" and url_param(student, "quiz_level") == str(LEVEL)
    open_quiz(instructor=True).button(key="quiz_next_for_everyone").click().run()
    student.run()
    answer(student, quiz.true_answer(shown(student)))  # two right in a row: a personal quiz goes up
    assert shown(student).difficulty == LEVEL and url_param(student, "quiz_level") == str(LEVEL)


def test_a_plain_quiz_link_is_not_a_class_quiz():
    student = open_quiz({k: v for k, v in CLASS_LINK.items() if k != "quiz_class"})
    assert not any("Following the class quiz" in t for t in texts(student))
    answer(student, 1)
    assert [b for b in student.button if b.label == "Next question"]
    assert len(class_poll.get_polls()) == 0  # nothing kept for a personal quiz


# ----- the instructor starts a poll, the link for the class -------------------------------------


def test_the_instructor_polls_the_class_with_their_quiz_and_gets_the_link_for_the_class():
    teacher = open_quiz({k: v for k, v in CLASS_LINK.items() if k != "quiz_class"}, instructor=True)
    next(b for b in teacher.button if b.label == "Poll the class with this quiz").click().run()
    assert any("Class view" in t for t in texts(teacher))
    link = teacher.code[0].value
    assert link.endswith(f"?quiz=convolution&quiz_seed={SEED}&quiz_level={LEVEL}&quiz_class=1")
    assert url_param(teacher, "quiz_class") == "1"


def test_a_student_never_sees_the_poll_the_class_button():
    student = open_quiz({k: v for k, v in CLASS_LINK.items() if k != "quiz_class"})
    assert not [b for b in student.button if b.label == "Poll the class with this quiz"]


# ----- through the router: the instructor's token, Quiz me off and on --------------------------

PAGE = "app_pages/convolution.py"


def test_the_instructors_link_opens_the_class_view_and_a_guessed_one_the_students_view(monkeypatch):
    monkeypatch.setenv(INSTRUCTOR_TOKEN_ENV, "class-of-2026-secret")
    teacher = open_app_page(PAGE, query={**CLASS_LINK, "instructor": "class-of-2026-secret"})
    assert not teacher.exception
    assert url_param(teacher, "instructor") is None  # out of the address bar at once
    assert any("Class view" in t for t in texts(teacher))
    assert [b for b in teacher.button if b.label == "Next question for everyone"]

    guess = open_app_page(PAGE, query={**CLASS_LINK, "instructor": "guess"})
    assert not guess.exception
    assert not any("Class view" in t for t in texts(guess))
    assert any("Following the class quiz" in t for t in texts(guess))
    assert any("instructor token is not this server's" in w.value for w in guess.warning)


def test_a_student_may_switch_quiz_me_off_and_back_on_to_rejoin_the_class():
    student = open_app_page(PAGE, query=CLASS_LINK)
    student.toggle(key="convolution_quiz_on").set_value(False).run()
    assert url_param(student, "quiz_class") is None and url_param(student, "quiz") is None
    assert not any("Following the class quiz" in t for t in texts(student))
    class_poll.get_polls().advance(class_poll.class_poll.PollKey("convolution", SEED, LEVEL), 0)
    student.toggle(key="convolution_quiz_on").set_value(True).run()
    assert any("Following the class quiz" in t for t in texts(student))
    assert url_param(student, "quiz_class") == "1"
    assert any(m.value.startswith("**Question 2**") for m in student.markdown)


@pytest.mark.parametrize("page", ["pooling", "model"])
def test_the_other_quiz_pages_run_a_class_poll_too(page):
    link = {**CLASS_LINK, "quiz": page}

    def other_page():
        import streamlit as st

        from ui import quiz as quiz_ui

        question, _ = quiz_ui.quiz_section(st.session_state["page_under_test"])
        st.session_state["shown_question"] = question

    sessions = []
    for instructor in (True, False):
        at = AppTest.from_function(other_page, default_timeout=TIMEOUT_S)
        at.session_state["page_under_test"] = page
        if instructor:
            at.session_state[jobs.INSTRUCTOR_KEY] = True
        for param, value in link.items():
            at.query_params[param] = value
        sessions.append(at.run())
        assert not at.exception, at.exception
    teacher, student = sessions
    assert shown(student) == quiz.make_question(page, SEED, LEVEL, 0)
    answer(student, "1")
    teacher.run()
    assert any(t.startswith("**1 answered**") for t in texts(teacher))
    assert len(teacher.get("vega_lite_chart")) == 1
