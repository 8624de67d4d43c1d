"""The shared matplotlib toolkit: a bare ``Figure`` and its PNG bytes, as the pages show them.

A bare ``matplotlib.figure.Figure`` (not pyplot's) keeps no global figure list, so building one
is safe off the main thread and never leaks.
"""

from __future__ import annotations

import io
from typing import Any


def new_figure(width: float, height: float) -> Any:
    """An empty Figure of ``width`` × ``height`` inches at 100 dpi."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def figure_png(fig: Any, dpi: float | None = None, tight: bool = False) -> bytes:
    """PNG bytes of ``fig`` at its own dpi (or ``dpi``), fast zlib level: what a page shows.
    ``tight`` trims the margins to the drawing."""
    buf = io.BytesIO()
    fig.savefig(
        buf,
        format="png",
        dpi=dpi or fig.dpi,
        facecolor="white",
        pil_kwargs={"compress_level": 1},
        bbox_inches="tight" if tight else None,
    )
    return buf.getvalue()
