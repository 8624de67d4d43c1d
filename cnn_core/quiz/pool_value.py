"""Questions on the value one max/average pooling window produces, on a small grid of digits.

Level 1: max, 2×2 stride 2 on 4×4 digits 0–9. 2: average too. 3: 3×3 windows, overlapping
strides. 4: negative values, non-whole averages. 5: 'same' padding, a window over the edge.
The answer is ``kernels.pool2d``'s, which pools the real pixels only, as TensorFlow does.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from .. import kernels, shapes
from .question import MAX_LEVEL, VALUE_TOLERANCE, Answer


def make(rng: random.Random, level: int) -> tuple[str, dict[str, Any], str]:
    """A question's prompt, setting (grid, pool, stride, padding, mode, cell) and Keras code."""
    mode = "max" if level == 1 else rng.choice(("max", "average"))
    for _ in range(10_000):
        n = 4 if level <= 2 else rng.choice((5, 6))
        low = -9 if level >= 4 else 0
        grid = tuple(tuple(rng.randint(low, 9) for _ in range(n)) for _ in range(n))
        pool = 2 if level <= 2 else rng.choice((2, 3))
        stride = pool if level <= 2 else rng.choice((1, 2))
        padding = "same" if level == MAX_LEVEL else "valid"
        try:
            out = shapes.pool_output_size(n, pool, stride, padding)
        except ValueError:
            continue
        cell = (rng.randrange(out), rng.randrange(out))
        params = dict(grid=grid, pool=pool, stride=stride, padding=padding, mode=mode, cell=cell)
        if _fits_level(params, level):
            return _prompt(params), params, shapes.pool_layer_code(pool, stride, padding, mode, explicit=True)
    raise RuntimeError("no pooling-window question found")  # pragma: no cover


def _fits_level(p: dict[str, Any], level: int) -> bool:
    """Whether the drawn window is the case ``level`` asks for (clean, negative, over the edge)."""
    rows, cols = _window(p)
    over_edge = len(rows) < p["pool"] or len(cols) < p["pool"]
    if level == MAX_LEVEL and (not over_edge or len(rows) * len(cols) < 2):
        return False  # over the edge, with at least two real pixels to pool
    value = answer(p)
    if level <= 3 and p["mode"] == "average" and value != int(value):
        return False  # clean averages first
    if level == 4 and (p["mode"] == "max" and value >= 0 or p["mode"] == "average" and value == int(value)):
        return False  # a negative max, or an average that is not whole
    return True


def _prompt(p: dict[str, Any]) -> str:
    rows, cols = _window(p)
    pool, cell, n = p["pool"], p["cell"], len(p["grid"])
    over_edge = len(rows) < pool or len(cols) < pool
    where = (
        f"the window of output cell (row {cell[0]}, column {cell[1]})"
        if over_edge
        else f"the window over rows {rows[0]}–{rows[-1]}, columns {cols[0]}–{cols[-1]}"
    )
    edge = " With 'same' padding that window hangs over the edge of the grid." if over_edge else ""
    return (
        f"{p['mode'].capitalize()} pooling, {pool}×{pool} window, stride {p['stride']}, padding "
        f"'{p['padding']}', on the {n}×{n} grid below (rows and columns counted from 0). What value "
        f"does {where} produce?{edge}" + (" Two decimals are enough." if p["mode"] == "average" else "")
    )


def _window(p: dict[str, Any]) -> tuple[list[int], list[int]]:
    """The real input rows and columns of the asked cell's window."""
    positions = shapes.pool_window_positions(len(p["grid"]), p["pool"], p["stride"], p["padding"])
    return positions[p["cell"][0]], positions[p["cell"][1]]


def cells(p: dict[str, Any]) -> list[tuple[int, int]]:
    """The (row, column) input cells of the asked window, real pixels only, in reading order."""
    rows, cols = _window(p)
    return [(r, c) for r in rows for c in cols]


def answer(p: dict[str, Any]) -> int | float:
    """The asked cell of ``kernels.pool2d``'s output: an int when it is whole."""
    pooled = kernels.pool2d(np.array(p["grid"], dtype=float), p["pool"], p["stride"], p["padding"], p["mode"])
    value = float(pooled[p["cell"]])
    return int(value) if value == int(value) else value


def explain(p: dict[str, Any], truth: Answer) -> list[str]:
    """LaTeX lines: the window's values and their max or mean (with the sum first, row by row,
    for windows of more than four cells)."""
    values = [p["grid"][r][c] for r, c in cells(p)]
    edge = []
    if len(values) < p["pool"] ** 2:  # 'same' padding: TensorFlow pools the real pixels only
        edge = [
            rf"\text{{over the edge: {len(values)} of {p['pool']}$\times${p['pool']} cells are real; "
            rf"padding is not {'a candidate' if p['mode'] == 'max' else 'counted'}}}"
        ]
    if p["mode"] == "max":
        return edge + [rf"\max({', '.join(str(v) for v in values)}) = {truth}"]
    shown = f"{truth:.4g}" if isinstance(truth, float) else str(truth)
    if len(values) <= 4:
        return edge + [rf"\frac{{{_signed_sum(values)}}}{{{len(values)}}} = {shown}"]
    total = round(float(truth) * len(values))  # the window's sum, read back from pool2d's mean
    width = len(set(_window(p)[1]))  # one line per window row, to fit a phone's width
    rows = [values[i : i + width] for i in range(0, len(values), width)]
    lines = [_signed_sum(row, first=r == 0) for r, row in enumerate(rows)]
    summed = r"\begin{aligned}\text{sum} &= " + r" \\ &\quad ".join(lines) + rf" = {total}\end{{aligned}}"
    return edge + [summed, rf"\frac{{{total}}}{{{len(values)}}} = {shown}"]


def _signed_sum(values: list[int], first: bool = True) -> str:
    """ "3 + 4 - 2": each value after the first (or every value, when not ``first``) with its sign."""
    return " ".join(
        str(v) if first and i == 0 else (f"- {-v}" if v < 0 else f"+ {v}") for i, v in enumerate(values)
    )


def slip(p: dict[str, Any], given: Answer, truth: Answer) -> str:
    """The common mistake with 'same' padding that gives ``given``, in a sentence, or ""."""
    if given is None or p["padding"] != "same":
        return ""
    values = np.array([p["grid"][r][c] for r, c in cells(p)], dtype=float)
    if p["mode"] == "average" and abs(float(given) - values.sum() / p["pool"] ** 2) <= VALUE_TOLERANCE:
        return (
            "You divided by the whole window; TensorFlow averages the real pixels only "
            f"({values.size} here), padding is not counted."
        )
    if p["mode"] == "max" and given == 0 and values.max() < 0:
        return "Padding never wins a max in TensorFlow: the window's real pixels only."
    return ""
