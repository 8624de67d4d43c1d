"""What a quiz is made of: the kinds of question, a question, its verdict and the running score."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Union

KINDS = ("conv_size", "pool_size", "pool_value", "params", "shape")
KIND_TITLES = {
    "conv_size": "a convolution's output size",
    "pool_size": "a pooling layer's output size",
    "pool_value": "the value of one pooling window",
    "params": "a layer's parameter count",
    "shape": "a layer's output shape",
}
# The kinds each page asks; a page's name is accepted wherever a kind is, and mixes its kinds.
PAGE_KINDS = {
    "convolution": ("conv_size",),
    "pooling": ("pool_size", "pool_value"),
    "model": ("params", "shape"),
}
# What an answer of each kind looks like (the form :func:`cnn_core.quiz.parse_answer` reads).
FORMS = {"conv_size": "size", "pool_size": "size", "pool_value": "value", "params": "count", "shape": "shape"}
MIN_LEVEL, MAX_LEVEL = 1, 5
UP_AFTER = 2  # right answers in a row that move the difficulty up one level
DOWN_AFTER = 2  # wrong answers in a row that move it down one level
VALUE_TOLERANCE = 0.005  # a pooled average may be given to two decimals
NO_FIT_TEXT = "does not fit"

Answer = Union[int, float, tuple[int, ...], None]  # None: the kernel/window does not fit


@dataclass(frozen=True)
class Question:
    """One question. ``params`` holds its setting (what a page needs to draw the picture):

    conv_size: size, kernel, stride, padding ("valid", "same" or P), dilation;
    pool_size: size, pool, stride, padding ("valid"/"same"), mode ("max"/"average");
    pool_value: grid (rows of ints), pool, stride, padding, mode ("max"/"average"), cell (r, c);
    params: layer ("conv"/"dense"), the summary row asked about, the ModelConfig fields it is cut
    from, and for a conv the code's stride and padding;
    shape: size, channels and layers (tuple of ``layer_shapes.LayerSpec``).
    Sizes are in pixels along one axis (the inputs are square).
    """

    kind: str
    seed: int
    difficulty: int
    number: int
    prompt: str  # markdown, one or two sentences
    params: dict[str, Any] = field(hash=False)
    code: str = ""  # the Keras lines the question is about, when there are any

    @property
    def form(self) -> str:
        """What an answer looks like: "size", "value", "count" or "shape"."""
        return FORMS[self.kind]


@dataclass(frozen=True)
class Verdict:
    """The reveal. ``correct`` is None when the answer could not be read (it does not count)."""

    correct: bool | None
    answer: Answer  # the true answer
    answer_text: str
    given: Answer  # what the student's text was read as (None if unreadable or "does not fit")
    sentence: str  # right/wrong in words, the truth, and the likely slip when there is one
    formula: tuple[str, ...] = ()  # LaTeX lines with the question's numbers, ending in the truth


@dataclass(frozen=True)
class Score:
    """A session's running score; :meth:`record` returns the next one (and the next level)."""

    right: int = 0
    asked: int = 0
    streak: int = 0  # right answers in a row
    misses: int = 0  # wrong answers in a row
    level: int = MIN_LEVEL

    def record(self, correct: bool | None) -> "Score":
        """Count one verdict: ``UP_AFTER`` right in a row go up a level, ``DOWN_AFTER`` wrong down.

        An unreadable answer (None) changes nothing.
        """
        if correct is None:
            return self
        if correct:
            streak = self.streak + 1
            up = streak % UP_AFTER == 0
            return replace(
                self,
                right=self.right + 1,
                asked=self.asked + 1,
                streak=streak,
                misses=0,
                level=min(MAX_LEVEL, self.level + 1) if up else self.level,
            )
        misses = self.misses + 1
        down = misses >= DOWN_AFTER
        return replace(
            self,
            asked=self.asked + 1,
            streak=0,
            misses=0 if down else misses,
            level=max(MIN_LEVEL, self.level - 1) if down else self.level,
        )

    @property
    def text(self) -> str:
        """The score in words: "5 of 8 right, 2 in a row · level 3 of 5"."""
        run = f", {self.streak} in a row" if self.streak > 1 else ""
        return f"{self.right} of {self.asked} right{run} · level {self.level} of {MAX_LEVEL}"
