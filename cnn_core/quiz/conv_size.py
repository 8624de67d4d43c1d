"""Questions on a convolution's output size: the setting, the answer, the formula and the slips.

Level 1: stride 1, no padding. 2: padding P or 'same'. 3: stride 2–3, no floor. 4: the floor
bites, or dilation. 5: dilation, floors and (one time in three) a kernel that does not fit.
Sizes are pixels along one axis of a square input.
"""

from __future__ import annotations

import random
from typing import Any

from .. import shapes, size_formulas
from .question import MAX_LEVEL, NO_FIT_TEXT, Answer


def make(rng: random.Random, level: int) -> tuple[str, dict[str, Any], str]:
    """A question's prompt, setting (size, kernel, stride, padding, dilation) and Keras code."""
    # Levels 4 and 5 pick their case first, so rejection does not tilt the mix.
    target = "plain"
    if level == 4:
        target = rng.choice(("floor", "floor", "dilation"))
    elif level == MAX_LEVEL:
        target = rng.choice(("no fit", "floor", "dilation"))
    for _ in range(10_000):
        params = _draw(rng, level, target)
        if _fits_level(params, level, target):
            return _prompt(params), params, shapes.conv_layer_code(**params)
    raise RuntimeError("no convolution question found")  # pragma: no cover  (10,000 draws)


def _draw(rng: random.Random, level: int, target: str) -> dict[str, Any]:
    """One random setting for ``level``; the draws are in a fixed order (the seed's questions)."""
    want_no_fit = target == "no fit"
    size = rng.choice((5, 6, 7, 8, 9, 10, 12, 28)) if level <= 2 else rng.randint(5, 32)
    kernel = rng.choice((1, 3, 3, 5)) if level == 1 else rng.choice((2, 3, 3, 4, 5, 7))
    stride, dilation, padding = 1, 1, "valid"
    if level >= 2:
        padding = rng.choice(("valid", "same", 1, 2) if level == 2 else ("valid", "same", 1, 2, 3))
    if level >= 3:
        stride = rng.choice((1, 2, 2, 3))
    if target == "dilation" or (want_no_fit and rng.random() < 0.5):
        stride, dilation = 1, rng.choice((2, 3))
    if want_no_fit:
        size = rng.randint(2, 6)
    return dict(size=size, kernel=kernel, stride=stride, padding=padding, dilation=dilation)


def _fits_level(p: dict[str, Any], level: int, target: str) -> bool:
    """Whether a drawn setting is the case ``level`` asks for (clean, floored, dilated, no fit)."""
    kind = case(p)
    if target == "no fit":
        return kind == "no fit"
    if level <= 2:
        return kind == "exact" and (level == 1 or p["padding"] != "valid") and p["size"] > p["kernel"]
    if level == 3:
        return kind == "exact" and p["stride"] > 1
    if target == "dilation":
        return kind != "no fit" and p["padding"] != "valid"
    return kind == "floor"


def _prompt(p: dict[str, Any]) -> str:
    size, kernel, padding, dilation = p["size"], p["kernel"], p["padding"], p["dilation"]
    pad = {"valid": "no padding ('valid')", "same": "padding 'same'"}.get(
        padding, f"padding P = {padding} on each side"
    )  # type: ignore[arg-type]
    dil = f", dilation D = {dilation}" if dilation > 1 else ""
    return (
        f"{_article(size)} {size}×{size} input, a {kernel}×{kernel} kernel, stride S = {p['stride']}, "
        f"{pad}{dil}. What is the output size O? (Type *{NO_FIT_TEXT}* if the kernel does not fit.)"
    )


def _article(size: int) -> str:
    return "An" if str(size).startswith("8") or size in (11, 18) else "A"


def case(p: dict[str, Any]) -> str:
    """'exact', 'floor' or 'no fit', as ``shapes.conv_arithmetic`` decides."""
    try:
        arithmetic = shapes.conv_arithmetic(p["size"], p["kernel"], p["stride"], p["padding"], p["dilation"])
    except ValueError:
        return "no fit"
    return "exact" if arithmetic.exact else "floor"


def answer(p: dict[str, Any]) -> Answer:
    """The output size from ``shapes.conv_output_size``; None when the kernel does not fit."""
    try:
        return shapes.conv_output_size(p["size"], p["kernel"], p["stride"], p["padding"], p["dilation"])
    except ValueError:
        return None


def explain(p: dict[str, Any], truth: Answer) -> list[str]:
    """LaTeX lines: K_eff and the 'same' split where they apply, the formula, then its numbers."""
    args = (p["size"], p["kernel"], p["stride"], p["padding"], p["dilation"])
    size, kernel, stride, padding, dilation = args
    before, after = shapes.padding_amounts(*args)
    k_eff = shapes.effective_kernel_size(kernel, dilation)
    lines = []
    if dilation > 1:
        lines.append(
            rf"K_{{eff}} = K + (K - 1)(D - 1) = {kernel} + {kernel - 1}\cdot{dilation - 1} = {k_eff}"
        )
    if padding == "same":
        lines.append(rf"\text{{'same': }} P_{{before}} + P_{{after}} = {before} + {after}")
    if truth is None:
        k_text = "K_{eff}" if dilation > 1 else "K"
        letters = size_formulas.padded_input_formula(*args, symbols=True, latex=True)
        numbers = size_formulas.padded_input_formula(*args, latex=True)
        padded = f"{letters} = {numbers} = {size + before + after}" if letters != "I" else f"I = {size}"
        return lines + [rf"{k_text} = {k_eff} > {padded}", r"\text{the kernel does not fit}"]
    arithmetic = shapes.conv_arithmetic(*args)
    floor_step = "" if arithmetic.exact else rf" = \lfloor {arithmetic.numerator / stride:.4g} \rfloor + 1"
    lines.append("O = " + size_formulas.conv_size_formula(*args, symbols=True, latex=True))
    lines.append("O = " + size_formulas.conv_size_formula(*args, latex=True) + f"{floor_step} = {truth}")
    return lines


def slip(p: dict[str, Any], given: Answer, truth: Answer) -> str:
    """The common mistake that gives ``given``, in a sentence, or ""."""
    if given is None:
        return "The kernel fits: count the padded input against the kernel's span."
    if not isinstance(given, int):
        return ""
    tries = []
    if p["padding"] not in ("valid", 0):
        tries.append(("Did you leave out the padding?", dict(padding="valid")))
    if p["dilation"] > 1:
        k_eff = shapes.effective_kernel_size(p["kernel"], p["dilation"])
        tries.append(
            (f"Did you use K = {p['kernel']} instead of the dilated span K_eff = {k_eff}?", dict(dilation=1))
        )
    if p["stride"] > 1:
        tries.append(("Did you forget to divide by the stride?", dict(stride=1)))
    for sentence, change in tries:
        if answer({**p, **change}) == given:
            return sentence
    if truth is not None and given == truth - 1:
        return "Did you forget the + 1 (the first window's position)?"
    if truth is not None and given == truth + 1 and case(p) == "floor":
        return "Did you round up? The formula floors: a window that would hang over the end is not taken."
    return ""
