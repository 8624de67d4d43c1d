"""cnn_core's plain formula text, as the models and shapes modules write it, in LaTeX for the reveal."""

from __future__ import annotations


def latex_text(text: str) -> str:
    """Plain formula text ("3×3×1×32 + 32 = 320", "⌊(28 + 1 + 1 − 3) / 1⌋ + 1") in LaTeX."""
    out = (
        text.replace(" · no weights", " no weights")
        .replace(",", "{,}")
        .replace("×", r" \times ")
        .replace("−", "-")
        .replace("·", r"\cdot")
    )
    out = (
        out.replace("⌊", r"\lfloor ")
        .replace("⌋", r"\rfloor ")
        .replace("⌈", r"\lceil ")
        .replace("⌉", r"\rceil ")
    )
    return out.replace(" no weights", "")


def shape_latex(shape: tuple[int, ...]) -> str:
    """A tensor shape without the batch axis: "14 \\times 14 \\times 32", or "1764" after a Flatten."""
    return r" \times ".join(str(n) for n in shape) if len(shape) > 1 else f"{shape[0]}"
