"""The Convolution and Pooling pages' figures, as Vega-Lite specs (built here, shown by the pages).

Each function returns a Vega-Lite spec: a plain dict whose data sit in ``spec["datasets"]`` as
small pandas DataFrames, ready for ``st.vega_lite_chart(spec)`` (Streamlit ships the frames as
Arrow). This is the grammar Altair writes, built directly: constructing the same layered charts
as Altair objects cost 0.15–0.35 s per figure on this 2-core machine (Altair deep-copies and
validates every piece), which alone would break the pages' "well under 0.1 s per slider move";
these dicts take a few milliseconds. Tests read the datasets to check what is drawn.

Grids are drawn in cell coordinates: cell (row, col) covers x in [col, col + 1] and y in
[row, row + 1], rows going down, so windows and receptive fields are plain rectangles laid over
the cells.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import kernels, shapes

Spec = dict[str, Any]
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

# One colour per role, the same on every figure, so the legend teaches once. Okabe–Ito's
# colour-blind-safe palette, every role its own hue or lightness; the cells that carry a "0"
# label (padding, wherever the window is) keep dark text at >= 4.5:1 contrast, white on the blue.
ROLE_COLOURS = {
    "image pixel": "#bdbdbd",  # grey
    "padding zero": "#f0e442",  # yellow
    "never reached": "#cc79a7",  # reddish purple
    "read by the kernel": "#0072b2",  # blue (white text)
    "skipped by dilation": "#56b4e9",  # sky blue
    "already computed": "#009e73",  # bluish green
    "this output": "#e69f00",  # orange, like the window's outline
    "still to come": "#eeeeee",  # pale grey
}
WINDOW_COLOUR = "#ea580c"  # the outline of the current window / receptive field / winner
WINNER_COLOUR = "#16a34a"  # rings around the other windows' winners
TEXT_DARK = "#1f2937"
TEXT_WHITE = "#ffffff"
CELL_FONT_PX = 12  # numbers in grid cells, at most ...
CELL_FONT_MIN_PX = 8  # ... and at least: on smaller cells the numbers are left out (hover shows them)


def cell_size(n: int, target: int = 340, lo: int = 8, hi: int = 40) -> int:
    """Pixels per cell so that an n-cell grid is about ``target`` px wide (clamped to lo..hi)."""
    return int(max(lo, min(hi, target // max(n, 1))))


def conv_window_chart(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: shapes.Padding = "valid",
    dilation: int = 1,
    step: int = 0,
    width: int = 760,
) -> Spec:
    """The padded input grid beside the output grid, for output cell number ``step``.

    Left: every cell of the (I + P_before + P_after)² padded input, coloured by role: real
    pixel, padding zero, never reached by any window (the floor's remainder), the K² pixels the
    kernel reads at this step and the pixels its dilated span skips; the receptive field is
    outlined, the real image dashed. Axes count in image coordinates (padding is negative or
    ≥ I). Right: the O² output, with this step's cell, the ones before it and the rest, drawn at
    the same cell size so the shrinking shows. ``step`` counts output cells in reading order
    (0 .. O² − 1); ``width`` is about how many pixels both grids may take together. Raises
    ``ValueError`` like :func:`shapes.conv_output_size`, or for a step outside the output.
    """
    arithmetic = shapes.conv_arithmetic(size, kernel, stride, padding, dilation)
    out, before, padded = arithmetic.output, arithmetic.pad_before, arithmetic.padded
    if not 0 <= step < out * out:
        raise ValueError(f"Step {step} is outside the {out}×{out} output (0 to {out * out - 1}).")
    row, col = divmod(step, out)
    # The output view is as big as the input's (its cells top-left, at the same cell size): the
    # spec then depends only on I, the padding, D and what the legend lists, and a new kernel size
    # or step changes only the data, which the browser updates in place instead of re-drawing.
    cell = cell_size(2 * padded + 3, target=width, lo=8, hi=40)  # + 3: spacing and axes

    index = np.arange(padded)
    real = (index >= before) & (index < before + size)
    roles = np.where(real[:, None] & real[None, :], "image pixel", "padding zero").astype(object)
    reach = padded - arithmetic.remainder  # rows/columns from here on are never read
    roles[reach:, :] = "never reached"
    roles[:, reach:] = "never reached"
    top, left, span = row * stride, col * stride, arithmetic.k_eff
    roles[top : top + span, left : left + span] = "skipped by dilation"
    taps = top + np.arange(kernel) * dilation, left + np.arange(kernel) * dilation
    roles[np.ix_(*taps)] = "read by the kernel"
    grid = _cell_frame(
        padded, offset=before, role=roles.ravel(),
        # Every padding cell says "0", even under the window: the kernel multiplies zeros there.
        label=np.where((real[:, None] & real[None, :]).ravel(), "", "0"),
        value=(roles == "read by the kernel").ravel().astype(float),  # 1: white text
    )

    order = np.arange(out * out)
    o_roles = np.where(order < step, "already computed", "still to come").astype(object)
    o_roles[step] = "this output"
    output = _cell_frame(out, role=o_roles)
    # The legend lists only the roles this picture shows (dilation gaps only when D > 1, ...);
    # the output's three always, so that the step alone never changes the spec.
    present = set(roles.ravel()) | {"already computed", "this output", "still to come"}
    colour = _role_colour([r for r in ROLE_COLOURS if r in present])
    title = f"Input {size}×{size}" + (f", padded to {padded}×{padded}" if padded != size else "")
    input_view = _view(
        title, padded, cell,
        [
            _rect_layer("input", padded, colour, ["row", "column", "role"], axes=before),
            *([_text_layer("input", padded, dark_above=0.5)] if cell >= 16 else []),
            _outline_layer([_box(before, before, size, size)], padded, "#334155", 1.5, dash=[4, 3]),
            # By name, not inline: moving the window then changes only the data, and the
            # browser updates the drawn chart instead of building it anew.
            {**_outline_layer([], padded, WINDOW_COLOUR, 3), "data": {"name": "window"}},
        ],
    )

    # Its title is a text mark over the grid, drawn from the data for the same reason.
    output_view = _view(
        "", padded, cell,
        [_rect_layer("output", padded, colour, ["row", "column", "role"]), _title_layer("output_title")],
    )
    return {
        "$schema": SCHEMA,
        "datasets": {
            "input": grid, "output": output, "window": pd.DataFrame([_box(top, left, span, span)]),
            "output_title": pd.DataFrame({"title": [f"Output {out}×{out}"]}),
        },
        "hconcat": [input_view, output_view],
        "spacing": 36,
        "bounds": "flush",  # the two grids' tops line up, whatever titles and axes sit above them
        "resolve": {"scale": {"color": "shared"}},
        "usermeta": CANVAS,
        "autosize": PAD,
        "config": _config(legend={"orient": "bottom", "columns": 4, "labelFontSize": 12, "symbolSize": 180}),
    }


def pool_grid_chart(
    values: np.ndarray,
    pool: int,
    stride: int | None = None,
    padding: str = "valid",
    mode: str = "max",
    selected: int = 0,
    decimals: int = 0,
    width: int = 520,
) -> Spec:
    """A grid of numbers with every pooling window outlined, beside the pooled grid.

    ``values`` is a square (I, I) array (e.g. 0–9, or a digit shrunk to a few cells, 0–255).
    Window number ``selected`` (reading order) is drawn thick and its output cell outlined; for
    max pooling every window's winning cell is ringed (the selected one's in orange). Padding
    cells of "same" are drawn empty and labelled "pad": they never win and never count. Raises
    ``ValueError`` like :func:`shapes.pool_output_size`, or for a window outside the output.
    ``width`` is about how many pixels both grids may take together.
    """
    values = np.asarray(values, dtype=float)
    size = values.shape[0]
    stride = pool if stride is None else stride
    pooled = kernels.pool2d(values, pool, stride, padding, mode)
    out = pooled.shape[0]
    if not 0 <= selected < out * out:
        raise ValueError(f"Window {selected} is outside the {out}×{out} output (0 to {out * out - 1}).")
    before, after = shapes.same_padding(size, pool, stride) if padding == "same" else (0, 0)
    padded = size + before + after
    # As in conv_window_chart, the output view is as big as the input's and everything that moves
    # (windows, winners, titles, shades) is data: a new pool size, stride or window changes only
    # the data, which the browser redraws in place.
    cell = cell_size(2 * padded + 3, target=width, lo=22, hi=48)  # + 3: spacing and axes
    vmax = max(float(np.max(values)), 1e-9)

    shown = np.full((padded, padded), np.nan)
    shown[before : before + size, before : before + size] = values
    grid = _cell_frame(
        padded, offset=before,
        value=np.nan_to_num(shown.ravel(), nan=-1.0),
        shade=np.nan_to_num(shown.ravel() / vmax, nan=-1.0),  # below the colour domain: drawn empty
        label=[("pad" if np.isnan(v) else f"{v:.{decimals}f}") for v in shown.ravel()],
    )

    starts = np.arange(out) * stride
    windows = [_box(int(r), int(c), pool, pool) for r in starts for c in starts]  # reading order
    sel_row, sel_col = divmod(selected, out)
    colour = {
        "condition": {"test": "datum.shade < 0", "value": "#fafafa"},
        "field": "shade", "type": "quantitative",
        "scale": {"scheme": "greys", "domain": [0, 1]}, "legend": None,
    }
    dark_above = 0.55  # of the largest value: white text from there on

    def named(layer: Spec, data: str) -> Spec:
        return {**layer, "data": {"name": data}}

    layers = [
        _rect_layer("pool_input", padded, colour, ["row", "column", "value"], axes=before),
        named(_outline_layer([], padded, "#94a3b8", 1.5), "pool_windows"),
    ]
    datasets: dict[str, pd.DataFrame] = {
        "pool_input": grid,
        "pool_windows": pd.DataFrame(windows),
        "pool_selected": pd.DataFrame([windows[selected]]),
        "pool_selected_out": pd.DataFrame([_box(sel_row, sel_col, 1, 1)]),
        "pool_output_title": pd.DataFrame({"title": [f"{mode.capitalize()} pooled {out}×{out}"]}),
    }
    if mode == "max":
        winners = kernels.pool_winners(values, pool, stride, padding).reshape(-1, 2) + before
        datasets["pool_rings"] = pd.DataFrame(
            {"cx": winners[:, 1] + 0.5, "cy": winners[:, 0] + 0.5, "selected": np.arange(len(winners)) == selected}
        )
        layers.append(
            {
                "data": {"name": "pool_rings"},
                "mark": {"type": "point", "shape": "circle", "filled": False, "strokeWidth": 2.5,
                         "size": (cell * 0.8) ** 2},
                "encoding": {
                    "x": {"field": "cx", "type": "quantitative", "scale": _scale(padded)},
                    "y": {"field": "cy", "type": "quantitative", "scale": _scale(padded, True)},
                    "color": {"condition": {"test": "datum.selected", "value": WINDOW_COLOUR},
                              "value": WINNER_COLOUR},
                },
            }
        )
    font = cell_font(list(grid["label"]) + list(pool_labels(pooled, mode, decimals)), cell)
    layers += [
        *([_text_layer("pool_input", padded, dark_above=dark_above, size=font, field="shade")] if font else []),
        named(_outline_layer([], padded, WINDOW_COLOUR, 4), "pool_selected"),
    ]
    extra = f" + padding {before}/{after}" if padded != size else ""
    input_view = _view(f"Input {size}×{size}{extra}", padded, cell, layers)

    datasets["pool_output"] = _cell_frame(
        out, value=pooled.ravel(), shade=pooled.ravel() / vmax, label=pool_labels(pooled, mode, decimals)
    )
    output_view = _view(
        "", padded, cell,
        [
            _rect_layer("pool_output", padded, colour, ["row", "column", "value"]),
            *([_text_layer("pool_output", padded, dark_above=dark_above, size=font, field="shade")] if font else []),
            named(_outline_layer([], padded, WINDOW_COLOUR, 4), "pool_selected_out"),
            _title_layer("pool_output_title"),
        ],
    )
    return {
        "$schema": SCHEMA,
        "datasets": datasets,
        "hconcat": [input_view, output_view],
        "spacing": 36,
        "bounds": "flush",
        "usermeta": CANVAS,
        "autosize": PAD,
        "config": _config(),
    }


def pool_labels(pooled: np.ndarray, mode: str, decimals: int = 0) -> list[str]:
    """The text of each pooled cell: max keeps the input's ``decimals``; a mean gets one more
    decimal on small numbers (0–9: "4.5") and none on big ones (0–255: "106", not "105.6", which
    would not fit a cell; the hover shows the exact value)."""
    pooled = np.asarray(pooled, dtype=float)
    digits = decimals if mode == "max" else (decimals if np.abs(pooled).max(initial=0) >= 100 else max(decimals, 1))
    return [f"{v:.{digits}f}" for v in pooled.ravel()]


def cell_font(labels: list[str], cell: int) -> int | None:
    """Font size (px) at which the longest of ``labels`` fits inside a ``cell``-px square cell
    (a digit is about 0.6 em wide; 2 px margin each side), at most CELL_FONT_PX; None when it
    would be under CELL_FONT_MIN_PX: then the cells carry no numbers at all."""
    chars = max((len(label) for label in labels), default=1) or 1
    size = min(CELL_FONT_PX, int((cell - 4) / (0.6 * chars)))
    return size if size >= CELL_FONT_MIN_PX else None


def image_chart(
    image: np.ndarray, title: str, cell: int = 9, signed: bool | None = None, name: str = "image"
) -> Spec:
    """A heatmap of an (H, W) image, ``cell`` px per pixel, with its value on hover.

    Unsigned images (pixels 0–255, a blur) go white → black like the tutorial's
    ``plt.cm.binary``, so ink is dark; signed ones (edges, sharpen) go blue → white → red centred
    on zero, so "no response" is white. ``signed=None`` decides from the data. ``name`` names the
    dataset, so that several images can sit in one :func:`images_side_by_side`.
    """
    image = np.asarray(image, dtype=float)
    h, w = image.shape
    frame = _cell_frame(h, w, value=image.ravel())
    if signed is None:
        signed = bool((image < -1e-9).any())
    if signed:
        bound = float(np.abs(image).max()) or 1.0
        scale = _diverging(bound)
    else:
        scale = {"range": ["#ffffff", "#000000"], "domain": [0, float(image.max()) or 1.0]}
    colour = {
        "field": "value", "type": "quantitative", "scale": scale,
        "legend": {"title": None, "orient": "bottom", "gradientLength": max(60, cell * w - 10),
                   "format": ".2~f"},
    }
    layer = _rect_layer(name, max(h, w), colour, ["row", "column", "value"], gap=0)
    # A thin frame: white background pixels would otherwise melt into the page, and the frame
    # is what shows how much smaller an output is than its input.
    frame_layer = _outline_layer([_box(0, 0, h, w)], max(h, w), "#94a3b8", 1)
    for spec_layer in (layer, frame_layer):
        spec_layer["encoding"]["x"]["scale"] = _scale(w)
        spec_layer["encoding"]["y"]["scale"] = _scale(h, True)
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
        "config": _config(),
    }


def images_side_by_side(*specs: Spec) -> Spec:
    """Several :func:`image_chart` specs (with distinct ``name`` s) in one row, own colour scales."""
    datasets: dict[str, pd.DataFrame] = {}
    views = []
    for spec in specs:
        datasets.update(spec["datasets"])
        views.append({k: v for k, v in spec.items() if k not in ("$schema", "datasets", "config", "usermeta", "autosize")})
    return {
        "$schema": SCHEMA,
        "datasets": datasets,
        "hconcat": views,
        "spacing": 40,
        "resolve": {"scale": {"color": "independent"}, "legend": {"color": "independent"}},
        "usermeta": CANVAS,
        "autosize": PAD,
        "config": _config(),
    }


def kernel_chart(kernel: np.ndarray, title: str = "Kernel weights", frame: int | None = None) -> Spec:
    """The K×K weights as a small blue–white–red heatmap with each number written in its cell.

    With ``frame`` (≥ K), the kernel sits top-left in a frame×frame-cell box and its title is
    drawn from the data: the spec is then the same for every K up to ``frame``, so a new kernel
    size is new data that the browser redraws in place instead of building a new chart.
    """
    kernel = np.asarray(kernel, dtype=float)
    k = kernel.shape[0]
    n = max(frame or k, k)
    digits = 0 if np.allclose(kernel, np.round(kernel)) else 2
    bound = float(np.abs(kernel).max()) or 1.0
    cells = _cell_frame(
        k, value=kernel.ravel(), shade=kernel.ravel() / bound, label=[f"{v:.{digits}f}" for v in kernel.ravel()]
    )
    cell = cell_size(n, target=170, lo=30, hi=46)
    colour = {"field": "shade", "type": "quantitative", "legend": None, "scale": _diverging(1.0)}
    layers = [
        _rect_layer("kernel", n, colour, ["row", "column", "value"]),
        _text_layer("kernel", n, dark_above=None, signed_bound=1.0, signed_field="shade", size=11 if n > 4 else 13),
    ]
    datasets = {"kernel": cells}
    if frame:
        layers.append(_title_layer("kernel_title"))
        datasets["kernel_title"] = pd.DataFrame({"title": [title]})
    return {
        "$schema": SCHEMA,
        "datasets": datasets,
        **_view("" if frame else title, n, cell, layers),
        "usermeta": CANVAS,
        "autosize": PAD,
        "config": _config(),
    }


def framed_map_chart(
    image: np.ndarray, title: str, frame: int, cell: int = 9, signed: bool | None = None, name: str = "map"
) -> Spec:
    """An (H, W) map (a feature map, a pooled image) drawn top-left in a frame×frame-cell box,
    ``cell`` px per pixel, with its value on hover.

    Like :func:`image_chart` (white → black, or blue → white → red around zero when ``signed``),
    but the spec depends only on ``frame``, ``cell`` and ``signed``: the map's size, title and
    colour bound travel in the data, so a map of another size is redrawn in place. Colours follow
    value / (largest |value|), so there is no colour bar: the page's caption names the bound.
    """
    image = np.asarray(image, dtype=float)
    h, w = image.shape
    n = max(frame, h, w)
    if signed is None:
        signed = bool((image < -1e-9).any())
    bound = float(np.abs(image).max()) or 1.0
    cells = _cell_frame(h, w, value=image.ravel(), shade=image.ravel() / bound)
    scale = _diverging(1.0) if signed else {"range": ["#ffffff", "#000000"], "domain": [0, 1.0]}
    colour = {"field": "shade", "type": "quantitative", "scale": scale, "legend": None}
    edge = {**_outline_layer([], n, "#94a3b8", 1), "data": {"name": f"{name}_edge"}}
    return {
        "$schema": SCHEMA,
        "datasets": {
            name: cells,
            f"{name}_edge": pd.DataFrame([_box(0, 0, h, w)]),
            f"{name}_title": pd.DataFrame({"title": [title]}),
        },
        **_view("", n, cell, [_rect_layer(name, n, colour, ["row", "column", "value"], gap=0), edge,
                              _title_layer(f"{name}_title")]),
        "usermeta": CANVAS,
        "autosize": PAD,
        "config": _config(),
    }


# --- building blocks -------------------------------------------------------------------------


def _cell_frame(h: int, w: int | None = None, offset: int = 0, **columns: Any) -> pd.DataFrame:
    """One row per cell in reading order: its rectangle (x, x2, y, y2), its (row, column) minus
    ``offset``, and ``columns`` (arrays of h·w values). Built in one go: it is the hot path."""
    w = h if w is None else w
    rr, cc = np.divmod(np.arange(h * w), w)
    return pd.DataFrame(
        {"x": cc, "x2": cc + 1, "y": rr, "y2": rr + 1, "row": rr - offset, "column": cc - offset, **columns}
    )


def _title_layer(data: str) -> Spec:
    """A view's title as a text mark just above its top-left corner, read from dataset ``data``
    (one row, column "title"): a title that changes is then data, not a new spec."""
    return {
        "data": {"name": data},
        "mark": {"type": "text", "align": "left", "baseline": "bottom", "fontSize": 14, "fontWeight": "bold",
                 "dy": -6},
        "encoding": {"x": {"value": 0}, "y": {"value": 0}, "text": {"field": "title", "type": "nominal"}},
    }


def _box(top: int, left: int, height: int, width: int) -> dict[str, int]:
    """A rectangle in cell coordinates, for :func:`_outline_layer`."""
    return {"x": int(left), "x2": int(left + width), "y": int(top), "y2": int(top + height)}


def _diverging(bound: float) -> dict[str, Any]:
    """Blue (negative) – white (exactly zero) – red (positive), symmetric about zero."""
    return {"domain": [-bound, 0, bound], "range": ["#2166ac", "#ffffff", "#b2182b"], "interpolate": "lab"}


def _scale(n: int, reverse: bool = False) -> dict[str, Any]:
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


def _view(title: str, n: int, cell: int, layers: list[Spec]) -> Spec:
    """Layers on one n×n grid. Layers share their x/y axes: the first layer's axes (or none)
    are the view's, so the others must not bring default axes of their own."""
    first = layers[0]["encoding"]
    for layer in layers[1:]:
        for channel in ("x", "y"):
            if channel in layer["encoding"] and first[channel].get("axis", 0) is None:
                layer["encoding"][channel]["axis"] = None
    return {**({"title": title} if title else {}), "width": n * cell, "height": n * cell, "layer": layers}


