"""The shared Vega-Lite toolkit: spec building blocks of the grid figures (Quiz me's reveal) and
the schema the live training curves use.

A spec is a plain dict (Vega-Lite's grammar, built directly rather than through Altair: building
a layered Altair chart took 0.15–0.35 s) whose data sit in ``spec["datasets"]`` as small DataFrames,
ready for ``st.vega_lite_chart(spec)``; tests read those datasets to check what is drawn.
Grids are drawn in cell coordinates: cell (row, col) covers x in [col, col + 1] and y in
[row, row + 1], rows going down.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import palette

Spec = dict[str, Any]
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

WINDOW_COLOUR = palette.VERMILLION  # the outline of the current window / receptive field / winner
FRAME_COLOUR = "#94a3b8"  # thin outlines: an image's edge, the pooling windows
TEXT_DARK = "#1f2937"
TEXT_WHITE = palette.WHITE
# A text mark outside the grid, in the page's text colour: dark on a light background, light on
# a dark one. Streamlit colours axes, legends and titles by the theme but not text marks; the
# chart's background (the theme's, which Streamlit sets) is Vega's "background" signal.
THEME_TEXT = {
    "expr": f"luminance(background) > 0.5 ? '{palette.THEME_TEXT_COLOURS['light']}' "
    f": '{palette.THEME_TEXT_COLOURS['dark']}'"
}
# Drawn on a <canvas>: vega's SVG renderer makes one DOM node per cell and text, which the
# browser must lay out and paint on every slider move. vega-embed reads its options from usermeta.
CANVAS = {"embedOptions": {"renderer": "canvas"}}
# Natural size: without it Streamlit asks a single view to "fit" its width and height, which
# squeezes the title and legend into the grid's own height and squashes the cells.
PAD = {"type": "pad", "contains": "content"}


def cell_size(n: int, target: int = 340, lo: int = 8, hi: int = 40) -> int:
    """Pixels per cell so that an n-cell grid is about ``target`` px wide (clamped to lo..hi)."""
    return int(max(lo, min(hi, target // max(n, 1))))


# --- building blocks -------------------------------------------------------------------------


def cell_frame(h: int, w: int | None = None, offset: int = 0, **columns: Any) -> pd.DataFrame:
    """One row per cell in reading order: its rectangle (x, x2, y, y2), its (row, column) minus
    ``offset``, and ``columns`` (arrays of h·w values)."""
    w = h if w is None else w
    rr, cc = np.divmod(np.arange(h * w), w)
    return pd.DataFrame(
        {"x": cc, "x2": cc + 1, "y": rr, "y2": rr + 1, "row": rr - offset, "column": cc - offset, **columns}
    )


def title_layer(data: str) -> Spec:
    """A view's title as a text mark just above its top-left corner, read from dataset ``data``
    (one row, column "title"): a title that changes is then data, not a new spec."""
    return {
        "data": {"name": data},
        "mark": {
            "type": "text",
            "align": "left",
            "baseline": "bottom",
            "fontSize": 14,
            "fontWeight": "bold",
            "dy": -6,
            "color": THEME_TEXT,
        },
        "encoding": {"x": {"value": 0}, "y": {"value": 0}, "text": {"field": "title", "type": "nominal"}},
    }


def box(top: int, left: int, height: int, width: int) -> dict[str, int]:
    """A rectangle in cell coordinates, for :func:`outline_layer`."""
    return {"x": int(left), "x2": int(left + width), "y": int(top), "y2": int(top + height)}


def axis_scale(n: int, reverse: bool = False) -> dict[str, Any]:
    """A linear x or y scale over cells 0..n exactly (``reverse`` for y: rows go down)."""
    return {"domain": [0, n], "nice": False, "zero": False, "reverse": reverse}


def _axis(n: int, title: str, offset: int, orient: str) -> dict[str, Any]:
    """Index labels at cell centres, in image coordinates (cell − ``offset``: padding < 0);
    thinned out on big grids so they never overlap."""
    every = 1 if n <= 16 else (2 if n <= 32 else 4)
    return {
        "values": [i + 0.5 for i in range(0, n, every)],
        "labelExpr": f"floor(datum.value) - {offset}",
        "orient": orient,
        "labelAngle": 0,
        "labelOverlap": False,
        "ticks": False,
        "domain": False,
        "grid": False,
        "title": title,
        "labelFontSize": 10,
        "titleFontSize": 11,
    }


def view(title: str, n: int, cell: int, layers: list[Spec]) -> Spec:
    """Layers on one n×n grid. Layers share their x/y axes: the first layer's axes (or none)
    are the view's, so the others must not bring default axes of their own."""
    first = layers[0]["encoding"]
    for layer in layers[1:]:
        for channel in ("x", "y"):
            if channel in layer["encoding"] and first[channel].get("axis", 0) is None:
                layer["encoding"][channel]["axis"] = None
    return {**({"title": title} if title else {}), "width": n * cell, "height": n * cell, "layer": layers}


