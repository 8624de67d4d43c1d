"""The output-size formulas written out with one layer's numbers or letters, as plain text or
LaTeX: "⌊(28 + 1 + 1 − 3) / 1⌋ + 1", "⌈28 / 2⌉", "I + P_before + P_after". The numbers come from
:mod:`cnn_core.shapes`, which computes the sizes; the shape table, the quiz's reveal and the pages
write a formula with these functions, never by hand.
"""

from __future__ import annotations

from .shapes import Padding, conv_output_size, effective_kernel_size, padding_amounts, padding_mode


def padded_input_formula(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: Padding = "valid",
    dilation: int = 1,
    *,
    symbols: bool = False,
    latex: bool = False,
) -> str:
    """The padded input I + P_before + P_after along one axis, as a sum: "28 + 1 + 1" for 'same'
    (its two amounts), "28 + 2·1" for one zero on each side, "28" for 'valid'. With ``symbols``
    the letters instead ("I + P_before + P_after", "I + 2P", "I"); ``latex`` writes it for KaTeX."""
    mode = padding_mode(padding)
    if mode == "explicit" and padding == 0:
        mode = "valid"
    if symbols:
        pad = {"valid": "", "same": " + P_before + P_after", "explicit": " + 2P"}[mode]
        return _render(f"I{pad}", latex)
    before, after = padding_amounts(size, kernel, stride, padding, dilation)
    pad = {"valid": "", "same": f" + {before} + {after}", "explicit": f" + 2·{padding}"}[mode]
    return _render(f"{size}{pad}", latex)


def conv_size_formula(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: Padding = "valid",
    dilation: int = 1,
    *,
    symbols: bool = False,
    latex: bool = False,
) -> str:
    """The right-hand side of O = ⌊(I + P_before + P_after − K_eff) / S⌋ + 1 with this layer's
    numbers, e.g. "⌊(28 + 1 + 1 − 3) / 1⌋ + 1" (no result: callers add it). With ``symbols`` the
    letters instead, only the padding terms and K_eff that apply; ``latex`` writes it for KaTeX."""
    padded = padded_input_formula(size, kernel, stride, padding, dilation, symbols=symbols)
    if symbols:
        k_eff, s = ("K_eff" if dilation > 1 else "K"), "S"
    else:
        k_eff, s = effective_kernel_size(kernel, dilation), stride
    return _floor_plus_one(f"{padded} − {k_eff}", s, latex)


def pool_size_formula(
    size: int,
    pool: int,
    stride: int | None = None,
    padding: str = "valid",
    *,
    symbols: bool = False,
    latex: bool = False,
) -> str:
    """The right-hand side of a pooling's output size with these numbers: 'valid' "⌊(28 − 2) / 2⌋ + 1",
    'same' "⌈28 / 2⌉" (no result: callers add it). With ``symbols`` the letters I, F and S instead;
    ``latex`` writes it for KaTeX."""
    stride = pool if stride is None else stride
    i, f, s = ("I", "F", "S") if symbols else (size, pool, stride)
    if padding.lower() == "same":
        return rf"\left\lceil \frac{{{i}}}{{{s}}} \right\rceil" if latex else f"⌈{i} / {s}⌉"
    return _floor_plus_one(f"{i} − {f}", s, latex)


def tutorial_size_latex(size: int, kernel: int, stride: int, pad: int, compared_to: int | None = None) -> str:
    r"""Formula (1.1) as the tutorial writes it (no floor), with these numbers, as LaTeX:
    ``O = \dfrac{I - K + 2P}{S} + 1 = O`` (sizes in pixels, ``pad`` zeros on each side); with
    ``compared_to``, the result is set against that size with ``=`` or ``\neq`` (the tutorial's
    "padding 2 keeps 28" is ``... = 30 \neq 28``)."""
    output = conv_output_size(size, kernel, stride, pad)
    latex = rf"O = \dfrac{{{size} - {kernel} + 2 \cdot {pad}}}{{{stride}}} + 1 = {output}"
    if compared_to is not None:
        relation = "=" if output == compared_to else r"\neq"
        latex += f" {relation} {compared_to}"
    return latex


def _floor_plus_one(numerator: str, denominator: int | str, latex: bool) -> str:
    if latex:
        return rf"\left\lfloor \frac{{{_render(numerator, True)}}}{{{denominator}}} \right\rfloor + 1"
    return f"⌊({numerator}) / {denominator}⌋ + 1"


def _render(text: str, latex: bool) -> str:
    """Plain formula text as is, or for KaTeX: minus signs, dots and subscripts."""
    if not latex:
        return text
    for plain, tex in (
        ("−", "-"),
        ("·", r"\cdot"),
        ("_eff", "_{eff}"),
        ("_before", "_{before}"),
        ("_after", "_{after}"),
    ):
        text = text.replace(plain, tex)
    return text
