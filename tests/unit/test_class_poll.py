"""The class poll's bookkeeping (cnn_core.class_poll), without Streamlit: which question a class
quiz is on, each student's answer counted once, the spread of answers with the slips named, and
the bounds a class's server needs (quizzes, students, questions, idle time)."""

from __future__ import annotations

import threading

import pytest

from cnn_core import class_poll, quiz
from cnn_core.class_poll import ClassPolls, PollKey

KEY = PollKey("convolution", 7, 2)


class Clock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def answer_all(polls, key, number, answers):
    """Students s0, s1, … answer question ``number``: (value, right?) each."""
    return [polls.record(key, number, f"s{i}", given, right) for i, (given, right) in enumerate(answers)]


# ----- following the class ---------------------------------------------------------------------


def test_a_class_quiz_starts_on_the_first_question_and_everyone_sees_the_same_number():
    polls = ClassPolls()
    assert polls.follow(KEY, "anna") == 0
    assert polls.follow(KEY, "ben") == 0
    assert polls.follow(KEY) == 0  # the instructor's view, not counted as a student
    assert polls.tally(KEY, 0).following == 2


def test_next_question_for_everyone_moves_the_class_once_even_if_pressed_twice():
    polls = ClassPolls()
    polls.follow(KEY, "anna")
    assert polls.advance(KEY, 0) == 1
    assert polls.advance(KEY, 0) == 1  # a double click, or a second instructor tab still on question 1
    assert polls.follow(KEY, "anna") == 1
    assert polls.follow(KEY, "a late student") == 1  # joins on the current question
    assert polls.advance(KEY, 1) == 2


def test_a_quiz_is_one_link_each_seed_and_level_is_a_class_of_its_own():
    polls = ClassPolls()
    polls.advance(KEY, 0)
    assert polls.follow(PollKey("convolution", 8, 2)) == 0
    assert polls.follow(PollKey("convolution", 7, 3)) == 0
    assert polls.follow(KEY) == 1


def test_a_quiz_this_process_no_longer_holds_reopens_where_its_follower_is():
    polls = ClassPolls()
    assert polls.follow(KEY, "anna", start=4) == 4  # e.g. dropped while idle: the page says 4


# ----- answers -------------------------------------------------------------------------------


def test_each_student_counts_once_per_question_with_their_first_answer():
    polls = ClassPolls()
    assert polls.record(KEY, 0, "anna", 9, False)
    assert not polls.record(KEY, 0, "anna", 10, True)  # she checks again after the reveal
    tally = polls.tally(KEY, 0)
    assert tally.answered == 1
    assert tally.counts == (class_poll.AnswerCount(9, False, 1),)


def test_the_tally_counts_each_distinct_answer_most_given_first_right_before_wrong_on_a_tie():
    polls = ClassPolls()
    answer_all(polls, KEY, 0, [(9, False), (10, True), (12, False), (9, False), (10, True), (None, False)])
    tally = polls.tally(KEY, 0)
    assert tally.answered == 6
    assert [(c.answer, c.correct, c.count) for c in tally.counts] == [
        (10, True, 2),
        (9, False, 2),
        (12, False, 1),
        (None, False, 1),
    ]


def test_answers_are_kept_per_question():
    polls = ClassPolls()
    answer_all(polls, KEY, 0, [(10, True), (9, False)])
    polls.advance(KEY, 0)
    answer_all(polls, KEY, 1, [(3, True)])
    assert polls.tally(KEY, 0).answered == 2
    assert polls.tally(KEY, 1).answered == 1
    assert polls.tally(KEY, 2).answered == 0


def test_an_answer_to_a_question_the_class_has_not_reached_is_not_counted():
    polls = ClassPolls()
    polls.follow(KEY)
    assert not polls.record(KEY, 3, "anna", 10, True)
    assert not polls.record(KEY, -1, "anna", 10, True)
    assert polls.tally(KEY, 3).answered == 0


def test_pooled_values_that_read_the_same_are_one_bar():
    polls = ClassPolls()
    answer_all(polls, KEY, 0, [(4.5, False), (4.50000001, False)])
    assert [(c.answer, c.count) for c in polls.tally(KEY, 0).counts] == [(4.5, 2)]


def test_students_who_stopped_asking_no_longer_count_as_following():
    clock = Clock()
    polls = ClassPolls(clock=clock)
    polls.follow(KEY, "anna")
    clock.now += class_poll.FOLLOWING_S + 1
    polls.follow(KEY, "ben")
    assert polls.tally(KEY, 0).following == 1


