"""The class poll in the app: students follow one class quiz, the instructor sees their answers.

A class link is a quiz link with ``&quiz_class=1``
(``?quiz=<kind>&quiz_seed=<n>&quiz_level=<1-5>&quiz_class=1``). Every session that opens it asks
the process's :class:`cnn_core.class_poll.ClassPolls` which question the class is on, and shows
that one, at the link's level for everyone (the adaptive level would split the class). A student
sees "Following the class quiz"; their page watches the poll in a fragment that ticks every
``POLL_EVERY_S`` seconds and redraws the quiz on the next question when the instructor moves on
(no reload). Their first answer to each question is counted once, under an anonymous id the
session keeps (never shown).

The instructor's session (``?instructor=<token>``: ``ui.jobs.remember_instructor``) sees the
class view instead: the question, how many answered, the chart of their answers (right one
marked, wrong ones named by their slip), "Next question for everyone" and the link for the
class. A wrong or guessed instructor token gets the students' view and a notice. ``ui.quiz``
calls this module; the checking is ``cnn_core.quiz``'s, the bookkeeping ``cnn_core.class_poll``'s.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

import streamlit as st

from cnn_core import class_poll, quiz
from cnn_core.figures import class_poll as poll_figures
from ui import jobs, url_state

CLASS_PARAM = "quiz_class"  # ?quiz_class=1: a class link (the quiz's other parameters: ui.quiz)
STUDENT_KEY = "_class_poll_student"  # session state: this session's anonymous id in the polls
NEXT_FOR_ALL_KEY = "{quiz}_next_for_everyone"  # the instructor's "Next question for everyone"
START_KEY = "{quiz}_poll_the_class"  # the instructor's "Poll the class with this quiz"
POLL_EVERY_S = 2.0  # how often a student's page asks whether the class moved on (a dict lookup)


def next_for_all_key(quiz_state_key: str) -> str:
    return NEXT_FOR_ALL_KEY.format(quiz=quiz_state_key)


def start_key(quiz_state_key: str) -> str:
    return START_KEY.format(quiz=quiz_state_key)


@st.cache_resource
def get_polls() -> class_poll.ClassPolls:
    """The class quizzes of this server process (shared by every session)."""
    return class_poll.ClassPolls()


def requested() -> bool:
    """Whether the link is a class link (``&quiz_class=1``); any other value is a plain quiz."""
    return st.query_params.get(CLASS_PARAM) == "1"


def is_instructor() -> bool:
    """Whether this session opened the instructor's link (the server's token)."""
    return bool(st.session_state.get(jobs.INSTRUCTOR_KEY))


def student_id() -> str:
    """This session's anonymous id in the polls: random, kept in session state, never shown."""
    if STUDENT_KEY not in st.session_state:
        st.session_state[STUDENT_KEY] = uuid.uuid4().hex
    return st.session_state[STUDENT_KEY]


def poll_key(state: dict[str, Any]) -> class_poll.PollKey:
    """The class quiz of a quiz's state (``ui.quiz``'s: kind, seed, level)."""
    return class_poll.PollKey(state["kind"], int(state["seed"]), int(state["level"]))


def url_params(state: dict[str, Any]) -> dict[str, str]:
    """The class link's parameters besides the quiz's own: ``quiz_class=1`` for a class quiz."""
    return {CLASS_PARAM: "1"} if state.get("class") else {}


def class_link(state: dict[str, Any], quiz_params: dict[str, str]) -> str:
    """The absolute link students open to follow this class quiz (this page, its quiz parameters
    and ``quiz_class=1``); never the instructor's token."""
    return url_state.page_link({**quiz_params, CLASS_PARAM: "1"})


# ----- a student -------------------------------------------------------------------------------


def follow(state: dict[str, Any]) -> None:
    """A student's class quiz: put ``state`` on the question the class is on, say so, and watch
    the poll so the page moves on with the class. Call before drawing the question."""
    key = poll_key(state)
    number = get_polls().follow(key, student_id(), start=state["number"])
    if number != state["number"]:  # the class moved on (or this student joined late)
        state.update(number=number, verdict=None, unreadable="")
    if st.session_state.get(jobs.INSTRUCTOR_REFUSED_KEY):
        st.warning(
            "This link's instructor token is not this server's, so this is the class quiz as a "
            "student sees it. Instructors: open the link with the token set on the server "
            "(`CNN_EXPLORER_INSTRUCTOR_TOKEN`) for the class view.",
            icon=":material/lock:",
        )
    st.info(
        "**Following the class quiz.** Your instructor moves everyone to the next question; it "
        "appears here by itself. Your answer counts once, anonymously. Switch Quiz me off to use "
        "the explorer; switching it on again brings you back to the class's question.",
        icon=":material/groups:",
    )
    st.fragment(_watch, run_every=POLL_EVERY_S)(key, number)