def _role_colour(shown: list[str] | None = None) -> dict[str, Any]:
    """Colour by role with the fixed palette; the legend lists ``shown`` (default: all roles)."""
    return {
        "field": "role", "type": "nominal", "legend": {"title": None, "values": shown or list(ROLE_COLOURS)},
        "scale": {"domain": list(ROLE_COLOURS), "range": list(ROLE_COLOURS.values())},
    }


def _rect_layer(
    data: str, n: int, colour: dict[str, Any], tooltip: list[str], axes: int | None = None, gap: float = 1
) -> Spec:
    """One rect per cell of dataset ``data``; with ``axes`` (an offset) the grid gets index axes."""
    types = {"role": "nominal"}
    return {
        "data": {"name": data},
        "mark": {"type": "rect", "stroke": "white", "strokeWidth": gap} if gap else {"type": "rect"},
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "scale": _scale(n),
                  "axis": None if axes is None else _axis(n, "column", axes, "top")},
            "x2": {"field": "x2"},
            "y": {"field": "y", "type": "quantitative", "scale": _scale(n, True),
                  "axis": None if axes is None else _axis(n, "row", axes, "left")},
            "y2": {"field": "y2"},
            "color": colour,
            "tooltip": [
                {"field": f, "type": types.get(f, "quantitative"), **({"format": ".2f"} if f == "value" else {})}
                for f in tooltip
            ],
        },
    }


