"""ui.quiz.quiz_section on its own page: a link's seed and level, Check, the reveal, Next, the score."""

from streamlit.testing.v1 import AppTest

from cnn_core import quiz
from tests.app.conftest import url_param

TIMEOUT_S = 30


def quiz_page():
    import streamlit as st

    from ui import quiz as quiz_ui

    kind = st.session_state.get("quiz_kind_under_test", "convolution")
    question, verdict = quiz_ui.quiz_section(kind)
    st.session_state["shown_question"] = question
    st.session_state["shown_verdict"] = verdict


def open_quiz(query=None, kind="convolution"):
    at = AppTest.from_function(quiz_page, default_timeout=TIMEOUT_S)
    at.session_state["quiz_kind_under_test"] = kind
    for param, value in (query or {}).items():
        at.query_params[param] = value
    at.run()
    assert not at.exception
    return at


def answer(at, text):
    at.text_input[0].input(text)
    at.button[0].click()  # the form's Check
    at.run()
    assert not at.exception


def true_text(question):
    truth = quiz.true_answer(question)
    if truth is None:
        return "does not fit"
    return "x".join(map(str, truth)) if isinstance(truth, tuple) else str(truth)


def test_a_link_gives_everyone_the_same_first_question():
    link = {"quiz": "convolution", "quiz_seed": "4242", "quiz_level": "3"}
    first, second = open_quiz(link), open_quiz(link)
    expected = quiz.make_question("convolution", 4242, 3, 0)
    for at in (first, second):
        assert at.session_state["shown_question"] == expected
        assert any(expected.prompt[:40] in m.value for m in at.markdown)
    assert url_param(first, "quiz_seed") == "4242" and url_param(first, "quiz_level") == "3"


def test_without_a_link_the_quiz_writes_its_seed_into_the_url():
    at = open_quiz()
    assert url_param(at, "quiz") == "convolution"
    seed = int(url_param(at, "quiz_seed"))
    assert at.session_state["shown_question"] == quiz.make_question("convolution", seed, 1, 0)
    assert url_param(at, "quiz_level") == "1"


def test_a_bad_link_value_falls_back_without_an_error():
    at = open_quiz({"quiz": "convolution", "quiz_seed": "abc", "quiz_level": "9"})
    assert url_param(at, "quiz_level") == "1" and url_param(at, "quiz_seed").isdigit()


def test_check_reveals_the_formula_and_next_moves_on_and_up():
    at = open_quiz({"quiz": "convolution", "quiz_seed": "7", "quiz_level": "2"})
    first = at.session_state["shown_question"]
    answer(at, true_text(first))
    assert at.success and at.success[0].value.startswith("✓ Right")
    shown = [e.value.removeprefix("$$\n").removesuffix("\n$$") for e in at.latex]  # st.latex wraps in $$
    assert shown == list(quiz.explain(first))
    assert "1 of 1 right" in at.markdown[-1].value
    at.button(key="quiz_next").click().run()
    second = at.session_state["shown_question"]
    assert second == quiz.make_question("convolution", 7, 2, 1)
    assert at.session_state["shown_verdict"] is None and not at.latex
    answer(at, true_text(second))
    assert "2 of 2 right" in at.markdown[-1].value
    assert url_param(at, "quiz_level") == "3"  # two right in a row: the next question is harder
    at.button(key="quiz_next").click().run()
    assert at.session_state["shown_question"].difficulty == 3


def test_a_wrong_answer_shows_the_truth_and_unreadable_text_does_not_count():
    at = open_quiz({"quiz": "model", "quiz_seed": "11", "quiz_level": "1"}, kind="model")
    answer(at, "a lot")
    assert at.warning and "does not count" in at.warning[0].value
    assert at.session_state["shown_verdict"] is None
    assert not at.text_input[0].disabled
    answer(at, "1")
    assert at.error and at.error[0].value.startswith("✗ Not quite")
    assert at.text_input[0].disabled  # one answer per question
    assert "0 of 1 right" in at.markdown[-1].value


def test_a_pooling_window_question_shows_its_grid_with_the_window_marked():
    at = open_quiz({"quiz": "pool_value", "quiz_seed": "3", "quiz_level": "1"}, kind="pool_value")
    question = at.session_state["shown_question"]
    table = next(m.value for m in at.markdown if m.value.startswith("| row"))
    assert table.count("**[") == len(quiz.window_cells(question))
