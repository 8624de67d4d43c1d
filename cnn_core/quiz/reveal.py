"""The reveal: the student's text against cnn_core's answer, in a sentence and a formula."""

from __future__ import annotations

from .answers import Unreadable, answer_words, parse_answer
from .question import NO_FIT_TEXT, VALUE_TOLERANCE, Answer, Question, Verdict
from .questions import explain, likely_slip, true_answer


def check(question: Question, answer_text: str) -> Verdict:
    """Compare the student's text with cnn_core's answer; explain with the formula either way."""
    truth = true_answer(question)
    truth_text = describe_answer(question, truth)
    formula = tuple(explain(question))
    try:
        given = parse_answer(answer_text, question.form)
    except Unreadable as exc:
        return Verdict(None, truth, truth_text, None, f"{exc} It does not count as an answer.", formula)
    if question.form == "value":
        correct = abs(float(given) - float(truth)) <= VALUE_TOLERANCE + 1e-12  # type: ignore[arg-type]
    else:
        correct = given == truth
    if correct:
        sentence = f"Right: {truth_text}."
        if question.kind == "pool_value" and isinstance(truth, float) and given != truth:
            sentence = f"Right: {truth_text} (exactly {truth:.4g})."
    else:
        said = NO_FIT_TEXT if given is None else answer_words(given)
        sentence = f"Not quite: you said {said}; the answer is {truth_text}."
        slip = likely_slip(question, given)
        if slip:
            sentence += " " + slip
    return Verdict(bool(correct), truth, truth_text, given, sentence, formula)


def describe_answer(question: Question, answer: Answer) -> str:
    """An answer in words: "14 (14×14)", "does not fit", "(14, 14, 32)", "2.25", "320"."""
    if answer is None:
        return f"it {NO_FIT_TEXT}"
    if question.form == "size":
        return f"{answer} ({answer}×{answer})"
    return answer_words(answer)