def _text_layer(
    data: str,
    n: int,
    fixed: str | None = None,
    dark_above: float | None = None,
    signed_bound: float | None = None,
    size: int = 12,
    signed_field: str = "value",
    field: str = "value",
) -> Spec:
    """Each cell's ``label`` at its centre; white on dark cells, dark elsewhere."""
    if fixed is not None:
        colour: dict[str, Any] = {"value": fixed}
    elif signed_bound is not None:
        colour = {"condition": {"test": f"abs(datum.{signed_field}) > {0.6 * signed_bound}", "value": "white"},
                  "value": TEXT_DARK}
    else:
        colour = {"condition": {"test": f"datum.{field} > {dark_above}", "value": "white"}, "value": TEXT_DARK}
    return {
        "data": {"name": data},
        "transform": [{"calculate": "datum.x + 0.5", "as": "cx"}, {"calculate": "datum.y + 0.5", "as": "cy"}],
        "mark": {"type": "text", "fontSize": size, "baseline": "middle", "align": "center"},
        "encoding": {
            "x": {"field": "cx", "type": "quantitative", "scale": _scale(n)},
            "y": {"field": "cy", "type": "quantitative", "scale": _scale(n, True)},
            "text": {"field": "label", "type": "nominal"},
            "color": colour,
        },
    }


