"""The quiz's reveal: the picture of a question's setting, drawn by the pages' own figures.

A convolution question shows the window on the padded input (``figures.convolution``), a pooling
question the grid with its windows outlined (``figures.pooling``), a model question the tensor's
shape from the input to the layer asked (``figures.model``). Each picture comes with one sentence
that says what it shows: the caption under it and its text alternative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quiz, shapes
from ..formulas import plural
from . import convolution, pooling
from .vega import Spec

CONV_WIDTH_PX = 560  # both grids of the convolution picture together, about
POOL_WIDTH_PX = 470  # as on the Pooling page
POOL_MIN_CELL_PX = 12  # a 31×31 'same' grid still fits a laptop's column (numbers left out)
DIAGRAM_DPI = 90  # the diagram is at least 6 inches wide: about 540 px


@dataclass(frozen=True)
class RevealPicture:
    """A Vega-Lite ``spec`` or a ``png`` (or neither, when there is nothing to draw) and the
    sentence that says what it shows."""

    caption: str
    spec: Spec | None = None
    png: bytes | None = None


def window_count(question: quiz.Question) -> int:
    """How many window positions a size question's picture can show (0: one fixed picture)."""
    out = quiz.true_answer(question) if question.kind in ("conv_size", "pool_size") else None
    return 0 if out is None else int(out) ** 2  # type: ignore[arg-type]  (a size is an int)


def reveal_picture(question: quiz.Question, window: int | None = None) -> RevealPicture:
    """The picture of ``question``'s setting, with the true answer in it. For a size question,
    ``window`` (reading order, from 0) is the window position drawn; None draws the last one,
    where the floor or the ceiling shows."""
    if question.kind == "conv_size":
        return _conv_picture(question, window)
    if question.kind == "pool_size":
        return _pool_size_picture(question, window)
    if question.kind == "pool_value":
        return _pool_value_picture(question)
    if question.kind in ("params", "shape"):
        from . import model, mpl  # matplotlib: loaded by the Model page's quiz only

        rows = quiz.question_rows(question)
        flow = " → ".join("×".join(str(n) for n in row.output_shape) for row in rows)
        fig = model.shape_flow_figure(rows)
        png = mpl.figure_png(fig, dpi=DIAGRAM_DPI)
        fig.clear()
        caption = f"The tensor's shape from the input to the layer asked: {flow}."
        if question.kind == "params":
            caption += f" Its parameters: {rows[-1].params_formula}."
        return RevealPicture(caption, png=png)
    raise ValueError(f"Unknown question kind {question.kind!r}.")


def _conv_picture(question: quiz.Question, window: int | None) -> RevealPicture:
    p = question.params
    args = (p["size"], p["kernel"], p["stride"], p["padding"], p["dilation"])
    before, after = shapes.padding_amounts(*args)
    padded = p["size"] + before + after
    k_eff = shapes.effective_kernel_size(p["kernel"], p["dilation"])
    if quiz.true_answer(question) is None:
        return RevealPicture(
            f"Nothing to draw: the kernel spans {k_eff}×{k_eff} pixels and the padded input is only "
            f"{padded}×{padded}, so there is no place for even one window."
        )
    a = shapes.conv_arithmetic(*args)
    count = a.output * a.output
    step = count - 1 if window is None else min(max(window, 0), count - 1)
    ends = (
        f"the last {_rows_and_columns(a.remainder, 'padded ')} never reached: that is the floor"
        if a.remainder
        else "the last window ends exactly on the last padded row and column: no floor"
    )
    caption = (
        f"Window {step + 1} of the {a.output}×{a.output} = {count} positions: a {k_eff}×{k_eff} span on "
        f"the {padded}×{padded} padded input, moving {_count(p['stride'], 'pixel')} per step; {ends}."
    )
    spec = convolution.conv_window_chart(*args, step=step, width=CONV_WIDTH_PX)
    return RevealPicture(caption, spec=spec)


def _pool_size_picture(question: quiz.Question, window: int | None) -> RevealPicture:
    p = question.params
    size, pool, stride, padding = p["size"], p["pool"], p["stride"], p["padding"]
    if quiz.true_answer(question) is None:
        return RevealPicture(
            f"Nothing to draw: a {pool}×{pool} window does not fit in a {size}×{size} "
            "input, and 'valid' adds no padding."
        )
    # Any numbers do for a size question; these are the same for everyone with the link.
    values = np.random.default_rng([question.seed, question.number, size]).integers(0, 10, (size, size))
    positions = shapes.pool_window_positions(size, pool, stride, padding)
    out, last = len(positions), positions[-1]
    count = out * out
    selected = count - 1 if window is None else min(max(window, 0), count - 1)
    if padding == "valid":
        left = size - 1 - last[-1]
        ends = (
            f"the last {_rows_and_columns(left)} in no window: the floor"
            if left
            else "the last window ends exactly on the last row and column"
        )
    else:
        ends = (
            f"the last window covers {_count(len(last), 'real row')} of {pool}: 'same' keeps it (the ceiling)"
            if len(last) < pool
            else "the last window ends exactly on the last row and column"
        )
    caption = (
        f"All {out}×{out} = {count} windows ({pool}×{pool}, stride {stride}, '{padding}') on the "
        f"{size}×{size} input, window {selected + 1} thick; {ends}."
    )
    spec = pooling.pool_grid_chart(
        values,
        pool,
        stride,
        padding,
        p.get("mode", "max"),
        selected,
        width=POOL_WIDTH_PX,
        min_cell=POOL_MIN_CELL_PX,
    )
    return RevealPicture(caption, spec=spec)


def _pool_value_picture(question: quiz.Question) -> RevealPicture:
    p = question.params
    grid = np.array(p["grid"])
    out = shapes.pool_output_size(len(grid), p["pool"], p["stride"], p["padding"])
    row, col = p["cell"]
    cells = quiz.window_cells(question)
    answer = quiz.describe_answer(question, quiz.true_answer(question))
    caption = (
        f"The asked window (thick outline) and the output cell it makes (row {row}, column {col}): "
        f"the {p['mode']} of its {_count(len(cells), 'real pixel')} is {answer}."
    )
    spec = pooling.pool_grid_chart(
        grid, p["pool"], p["stride"], p["padding"], p["mode"], row * out + col, width=POOL_WIDTH_PX
    )
    return RevealPicture(caption, spec=spec)


def _count(n: int, noun: str) -> str:
    return f"{n} {plural(n, noun)}"


def _rows_and_columns(n: int, adjective: str = "") -> str:
    return f"{adjective}row and column is" if n == 1 else f"{n} {adjective}rows and columns are"