def rect_layer(
    data: str, n: int, colour: dict[str, Any], tooltip: list[str], axes: int | None = None, gap: float = 1
) -> Spec:
    """One rect per cell of dataset ``data``; with ``axes`` (an offset) the grid gets index axes."""
    types = {"role": "nominal"}
    return {
        "data": {"name": data},
        "mark": {"type": "rect", "stroke": "white", "strokeWidth": gap} if gap else {"type": "rect"},
        "encoding": {
            "x": {
                "field": "x",
                "type": "quantitative",
                "scale": axis_scale(n),
                "axis": None if axes is None else _axis(n, "column", axes, "top"),
            },
            "x2": {"field": "x2"},
            "y": {
                "field": "y",
                "type": "quantitative",
                "scale": axis_scale(n, True),
                "axis": None if axes is None else _axis(n, "row", axes, "left"),
            },
            "y2": {"field": "y2"},
            "color": colour,
            "tooltip": [
                {
                    "field": f,
                    "type": types.get(f, "quantitative"),
                    **({"format": ".2f"} if f == "value" else {}),
                }
                for f in tooltip
            ],
        },
    }


def text_layer(
    data: str,
    n: int,
    dark_above: float | None = None,
    size: int = 12,
    field: str = "value",
) -> Spec:
    """Each cell's ``label`` at its centre; white on cells whose ``field`` is above ``dark_above``,
    dark elsewhere."""
    colour = {"condition": {"test": f"datum.{field} > {dark_above}", "value": TEXT_WHITE}, "value": TEXT_DARK}
    return {
        "data": {"name": data},
        "transform": [{"calculate": "datum.x + 0.5", "as": "cx"}, {"calculate": "datum.y + 0.5", "as": "cy"}],
        "mark": {"type": "text", "fontSize": size, "baseline": "middle", "align": "center"},
        "encoding": {
            "x": {"field": "cx", "type": "quantitative", "scale": axis_scale(n)},
            "y": {"field": "cy", "type": "quantitative", "scale": axis_scale(n, True)},
            "text": {"field": "label", "type": "nominal"},
            "color": colour,
        },
    }


def outline_layer(
    boxes: list[dict[str, int]], n: int, colour: str, width: float, dash: list[int] | None = None
) -> Spec:
    """Unfilled rectangles (see :func:`box`) on an n-cell grid: windows, receptive fields, the
    image edge. The few boxes travel inline in the spec."""
    mark: dict[str, Any] = {"type": "rect", "fill": None, "stroke": colour, "strokeWidth": width}
    if dash:
        mark["strokeDash"] = dash
    return {
        "data": {"values": boxes},
        "mark": mark,
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "scale": axis_scale(n)},
            "x2": {"field": "x2"},
            "y": {"field": "y", "type": "quantitative", "scale": axis_scale(n, True)},
            "y2": {"field": "y2"},
        },
    }


def base_config(**extra: Any) -> dict[str, Any]:
    """The look every figure shares (no view border, left-aligned titles), plus ``extra``."""
    return {"view": {"stroke": None}, "title": {"fontSize": 14, "anchor": "start"}, **extra}