def _outline_layer(
    boxes: list[dict[str, int]], n: int, colour: str, width: float, dash: list[int] | None = None
) -> Spec:
    """Unfilled rectangles (see :func:`_box`) on an n-cell grid: windows, receptive fields, the
    image edge. The few boxes travel inline in the spec (cheaper than one more Arrow table)."""
    mark: dict[str, Any] = {"type": "rect", "fill": None, "stroke": colour, "strokeWidth": width}
    if dash:
        mark["strokeDash"] = dash
    return {
        "data": {"values": boxes},
        "mark": mark,
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "scale": _scale(n)},
            "x2": {"field": "x2"},
            "y": {"field": "y", "type": "quantitative", "scale": _scale(n, True)},
            "y2": {"field": "y2"},
        },
    }


def _config(**extra: Any) -> dict[str, Any]:
    return {"view": {"stroke": None}, "title": {"fontSize": 14, "anchor": "start"}, **extra}


# Drawn on a <canvas>: vega's SVG renderer makes one DOM node per cell and text (~1,600 for a
# 28×28 image beside its feature map), which the browser must style, lay out and paint on
# every slider move. vega-embed reads its options from the spec's usermeta.
CANVAS = {"embedOptions": {"renderer": "canvas"}}
# Natural size: without it Streamlit asks a single view to "fit" its width and height, which
# squeezes the title and legend into the grid's own height and squashes the cells.
PAD = {"type": "pad", "contains": "content"}