def _watch(key: class_poll.PollKey, shown: int) -> None:
    """Every few seconds: has the class moved on from question ``shown``? Then redraw the page
    (a rerun, not a reload: the session and its score stay)."""
    if get_polls().follow(key, student_id(), start=shown) != shown:
        st.rerun()


def record(state: dict[str, Any], verdict: quiz.Verdict) -> None:
    """Count a student's checked answer in the class's tally (once per question)."""
    if verdict.correct is None or is_instructor():
        return
    given = verdict.answer if verdict.correct else verdict.given  # a right 4.50 is the 4.5 bar
    get_polls().record(poll_key(state), state["number"], student_id(), given, bool(verdict.correct))


def waiting_caption() -> None:
    """Where a personal quiz has "Next question": the class moves on together."""
    st.caption("Your instructor moves the class to the next question; it appears here by itself.")


# ----- the instructor ----------------------------------------------------------------------


def offer(key: str, state: dict[str, Any]) -> None:
    """The instructor's button under a quiz of their own: poll the class with this quiz (its
    seed, at the level it is on now), from the question it is on."""
    if is_instructor():
        st.button(
            "Poll the class with this quiz",
            key=start_key(key),
            icon=":material/groups:",
            on_click=_start,
            args=(state,),
            help="Opens the class view: a link for the class, their answers as they come in, "
            "and Next question for everyone.",
        )


def _start(state: dict[str, Any]) -> None:
    state.update(level=state["score"].level, verdict=None, unreadable="")
    state["class"] = True


def class_view(
    key: str,
    state: dict[str, Any],
    quiz_params: dict[str, str],
    draw_question: Callable[[quiz.Question], None],
) -> quiz.Question:
    """The instructor's class view of the quiz in ``state`` (session key ``key``): the link for
    the class, then (refreshed every few seconds) the question, the count and the chart of
    answers, and Next question for everyone. ``draw_question`` draws a question as students see
    it. Returns the question the class is on."""
    st.info(
        "**Class view.** Students who open the link below follow this quiz and see only the "
        "question; you see how many answered and what, before anyone sees the answer. "
        "Nobody's name is kept: each student counts once per question.",
        icon=":material/co_present:",
    )
    with st.expander("Link for the class", icon=":material/link:", expanded=True):
        st.code(class_link(state, quiz_params), language=None, wrap_lines=True)
    st.fragment(_class_panel, run_every=POLL_EVERY_S)(key, poll_key(state), draw_question)
    return quiz.make_question(state["kind"], state["seed"], state["level"], state["number"])


def _class_panel(key: str, poll: class_poll.PollKey, draw_question: Callable[[quiz.Question], None]) -> None:
    state = st.session_state[key]
    state["number"] = get_polls().follow(poll, None, start=state["number"])
    question = quiz.make_question(poll.kind, poll.seed, poll.level, state["number"])
    draw_question(question)
    tally = get_polls().tally(poll, state["number"])
    st.markdown(
        f"**{tally.answered} answered** · {tally.following} "
        f"{'student follows' if tally.following == 1 else 'students follow'} the class quiz now"
    )
    if tally.answered:
        bars = class_poll.spread(question, tally)
        title = f"What the class answered to question {state['number'] + 1}"
        st.vega_lite_chart(
            poll_figures.spread_spec(bars, title),
            width="stretch",
            alt=poll_figures.spread_description(bars, state["number"]),
        )
        with st.expander("The answers as a table", icon=":material/table:"):
            st.dataframe(poll_figures.spread_table(bars), hide_index=True, width="stretch")
    else:
        st.caption("No answers yet: the chart appears with the first.")
    st.button(
        "Next question for everyone",
        key=next_for_all_key(key),
        type="primary",
        icon=":material/skip_next:",
        on_click=_advance,
        args=(poll, state["number"]),
        help="Every student following this quiz moves to the next question within a few seconds.",
    )


def _advance(poll: class_poll.PollKey, number: int) -> None:
    get_polls().advance(poll, number)
