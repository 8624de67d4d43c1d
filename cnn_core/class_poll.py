"""The class poll: which question a class quiz is on, and what the class answered, per process.

An instructor's class quiz is one quiz link (kind, seed, level) that a whole class follows: every
student sees the question the poll is on, and the instructor moves everyone to the next one. This
module is its bookkeeping, in plain Python (the app's Streamlit side is ``ui/class_poll.py``):

- :class:`ClassPolls` holds, for each (kind, seed, level), the question number the class is on
  and, per question, each student's first answer (its value, and whether it was right). A student
  is an anonymous id the session keeps (never shown): one answer per student and question, however
  often they check again.
- Bounded, as a class's server must be: at most ``max_polls`` quizzes (the least recently used
  goes first), ``max_students`` students counted per quiz, ``max_questions`` questions' answers
  kept per quiz (the oldest go first); a quiz nobody touched for ``idle_s`` seconds is dropped.
- :func:`spread` turns a question's answers into the chart's bars: each distinct answer with its
  count, the right one marked and each wrong one named by the slip the quiz already names
  (:func:`short_slip`).

Thread-safe: every Streamlit session of a class reads and writes it from its own script thread.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

from . import quiz

MAX_POLLS = 32  # class quizzes held at once: a few classes × a few quizzes each
MAX_STUDENTS = 400  # students counted per quiz (a lecture hall); more follow, uncounted
MAX_QUESTIONS = 60  # questions whose answers a quiz keeps (a lesson's worth); older ones go
IDLE_S = 4 * 3600.0  # seconds without anyone touching a quiz before it is dropped (a lesson)
FOLLOWING_S = 20.0  # a student whose page asked within this many seconds is "following"
VALUE_DIGITS = 4  # pooled values are told apart to 4 decimals (the quiz accepts 2)


class PollKey(NamedTuple):
    """A class quiz: a quiz kind or page name (``cnn_core.quiz``), its seed and its level (1–5)."""

    kind: str
    seed: int
    level: int


@dataclass(frozen=True)
class AnswerCount:
    """One distinct answer to a question and how many students gave it. ``answer`` is the value
    (None: "does not fit"); every right answer counts as the true value itself."""

    answer: quiz.Answer
    correct: bool
    count: int


@dataclass(frozen=True)
class Tally:
    """What the class answered to question ``number`` (from 0): ``answered`` students, of the
    ``following`` whose page asked lately, and the distinct answers, the most given first."""

    number: int
    answered: int
    following: int
    counts: tuple[AnswerCount, ...] = ()


@dataclass
class _Poll:
    number: int
    last_used: float
    # question number -> student -> (their first answer, right?)
    answers: dict[int, dict[str, tuple[quiz.Answer, bool]]] = field(default_factory=dict)
    seen: dict[str, float] = field(default_factory=dict)  # student -> when their page last asked


class ClassPolls:
    """The class quizzes of one process. Thread-safe; ``clock`` (seconds) is injectable so tests
    need not wait for the idle time."""

    def __init__(
        self,
        max_polls: int = MAX_POLLS,
        max_students: int = MAX_STUDENTS,
        max_questions: int = MAX_QUESTIONS,
        idle_s: float = IDLE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_polls = max(int(max_polls), 1)
        self.max_students = max(int(max_students), 1)
        self.max_questions = max(int(max_questions), 1)
        self.idle_s = float(idle_s)
        self._clock = clock
        self._polls: dict[PollKey, _Poll] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._drop_idle(self._clock())
            return len(self._polls)

    def follow(self, key: PollKey, student: str | None = None, start: int = 0) -> int:
        """The question number the class quiz ``key`` is on, opening the quiz at ``start`` if
        this process holds none (a first visit, or one dropped while idle). ``student`` (an
        anonymous id) is counted as following; an instructor's view passes None."""
        with self._lock:
            now = self._clock()
            poll = self._poll(key, now, start)
            if student is not None and (student in poll.seen or len(poll.seen) < self.max_students):
                poll.seen[student] = now
            return poll.number

    def record(self, key: PollKey, number: int, student: str, given: quiz.Answer, correct: bool) -> bool:
        """Count ``student``'s answer ``given`` to question ``number`` of ``key``; whether it was
        counted. A student counts once per question (their first answer: the one given before the
        reveal); a question the class has not reached, or one of a quiz full of students, is not."""
        with self._lock:
            now = self._clock()
            poll = self._poll(key, now, number)
            if not 0 <= number <= poll.number:
                return False
            if student not in poll.seen and len(poll.seen) >= self.max_students:
                return False
            poll.seen[student] = now
            answers = poll.answers.setdefault(number, {})
            if student in answers:
                return False
            answers[student] = (_bucket(given), bool(correct))
            for old in sorted(poll.answers)[: -self.max_questions]:
                del poll.answers[old]
            return True

    def advance(self, key: PollKey, from_number: int) -> int:
        """Move the class from question ``from_number`` to the next; the number it is on now.
        A second press for the same question (a double click, a second instructor's tab) moves
        it once."""
        with self._lock:
            poll = self._poll(key, self._clock(), from_number)
            if poll.number == from_number:
                poll.number += 1
            return poll.number

    def tally(self, key: PollKey, number: int) -> Tally:
        """What the class answered to question ``number`` of ``key`` (empty if nothing yet)."""
        with self._lock:
            now = self._clock()
            poll = self._polls.get(key)
            if poll is None:
                return Tally(number, 0, 0)
            poll.last_used = now
            answers = poll.answers.get(number, {})
            following = sum(1 for seen in poll.seen.values() if now - seen <= FOLLOWING_S)
            counts: dict[tuple[quiz.Answer, bool], int] = {}
            for given, correct in answers.values():
                counts[(given, correct)] = counts.get((given, correct), 0) + 1
        ordered = sorted(counts.items(), key=lambda item: (-item[1], not item[0][1], _order(item[0][0])))
        bars = tuple(AnswerCount(answer, correct, count) for (answer, correct), count in ordered)
        return Tally(number, len(answers), following, bars)

    def _poll(self, key: PollKey, now: float, start: int) -> _Poll:
        """The poll of ``key``, made (at question ``start``) if absent; caller holds the lock."""
        self._drop_idle(now)
        poll = self._polls.get(key)
        if poll is None:
            if len(self._polls) >= self.max_polls:  # full: the least recently used quiz goes
                del self._polls[min(self._polls, key=lambda k: self._polls[k].last_used)]
            poll = self._polls[key] = _Poll(number=max(int(start), 0), last_used=now)
        poll.last_used = now
        return poll

    def _drop_idle(self, now: float) -> None:
        for key in [k for k, poll in self._polls.items() if now - poll.last_used > self.idle_s]:
            del self._polls[key]


