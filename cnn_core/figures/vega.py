"""The shared Vega-Lite toolkit: spec building blocks the pages' grid and image figures use.

A spec is a plain dict (Vega-Lite's grammar, built directly rather than through Altair, so a
slider move costs milliseconds) whose data sit in ``spec["datasets"]`` as small DataFrames,
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
TEXT_WHITE = "#ffffff"
# A text mark outside the grid, in the page's text colour: dark on a light background, light on
# a dark one. Streamlit colours axes, legends and titles by the theme but not text marks; the
# chart's background (the theme's, which Streamlit sets) is Vega's "background" signal.
THEME_TEXT = {"expr": "luminance(background) > 0.5 ? '#111111' : '#edebe8'"}
# Drawn on a <canvas>: vega's SVG renderer makes one DOM node per cell and text, which the
# browser must lay out and paint on every slider move. vega-embed reads its options from usermeta.
IMAGE_CELL_PX = 9  # an image's pixel on screen: a 28×28 digit is 252 px wide
CANVAS = {"embedOptions": {"renderer": "canvas"}}
# Natural size: without it Streamlit asks a single view to "fit" its width and height, which
# squeezes the title and legend into the grid's own height and squashes the cells.
PAD = {"type": "pad", "contains": "content"}


def cell_size(n: int, target: int = 340, lo: int = 8, hi: int = 40) -> int:
    """Pixels per cell so that an n-cell grid is about ``target`` px wide (clamped to lo..hi)."""
    return int(max(lo, min(hi, target // max(n, 1))))


def image_chart(
    image: np.ndarray, title: str, signed: bool | None = None, name: str = "image"
) -> Spec:
    """A heatmap of an (H, W) image, ``IMAGE_CELL_PX`` px per pixel, with its value on hover.

    Unsigned images (pixels 0–255, a blur) go white → black like the tutorial's
    ``plt.cm.binary``, so ink is dark; signed ones (edges, sharpen) go blue → white → red centred
    on zero, so "no response" is white. ``signed=None`` decides from the data. ``name`` names the
    dataset.
    """
    image = np.asarray(image, dtype=float)
    h, w = image.shape
    cell = IMAGE_CELL_PX
    frame = cell_frame(h, w, value=image.ravel())
    if signed is None:
        signed = bool((image < -1e-9).any())
    if signed:
        bound = float(np.abs(image).max()) or 1.0
        scale = diverging(bound)
    else:
        scale = {"range": ["#ffffff", "#000000"], "domain": [0, float(image.max()) or 1.0]}
    colour = {
        "field": "value", "type": "quantitative", "scale": scale,
        "legend": {"title": None, "orient": "bottom", "gradientLength": max(60, cell * w - 10),
                   "format": ".2~f"},
    }
    layer = rect_layer(name, max(h, w), colour, ["row", "column", "value"], gap=0)
    # A thin frame: white background pixels would otherwise melt into the page, and the frame
    # is what shows how much smaller an output is than its input.
    frame_layer = outline_layer([box(0, 0, h, w)], max(h, w), FRAME_COLOUR, 1)
    for spec_layer in (layer, frame_layer):
        spec_layer["encoding"]["x"]["scale"] = axis_scale(w)
        spec_layer["encoding"]["y"]["scale"] = axis_scale(h, True)
        spec_layer["encoding"]["x"]["axis"] = spec_layer["encoding"]["y"]["axis"] = None
    return {
        "$schema": SCHEMA,
        "datasets": {name: frame},
        "title": title,
        "width": w * cell,
        "height": h * cell,
        "layer": [layer, frame_layer],
        "usermeta": CANVAS,
        "autosize": PAD,
        "config": base_config(),
    }


def framed_map_chart(
    image: np.ndarray, title: str, frame: int, signed: bool | None = None, name: str = "map"
) -> Spec:
    """An (H, W) map (a feature map, a pooled image) drawn top-left in a frame×frame-cell box,
    ``IMAGE_CELL_PX`` px per pixel, with its value on hover.

    Like :func:`image_chart` (white → black, or blue → white → red around zero when ``signed``),
    but the spec depends only on ``frame`` and ``signed``: the map's size, title and
    colour bound travel in the data, so a map of another size is redrawn in place. Colours follow
    value / (largest |value|), so there is no colour bar: the page's caption names the bound.
    """
    image = np.asarray(image, dtype=float)
    h, w = image.shape
    n = max(frame, h, w)
    if signed is None:
        signed = bool((image < -1e-9).any())
    bound = float(np.abs(image).max()) or 1.0
    cells = cell_frame(h, w, value=image.ravel(), shade=image.ravel() / bound)
    scale = diverging(1.0) if signed else {"range": ["#ffffff", "#000000"], "domain": [0, 1.0]}
    colour = {"field": "shade", "type": "quantitative", "scale": scale, "legend": None}
    edge = {**outline_layer([], n, FRAME_COLOUR, 1), "data": {"name": f"{name}_edge"}}
    return {
        "$schema": SCHEMA,
        "datasets": {
            name: cells,
            f"{name}_edge": pd.DataFrame([box(0, 0, h, w)]),
            f"{name}_title": pd.DataFrame({"title": [title]}),
        },
        **view("", n, IMAGE_CELL_PX, [rect_layer(name, n, colour, ["row", "column", "value"], gap=0), edge,
                              title_layer(f"{name}_title")]),
        "usermeta": CANVAS,
        "autosize": PAD,
        "config": base_config(),
    }


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
        "mark": {"type": "text", "align": "left", "baseline": "bottom", "fontSize": 14, "fontWeight": "bold",
                 "dy": -6, "color": THEME_TEXT},
        "encoding": {"x": {"value": 0}, "y": {"value": 0}, "text": {"field": "title", "type": "nominal"}},
    }


def box(top: int, left: int, height: int, width: int) -> dict[str, int]:
    """A rectangle in cell coordinates, for :func:`outline_layer`."""
    return {"x": int(left), "x2": int(left + width), "y": int(top), "y2": int(top + height)}


def diverging(bound: float) -> dict[str, Any]:
    """Blue (negative) – white (exactly zero) – red (positive), symmetric about zero."""
    return {"domain": [-bound, 0, bound], "range": ["#2166ac", "#ffffff", "#b2182b"], "interpolate": "lab"}


def axis_scale(n: int, reverse: bool = False) -> dict[str, Any]:
    """A linear x or y scale over cells 0..n exactly (``reverse`` for y: rows go down)."""
    return {"domain": [0, n], "nice": False, "zero": False, "reverse": reverse}


def _axis(n: int, title: str, offset: int, orient: str) -> dict[str, Any]:
    """Index labels at cell centres, in image coordinates (cell − ``offset``: padding < 0);
    thinned out on big grids so they never overlap."""
    every = 1 if n <= 16 else (2 if n <= 32 else 4)
    return {
        "values": [i + 0.5 for i in range(0, n, every)], "labelExpr": f"floor(datum.value) - {offset}",
        "orient": orient, "labelAngle": 0, "labelOverlap": False, "ticks": False, "domain": False, "grid": False,
        "title": title, "labelFontSize": 10, "titleFontSize": 11,
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
            "x": {"field": "x", "type": "quantitative", "scale": axis_scale(n),
                  "axis": None if axes is None else _axis(n, "column", axes, "top")},
            "x2": {"field": "x2"},
            "y": {"field": "y", "type": "quantitative", "scale": axis_scale(n, True),
                  "axis": None if axes is None else _axis(n, "row", axes, "left")},
            "y2": {"field": "y2"},
            "color": colour,
            "tooltip": [
                {"field": f, "type": types.get(f, "quantitative"), **({"format": ".2f"} if f == "value" else {})}
                for f in tooltip
            ],
        },
    }


def text_layer(
    data: str,
    n: int,
    dark_above: float | None = None,
    signed_bound: float | None = None,
    size: int = 12,
    signed_field: str = "value",
    field: str = "value",
) -> Spec:
    """Each cell's ``label`` at its centre; white on dark cells, dark elsewhere."""
    if signed_bound is not None:
        colour = {"condition": {"test": f"abs(datum.{signed_field}) > {0.6 * signed_bound}", "value": TEXT_WHITE},
                  "value": TEXT_DARK}
    else:
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



def map_description(image: np.ndarray, title: str) -> str:
    """One line for the ``alt`` text of :func:`image_chart` or :func:`framed_map_chart`: the
    title, how the colours read, and the range of values."""
    image = np.asarray(image, dtype=float)
    lo, hi = float(image.min()), float(image.max())
    shades = ("blue below zero, white at zero, red above" if lo < -1e-9
              else "white at 0, darker for larger values")
    return f"{title}: a {image.shape[0]}×{image.shape[1]} heat map, {shades}; values from {lo:.3g} to {hi:.3g}."
