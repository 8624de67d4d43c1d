"""Quiz me on a page: the question, an answer box, Check, the reveal, Next question, the score.

A page calls, in one line, before its explorer,

    if quiz.page_quiz("convolution"):
        return  # the quiz is on: the explorer waits, so nothing is worked out before the answer

which draws the "Quiz me" toggle (on when the link asks for this page's quiz) and, when on, the
quiz with the reveal's picture (:func:`reveal_picture`, from ``cnn_core.figures.quiz``).
The link carries the quiz: ``?quiz=<kind>&quiz_seed=<n>&quiz_level=<1-5>`` gives every student
the same questions from that level on; the section writes those parameters as it goes, so the
address bar is always a link to the current quiz. All checking is ``cnn_core.quiz``'s.
A class link (``&quiz_class=1``) makes it a class quiz that students follow and the instructor
steers (``ui.class_poll``).
"""

from __future__ import annotations

import random
from typing import Any, Callable

import streamlit as st

from cnn_core import quiz
from cnn_core.figures import quiz as quiz_figures
from ui import class_poll

MODE_PARAM, SEED_PARAM, LEVEL_PARAM = "quiz", "quiz_seed", "quiz_level"
MAX_SEED = 999_999  # seeds drawn for a new quiz are at most six digits, easy to read out to a class
# Keys made per page, quiz or question (see the functions below): the quiz's own state lives under
# QUIZ_KEY, its widgets' keys start with it.
QUIZ_ON_KEY = "{page}_quiz_on"  # the page's "Quiz me" toggle
QUIZ_KEY = "{page}_quiz"  # the quiz's state (its question number, seed, level)
ANSWER_KEY = "{quiz}_answer_{number}"  # the text box of question ``number``
ANSWERED_KEY = "{quiz}_answered_{number}"  # its Check button
FORM_KEY = "{quiz}_form_{number}"  # the form of question ``number``
NEXT_KEY = "{quiz}_next"  # the Next question button
WINDOW_KEY = "quiz_window_{kind}_{seed}_{difficulty}_{number}"  # a question's window slider


def quiz_on_key(page: str) -> str:
    return QUIZ_ON_KEY.format(page=page)


def quiz_key(page: str) -> str:
    return QUIZ_KEY.format(page=page)


def answer_key(quiz_state_key: str, number: int) -> str:
    return ANSWER_KEY.format(quiz=quiz_state_key, number=number)


def answered_key(quiz_state_key: str, number: int) -> str:
    return ANSWERED_KEY.format(quiz=quiz_state_key, number=number)


def form_key(quiz_state_key: str, number: int) -> str:
    return FORM_KEY.format(quiz=quiz_state_key, number=number)


def next_key(quiz_state_key: str) -> str:
    return NEXT_KEY.format(quiz=quiz_state_key)


def window_key(question: quiz.Question) -> str:
    return WINDOW_KEY.format(
        kind=question.kind, seed=question.seed, difficulty=question.difficulty, number=question.number
    )


def requested(kind: str) -> bool:
    """Whether the link asks for this page's quiz (``?quiz=<kind>``): the page's toggle default."""
    return st.query_params.get(MODE_PARAM) == kind


def leave() -> None:
    """Take the quiz out of the URL (call when the page's toggle is switched off)."""
    for param in (MODE_PARAM, SEED_PARAM, LEVEL_PARAM, class_poll.CLASS_PARAM):
        if param in st.query_params:
            del st.query_params[param]


def page_quiz(page: str) -> bool:
    """The page's "Quiz me" toggle and, when it is on, the quiz of ``page`` (a name of
    ``PAGE_KINDS``) with its pictures; whether the quiz is on. Off takes the quiz out of the URL."""
    on = st.toggle(
        "Quiz me",
        value=requested(page),
        key=quiz_on_key(page),
        help="Answer first, then see the formula and the picture. The address bar is a "
        "link to this quiz: the same questions for everyone who opens it.",
    )
    if not on:
        leave()
        return False
    st.caption(
        "Predict, then check: the explorer is hidden until you switch Quiz me off, so nothing "
        "is worked out before you answer."
    )
    quiz_section(page, key=quiz_key(page), reveal=reveal_picture)
    return True


