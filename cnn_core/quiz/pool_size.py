"""Questions on a pooling layer's output size: the setting, the answer, the formula and the slips.

Level 1: 2×2, stride 2, even sizes. 2: pool 2–3, no floor. 3: stride ≠ pool or 'same'. 4: the
floor ('valid') or the ceiling ('same') bites. 5: mixed, some windows that do not fit.
Sizes are pixels along one axis of a square input.
"""

from __future__ import annotations

import random
from typing import Any

from .. import shapes, size_formulas
from .question import MAX_LEVEL, NO_FIT_TEXT, Answer


def make(rng: random.Random, level: int) -> tuple[str, dict[str, Any], str]:
    """A question's prompt, setting (size, pool, stride, padding, mode) and Keras code."""
    want_no_fit = level == MAX_LEVEL and rng.random() < 1 / 4
    for _ in range(10_000):
        size = rng.choice((4, 6, 8, 12, 14, 16, 24, 28)) if level <= 2 else rng.randint(3, 31)
        pool = 2 if level == 1 else rng.choice((2, 3))
        stride, padding = pool, "valid"
        if level >= 3:
            stride = rng.choice((1, 2, 3))
            padding = rng.choice(("valid", "same"))
        if level >= 4:
            pool = rng.choice((2, 3, 4))
        if want_no_fit:
            size, padding = rng.randint(1, pool - 1), "valid"
        if _fits_level(size, pool, stride, padding, level, want_no_fit):
            mode = rng.choice(("max", "average"))
            params = dict(size=size, pool=pool, stride=stride, padding=padding, mode=mode)
            return _prompt(params), params, shapes.pool_layer_code(pool, stride, padding, mode, explicit=True)
    raise RuntimeError("no pooling question found")  # pragma: no cover


def _fits_level(size: int, pool: int, stride: int, padding: str, level: int, want_no_fit: bool) -> bool:
    """Whether a drawn setting is the case ``level`` asks for: exact, rounded, or no fit."""
    try:
        out = shapes.pool_output_size(size, pool, stride, padding)
        # Whether the formula needs its floor/ceiling: the last window ends on the last pixel.
        ends = shapes.pool_window_positions(size, pool, stride, padding)[-1][-1] == size - 1
        exact = ends and (padding == "valid" or size % stride == 0)
        case = "exact" if exact else "rounded"
    except ValueError:
        out, case = 0, "no fit"
    if want_no_fit:
        return case == "no fit"
    if level <= 2:
        return case == "exact" and out > 1
    if level == 3:
        return case == "exact" and (stride != pool or padding == "same")
    return case == "rounded"


def _prompt(p: dict[str, Any]) -> str:
    pool, stride = p["pool"], p["stride"]
    stride_text = f"stride {stride}" + (" (the default: the pool size)" if stride == pool else "")
    return (
        f"{p['mode'].capitalize()} pooling with a {pool}×{pool} window, "
        f"{stride_text}, padding '{p['padding']}', on a {p['size']}×{p['size']} input. What is the "
        f"output size? (Type *{NO_FIT_TEXT}* if the window does not fit.)"
    )


def answer(p: dict[str, Any]) -> Answer:
    """The output size from ``shapes.pool_output_size``; None when the window does not fit."""
    try:
        return shapes.pool_output_size(p["size"], p["pool"], p["stride"], p["padding"])
    except ValueError:
        return None


def explain(p: dict[str, Any], truth: Answer) -> list[str]:
    """LaTeX lines: the formula of the question's padding, then with its numbers."""
    size, pool, stride, padding = p["size"], p["pool"], p["stride"], p["padding"]
    if truth is None:
        return [rf"F = {pool} > I = {size}", r"\text{the window does not fit ('valid' pads nothing)}"]
    return [
        "O = " + size_formulas.pool_size_formula(size, pool, stride, padding, symbols=True, latex=True),
        "O = " + size_formulas.pool_size_formula(size, pool, stride, padding, latex=True) + f" = {truth}",
    ]


def slip(p: dict[str, Any], given: Answer, truth: Answer) -> str:
    """The common mistake that gives ``given``, in a sentence, or ""."""
    if not isinstance(given, int) or truth is None:
        return ""
    if p["padding"] == "valid" and given == truth + 1:
        return "Did you round up? 'valid' pooling floors: a part-window at the end is dropped."
    if p["padding"] == "same" and given == truth - 1:
        return "Did you round down? 'same' pooling keeps the part-window at the end: ⌈I / S⌉."
    return ""