def test_many_students_answering_at_once_are_all_counted():
    polls = ClassPolls()
    threads = [
        threading.Thread(target=polls.record, args=(KEY, 0, f"s{i}", i % 3, i % 3 == 0)) for i in range(60)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert polls.tally(KEY, 0).answered == 60


# ----- bounds --------------------------------------------------------------------------------


def test_a_quiz_nobody_touched_for_the_idle_time_is_dropped():
    clock = Clock()
    polls = ClassPolls(idle_s=60, clock=clock)
    polls.record(KEY, 0, "anna", 10, True)
    polls.advance(KEY, 0)
    clock.now += 59
    assert len(polls) == 1 and polls.follow(KEY) == 1  # touched: the idle time starts again
    clock.now += 61
    assert len(polls) == 0
    assert polls.tally(KEY, 0).answered == 0


def test_past_the_cap_on_quizzes_the_least_recently_used_goes():
    clock = Clock()
    polls = ClassPolls(max_polls=2, clock=clock)
    first, second, third = (PollKey("pooling", seed, 1) for seed in (1, 2, 3))
    polls.advance(first, 0)
    clock.now += 1
    polls.advance(second, 0)
    clock.now += 1
    polls.follow(first)  # the first class is still active
    clock.now += 1
    polls.follow(third)
    assert len(polls) == 2
    assert polls.follow(first) == 1  # kept
    assert polls.follow(second, start=0) == 0  # dropped: opened afresh


def test_past_the_cap_on_students_more_may_follow_but_are_not_counted():
    polls = ClassPolls(max_students=2)
    assert answer_all(polls, KEY, 0, [(10, True), (9, False), (8, False)]) == [True, True, False]
    assert polls.follow(KEY, "s2") == 0  # the third still sees the class's question
    assert polls.tally(KEY, 0).answered == 2 and polls.tally(KEY, 0).following == 2


def test_only_the_latest_questions_answers_are_kept():
    polls = ClassPolls(max_questions=2)
    for number in range(4):
        polls.record(KEY, number, "anna", 1, True)
        polls.advance(KEY, number)
    assert [polls.tally(KEY, n).answered for n in range(4)] == [0, 0, 1, 1]


# ----- the spread: the chart's bars --------------------------------------------------------


def conv_question(**setting):
    """Question 0 of the class quiz, with its setting replaced."""
    question = quiz.make_question("conv_size", 1, 2, 0)
    params = dict(size=10, kernel=4, stride=1, padding="same", dilation=1) | setting
    return quiz.Question("conv_size", 1, 2, 0, question.prompt, params)


def test_the_spread_marks_the_right_answer_and_names_each_wrong_one_by_its_slip():
    question = conv_question(size=10, kernel=3, padding=1)  # the truth: 10
    polls = ClassPolls()
    answer_all(polls, KEY, 0, [(10, True), (8, False), (8, False), (9, False), (13, False), (None, False)])
    bars = class_poll.spread(question, polls.tally(KEY, 0))
    assert [(b.answer, b.count, b.correct, b.slip) for b in bars] == [
        ("8", 2, False, "padding forgotten"),
        ("10", 1, True, ""),
        ("9", 1, False, "the +1 forgotten"),
        ("13", 1, False, ""),
        ("does not fit", 1, False, "“does not fit”, yet it fits"),
    ]


def test_the_spread_shows_the_right_answer_even_when_nobody_gave_it():
    question = conv_question(size=10, kernel=3, padding=1)
    polls = ClassPolls()
    answer_all(polls, KEY, 0, [(8, False)])
    bars = class_poll.spread(question, polls.tally(KEY, 0))
    assert [(b.answer, b.count, b.correct) for b in bars] == [("8", 1, False), ("10", 0, True)]


def test_a_dilated_kernel_slip_and_rounding_up_are_named():
    dilated = conv_question(size=12, kernel=3, padding="valid", dilation=2)  # K_eff 5: 8
    assert class_poll.short_slip(quiz.likely_slip(dilated, 10)) == "K instead of the dilated K"
    floored = conv_question(size=10, kernel=3, stride=2, padding="valid")  # (10 - 3)/2 + 1 = 4.5 → 4
    assert class_poll.short_slip(quiz.likely_slip(floored, 5)) == "rounding up"


@pytest.mark.parametrize("kind", quiz.KINDS)
def test_every_slip_the_quiz_names_has_a_short_name_for_the_chart(kind):
    """Each kind's slip sentences, found by trying answers near the truth over many questions,
    have a few-word name (a new slip sentence in cnn_core/quiz fails here until it gets one)."""
    unnamed = set()
    for seed in range(60):
        for level in range(quiz.MIN_LEVEL, quiz.MAX_LEVEL + 1):
            question = quiz.make_question(kind, seed, level, 0)
            for given in _near(question):
                sentence = quiz.likely_slip(question, given)
                if sentence and class_poll.short_slip(sentence) == sentence:
                    unnamed.add(sentence)
    assert not unnamed, unnamed


def _near(question):
    """Wrong answers a student might give: around the truth, the slips' own results, no fit."""
    truth = quiz.true_answer(question)
    p = question.params
    if question.kind == "shape":
        return [truth[::-1], (truth[-1], *truth[:-1])] if isinstance(truth, tuple) and len(truth) == 3 else []
    if question.kind == "params":
        cfg = p["config"]
        return [truth - cfg["filters"], truth + cfg["filters"], truth - cfg["dense"]]
    if question.kind == "pool_value":
        window = [p["grid"][r][c] for r, c in quiz.window_cells(question)]
        return [0.0, sum(window) / p["pool"] ** 2]  # padding won the max; the whole window divided
    options = [None] + list(range(0, 40))
    return [g for g in options if g != truth]


def test_answers_are_written_as_the_chart_labels_them():
    size = conv_question()
    shape = quiz.make_question("shape", 3, 2, 0)
    assert class_poll.answer_text(size, 14) == "14"
    assert class_poll.answer_text(size, None) == "does not fit"
    assert class_poll.answer_text(shape, (14, 14, 32)) == "14×14×32"