SLIDER_WIDTH_PX = 480  # about the picture's input grid; a phone's column is narrower and wins


def reveal_picture(question: quiz.Question) -> None:
    """The question's setting drawn by the page's own figures, with a sentence that says what it shows."""
    count = quiz_figures.window_count(question)
    # The grids are drawn at a fixed cell size; on a phone the theme's reflow rule (ui/theme.py)
    # shrinks the picture to the column instead of making the page scroll sideways.
    with st.container():
        window = None
        if count > 1:  # slide the window over the question's grid; it starts on the last position
            window = (
                st.slider(
                    "Slide the window (position, in reading order)",
                    1,
                    count,
                    value=count,
                    key=window_key(question),
                    width=SLIDER_WIDTH_PX,
                )
                - 1
            )
        picture = quiz_figures.reveal_picture(question, window)
        if picture.spec is not None:
            st.vega_lite_chart(picture.spec, width="content", alt=picture.caption)
        elif picture.png is not None:
            st.image(picture.png, alt=picture.caption)
        st.caption(picture.caption)


def quiz_section(
    kind: str,
    key: str = "quiz",
    reveal: Callable[[quiz.Question], None] | None = None,
) -> tuple[quiz.Question, quiz.Verdict | None]:
    """Draw the quiz for ``kind`` (a kind of ``cnn_core.quiz.KINDS`` or a page name of
    ``PAGE_KINDS``); returns the question on screen and its verdict (None until checked).
    ``reveal(question)`` draws the picture under the formula once the answer is checked."""
    state = _state(kind, key)
    _write_url(kind, state)
    if state["class"] and class_poll.is_instructor():
        return class_poll.class_view(key, state, _url_params(kind, state), draw_question), None
    if state["class"]:
        class_poll.follow(state)  # on the class's question, and watching for the next
    question = quiz.make_question(kind, state["seed"], state["level"], state["number"])
    draw_question(question)

    verdict: quiz.Verdict | None = state["verdict"]
    with st.form(form_key(key, state["number"]), border=False):
        if verdict is None:
            st.text_input(
                "Your answer", key=answer_key(key, state["number"]), placeholder=_placeholder(question.form)
            )
        else:  # Streamlit empties a text box it disables: show what was typed in a read-only copy
            st.text_input(
                "Your answer",
                value=state.get("typed", ""),
                key=answered_key(key, state["number"]),
                disabled=True,
            )
        st.form_submit_button("Check", on_click=_check, args=(key, question), disabled=verdict is not None)
    if state["unreadable"]:
        st.warning(state["unreadable"], icon=":material/help:")
    if verdict is not None:
        if verdict.correct:
            st.success(f"✓ {verdict.sentence}")
        else:
            st.error(f"✗ {verdict.sentence}")
        for line in verdict.formula:
            st.latex(line)
        if reveal is not None:
            reveal(question)
        if state["class"]:
            class_poll.waiting_caption()
        else:
            st.button("Next question", key=next_key(key), on_click=_next, args=(key,), type="primary")
    st.markdown(_score_line(state))
    if not state["class"]:
        class_poll.offer(key, state)
    return question, verdict


def draw_question(question: quiz.Question) -> None:
    """A question as the student sees it: its number, kind and level, the prompt, and the grid
    or the Keras lines it is about."""
    st.markdown(
        f"**Question {question.number + 1}** · {quiz.KIND_TITLES[question.kind]} · "
        f"level {question.difficulty} of {quiz.MAX_LEVEL}"
    )
    st.markdown(question.prompt)
    if question.kind == "pool_value":
        st.markdown(_grid_table(question))
    if question.code:
        st.code(question.code, language="python")


