"""A quiz's questions from its link: the kind (or page), the seed, the level and the question's
number pick one, and each kind's module answers, explains and names the slip."""

from __future__ import annotations

import random
from types import ModuleType

from .. import models
from . import conv_size, params, pool_size, pool_value, shape
from .question import KINDS, MAX_LEVEL, MIN_LEVEL, PAGE_KINDS, Answer, Question

_MODULES: dict[str, ModuleType] = {
    "conv_size": conv_size,
    "pool_size": pool_size,
    "pool_value": pool_value,
    "params": params,
    "shape": shape,
}


def make_question(kind: str, seed: int, difficulty: int, number: int = 0) -> Question:
    """Question ``number`` (from 0) of a quiz of ``kind`` (or a page name of :data:`PAGE_KINDS`).

    Deterministic in (kind, seed, difficulty, number): every student with the same link gets the
    same question, and "Next question" is ``number + 1``. ``difficulty`` 1–5 (clamped).
    """
    kinds = _kinds(kind)
    level = min(MAX_LEVEL, max(MIN_LEVEL, int(difficulty)))
    rng = random.Random(f"cnn-explorer-quiz:{kind}:{int(seed)}:{level}:{int(number)}")
    chosen = kinds[rng.randrange(len(kinds))] if len(kinds) > 1 else kinds[0]
    prompt, setting, code = _MODULES[chosen].make(rng, level)
    return Question(chosen, int(seed), level, int(number), prompt, setting, code)


def _kinds(kind: str) -> tuple[str, ...]:
    if kind in PAGE_KINDS:
        return PAGE_KINDS[kind]
    if kind in KINDS:
        return (kind,)
    raise ValueError(f"Unknown quiz {kind!r}: choose one of {', '.join(KINDS + tuple(PAGE_KINDS))}.")


def _module(question: Question) -> ModuleType:
    if question.kind not in _MODULES:
        raise ValueError(f"Unknown question kind {question.kind!r}.")
    return _MODULES[question.kind]


def true_answer(question: Question) -> Answer:
    """The answer, computed by cnn_core: None when the kernel or window does not fit."""
    return _module(question).answer(question.params)


def explain(question: Question) -> list[str]:
    """LaTeX lines: the formula, then with the question's numbers, ending in cnn_core's answer."""
    return _module(question).explain(question.params, true_answer(question))


def likely_slip(question: Question, given: Answer) -> str:
    """A sentence naming the mistake that gives ``given``, if a common one does; else ""."""
    return _module(question).slip(question.params, given, true_answer(question))


def window_cells(question: Question) -> list[tuple[int, int]]:
    """The (row, column) input cells of a pool_value question's window (real pixels only)."""
    return pool_value.cells(question.params)


def question_rows(question: Question) -> list[models.LayerRow]:
    """The layers a params or shape question is about, from its input to the layer asked, as
    summary rows (shapes without the batch axis) for ``figures.model.shape_flow_figure``."""
    if question.kind in ("params", "shape"):
        return _module(question).rows(question.params)
    raise ValueError(f"A {question.kind} question has no layers to draw.")
