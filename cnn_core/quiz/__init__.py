"""Quiz me: the app poses a setting, the student answers first, then sees the truth worked out.

Five kinds of question (:data:`KINDS`), one module each: a convolution's output size
(``conv_size``), a pooling's output size (``pool_size``), the value one max/average pooling
window produces (``pool_value``), a layer's parameter count (``params``), a layer's output shape
(``shape``). :func:`make_question` is deterministic: the same kind, seed, difficulty and question
number give every student the same question, so an instructor's link (mode, seed, difficulty)
gives a whole class the same quiz. Difficulty runs from 1 (small clean numbers) to 5 (dilation,
floors, kernels that do not fit, windows over the edge).

Every answer and formula comes from the tested functions of ``cnn_core`` (``shapes``' sizes,
formulas and layer code, ``kernels.pool2d``, ``models.summarize``, ``layer_shapes.shape_chain``),
never from a second copy of the arithmetic. :func:`check` reads the student's text leniently and
returns a :class:`Verdict` with the formula (LaTeX) worked out with the question's numbers.
Pure Python and numpy: no Streamlit, no TensorFlow.
"""

from .answers import Unreadable, parse_answer
from .question import (
    DOWN_AFTER,
    KIND_TITLES,
    KINDS,
    MAX_LEVEL,
    MIN_LEVEL,
    NO_FIT_TEXT,
    PAGE_KINDS,
    UP_AFTER,
    VALUE_TOLERANCE,
    Answer,
    Question,
    Score,
    Verdict,
)
from .questions import explain, likely_slip, make_question, question_rows, true_answer, window_cells
from .reveal import check, describe_answer

__all__ = [
    "DOWN_AFTER",
    "KIND_TITLES",
    "KINDS",
    "MAX_LEVEL",
    "MIN_LEVEL",
    "NO_FIT_TEXT",
    "PAGE_KINDS",
    "UP_AFTER",
    "VALUE_TOLERANCE",
    "Answer",
    "Question",
    "Score",
    "Unreadable",
    "Verdict",
    "check",
    "describe_answer",
    "explain",
    "likely_slip",
    "make_question",
    "parse_answer",
    "question_rows",
    "true_answer",
    "window_cells",
]