def _score_line(state: dict[str, Any]) -> str:
    score: quiz.Score = state["score"]
    if state["class"]:  # one level for the whole class: the score does not move it
        return f"Score: {score.right} of {score.asked} right · the class quiz stays at level {state['level']}"
    if score.asked:
        return f"Score: {score.text}"
    return (
        f"Level {score.level} of {quiz.MAX_LEVEL}: "
        "answer before anything is shown; two right in a row move you up a level."
    )


def _state(kind: str, key: str) -> dict[str, Any]:
    """This session's quiz, started from the link (seed, level) or a fresh random seed."""
    state = st.session_state.get(key)
    if state is None or state["kind"] != kind:
        seed = _url_int(SEED_PARAM, 0, MAX_SEED) if requested(kind) else None
        level = _url_int(LEVEL_PARAM, quiz.MIN_LEVEL, quiz.MAX_LEVEL) if requested(kind) else None
        seed = random.randint(0, MAX_SEED) if seed is None else seed
        level = quiz.MIN_LEVEL if level is None else level
        state = dict(
            kind=kind,
            seed=seed,
            number=0,
            level=level,
            score=quiz.Score(level=level),
            verdict=None,
            unreadable="",
        )
        # A class link: everyone on the class's question at the link's level (see ui.class_poll).
        state["class"] = requested(kind) and class_poll.requested()
        st.session_state[key] = state
    return state


def _url_int(param: str, low: int, high: int) -> int | None:
    """An integer from the URL within [low, high], or None (a bad value is ignored)."""
    try:
        value = int(st.query_params.get(param, ""))
    except ValueError:
        return None
    return value if low <= value <= high else None


def _url_params(kind: str, state: dict[str, Any]) -> dict[str, str]:
    """The quiz's link parameters: kind, seed, and the level of the next question (a class
    quiz's is fixed)."""
    level = state["level"] if state["class"] else state["score"].level
    return {MODE_PARAM: kind, SEED_PARAM: str(state["seed"]), LEVEL_PARAM: str(level)}


def _write_url(kind: str, state: dict[str, Any]) -> None:
    for param, value in {**_url_params(kind, state), **class_poll.url_params(state)}.items():
        if st.query_params.get(param) != value:
            st.query_params[param] = value


def _check(key: str, question: quiz.Question) -> None:
    state = st.session_state[key]
    verdict = quiz.check(question, st.session_state.get(answer_key(key, state["number"]), ""))
    if verdict.correct is None:
        state["unreadable"] = verdict.sentence
        return
    state.update(
        verdict=verdict,
        unreadable="",
        score=state["score"].record(verdict.correct),
        typed=st.session_state.get(answer_key(key, state["number"]), ""),
    )
    if state["class"]:
        class_poll.record(state, verdict)


def _next(key: str) -> None:
    state = st.session_state[key]
    state.update(number=state["number"] + 1, level=state["score"].level, verdict=None, unreadable="")


def _placeholder(form: str) -> str:
    return {
        "size": "e.g. 14, or does not fit",
        "value": "e.g. 7 or 4.5",
        "count": "e.g. 320",
        "shape": "e.g. 14×14×32",
    }[form]


def _grid_table(question: quiz.Question) -> str:
    """The pooling grid as a markdown table, the asked window's cells in bold with brackets
    (so they are marked by more than weight alone)."""
    grid = question.params["grid"]
    window = set(quiz.window_cells(question))
    header = "| row \\ col | " + " | ".join(str(c) for c in range(len(grid))) + " |"
    rule = "|---|" + "---|" * len(grid)
    rows = [
        f"| **{r}** | "
        + " | ".join(f"**[{v}]**" if (r, c) in window else str(v) for c, v in enumerate(row))
        + " |"
        for r, row in enumerate(grid)
    ]
    return "\n".join([header, rule, *rows])