def _order(answer: quiz.Answer) -> tuple:
    """Answers given equally often read in their natural order: numbers, shapes, "does not fit"."""
    if answer is None:
        return (2,)
    return (1, answer) if isinstance(answer, tuple) else (0, answer)


def _bucket(given: quiz.Answer) -> quiz.Answer:
    """An answer as a bar: a pooled value rounded so that 4.5 and 4.50 are one bar."""
    return round(given, VALUE_DIGITS) if isinstance(given, float) else given


@dataclass(frozen=True)
class Bar:
    """One bar of the class's answers: the answer in words, how many gave it, right or not, and
    for a wrong one the slip that gives it (short, e.g. "the +1 forgotten"; "" when none)."""

    answer: str
    count: int
    correct: bool
    slip: str


def spread(question: quiz.Question, tally: Tally) -> list[Bar]:
    """The bars of ``tally``, the answers to ``question``: the right answer always among them
    (with 0 when nobody gave it yet), each wrong one named by its likely slip."""
    truth = quiz.true_answer(question)
    bars = [
        Bar(answer_text(question, count.answer), count.count, count.correct, _slip(question, count))
        for count in tally.counts
    ]
    if not any(bar.correct for bar in bars):
        bars.append(Bar(answer_text(question, truth), 0, True, ""))
    return bars


def _slip(question: quiz.Question, count: AnswerCount) -> str:
    if count.correct:
        return ""
    return short_slip(quiz.likely_slip(question, count.answer))


def answer_text(question: quiz.Question, answer: quiz.Answer) -> str:
    """An answer as the chart labels it: "14", "does not fit", "14×14×32", "2.25", "320"."""
    if answer is None:
        return quiz.NO_FIT_TEXT
    if question.form == "size":
        return str(answer)  # describe_answer's "14 (14×14)" is twice the width of a label
    return quiz.describe_answer(question, answer)


# The quiz's slip sentences (cnn_core/quiz/*.py, ``slip``) by their opening words, in a few words
# for a chart's label; the reveal keeps the whole sentence. A sentence not listed is shown whole.
_SHORT_SLIPS = (
    ("Did you leave out the padding", "padding forgotten"),
    ("Did you use K = ", "K instead of the dilated K"),
    ("Did you forget to divide by the stride", "stride forgotten"),
    ("Did you forget the + 1", "the +1 forgotten"),
    ("Did you round up", "rounding up"),
    ("Did you round down", "rounding down"),
    ("The kernel fits", "“does not fit”, yet it fits"),
    ("You divided by the whole window", "padding counted in the average"),
    ("Padding never wins a max", "padding taken for a 0 in the max"),
    ("Did you forget the biases", "biases forgotten"),
    ("With use_bias=False", "biases counted without use_bias"),
    ("That is channels first", "channels first"),
)


def short_slip(sentence: str) -> str:
    """The quiz's slip ``sentence`` in a few words ("the +1 forgotten"); "" stays ""."""
    for opening, short in _SHORT_SLIPS:
        if sentence.startswith(opening):
            return short
    return re.sub(r"\s+", " ", sentence).strip()
