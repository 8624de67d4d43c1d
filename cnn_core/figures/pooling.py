"""Pooling's figure: the grid with every window and its winner as a Vega-Lite spec (Quiz me's
reveal; see :mod:`cnn_core.figures.vega`); the Pooling explorer draws the same picture in the
browser (ui/explorers/pooling.js) with these colours."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import kernels, shapes
from . import vega
from .vega import Spec

WINNER_COLOUR = "#16a34a"  # rings around the other windows' winners
PAD_CELL_COLOUR = "#fafafa"  # a padding cell of "same": nearly white, it holds no value
# Cells shaded by value, light to dark grey; padding (shade -1) is drawn nearly white, empty.
SHADE_COLOUR = {
    "condition": {"test": "datum.shade < 0", "value": PAD_CELL_COLOUR},
    "field": "shade",
    "type": "quantitative",
    "scale": {"scheme": "greys", "domain": [0, 1]},
    "legend": None,
}
DARK_ABOVE = 0.55  # of the largest value: white text from there on
CELL_FONT_PX = 12  # numbers in grid cells, at most ...
CELL_FONT_MIN_PX = 8  # ... and at least: on smaller cells the numbers are left out (hover shows them)


def pool_grid_chart(
    values: np.ndarray,
    pool: int,
    stride: int | None = None,
    padding: str = "valid",
    mode: str = "max",
    selected: int = 0,
    width: int = 520,
    min_cell: int = 22,
) -> Spec:
    """A grid of numbers with every pooling window outlined, beside the pooled grid.

    ``values`` is a square (I, I) array of whole numbers (e.g. 0–9, or a digit shrunk to a few
    cells, 0–255).
    Window number ``selected`` (reading order) is drawn thick and its output cell outlined; for
    max pooling every window's winning cell is ringed (the selected one's in orange). Padding
    cells of "same" are drawn empty and labelled "pad": they never win and never count. Raises
    ``ValueError`` like :func:`shapes.pool_output_size`, or for a window outside the output.
    ``width`` is about how many pixels both grids may take together; cells are at least
    ``min_cell`` px (numbers are left out of cells too small for them).
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
    cell = vega.cell_size(2 * padded + 3, target=width, lo=min_cell, hi=48)  # + 3: spacing and axes
    vmax = max(float(np.max(values)), 1e-9)

    grid = _input_frame(values, before, padded, vmax)

    starts = np.arange(out) * stride
    windows = [vega.box(int(r), int(c), pool, pool) for r in starts for c in starts]  # reading order
    sel_row, sel_col = divmod(selected, out)
    layers = [
        vega.rect_layer("pool_input", padded, SHADE_COLOUR, ["row", "column", "value"], axes=before),
        _named(vega.outline_layer([], padded, vega.FRAME_COLOUR, 1.5), "pool_windows"),
    ]
    datasets: dict[str, pd.DataFrame] = {
        "pool_input": grid,
        "pool_windows": pd.DataFrame(windows),
        "pool_selected": pd.DataFrame([windows[selected]]),
        "pool_selected_out": pd.DataFrame([vega.box(sel_row, sel_col, 1, 1)]),
        "pool_output_title": pd.DataFrame({"title": [f"{mode.capitalize()} pooled {out}×{out}"]}),
    }
    if mode == "max":
        winners = kernels.pool_winners(values, pool, stride, padding).reshape(-1, 2) + before
        datasets["pool_rings"] = _rings_frame(winners, selected)
        layers.append(_rings_layer(padded, cell))
    font = cell_font(list(grid["label"]) + list(pool_labels(pooled, mode)), cell)
    if font:
        layers.append(vega.text_layer("pool_input", padded, dark_above=DARK_ABOVE, size=font, field="shade"))
    layers.append(_named(vega.outline_layer([], padded, vega.WINDOW_COLOUR, 4), "pool_selected"))
    extra = f" + padding {before}/{after}" if padded != size else ""
    input_view = vega.view(f"Input {size}×{size}{extra}", padded, cell, layers)

    datasets["pool_output"] = vega.cell_frame(
        out, value=pooled.ravel(), shade=pooled.ravel() / vmax, label=pool_labels(pooled, mode)
    )
    output_view = _output_view(padded, cell, font)
    return {
        "$schema": vega.SCHEMA,
        "datasets": datasets,
        "hconcat": [input_view, output_view],
        "spacing": 36,
        "bounds": "flush",
        "usermeta": vega.CANVAS,
        "autosize": vega.PAD,
        "config": vega.base_config(),
    }


def _named(layer: Spec, data: str) -> Spec:
    """``layer`` drawing the named dataset ``data``: new data then redraws it in place."""
    return {**layer, "data": {"name": data}}


def _rings_frame(winners: np.ndarray, selected: int) -> pd.DataFrame:
    """The centre of each window's winning cell, from (row, column) pairs in padded coordinates."""
    return pd.DataFrame(
        {
            "cx": winners[:, 1] + 0.5,
            "cy": winners[:, 0] + 0.5,
            "selected": np.arange(len(winners)) == selected,
        }
    )


def _input_frame(values: np.ndarray, before: int, padded: int, vmax: float) -> pd.DataFrame:
    """One row per cell of the (padded, padded) input: its value, its shade (value / ``vmax``, or
    -1 on padding: below the colour domain, drawn empty) and its label ("pad" on padding)."""
    size = values.shape[0]
    shown = np.full((padded, padded), np.nan)
    shown[before : before + size, before : before + size] = values
    return vega.cell_frame(
        padded,
        offset=before,
        value=np.nan_to_num(shown.ravel(), nan=-1.0),
        shade=np.nan_to_num(shown.ravel() / vmax, nan=-1.0),
        label=[("pad" if np.isnan(v) else f"{v:.0f}") for v in shown.ravel()],
    )


def _rings_layer(padded: int, cell: int) -> Spec:
    """Max pooling's rings around every window's winner (data ``pool_rings``), the selected
    window's in the window colour."""
    return {
        "data": {"name": "pool_rings"},
        "mark": {
            "type": "point",
            "shape": "circle",
            "filled": False,
            "strokeWidth": 2.5,
            "size": (cell * 0.8) ** 2,
        },
        "encoding": {
            "x": {"field": "cx", "type": "quantitative", "scale": vega.axis_scale(padded)},
            "y": {"field": "cy", "type": "quantitative", "scale": vega.axis_scale(padded, True)},
            "color": {
                "condition": {"test": "datum.selected", "value": vega.WINDOW_COLOUR},
                "value": WINNER_COLOUR,
            },
        },
    }


def _output_view(padded: int, cell: int, font: int | None) -> Spec:
    """The pooled grid (data ``pool_output``) at the input's cell size, its selected cell
    outlined and its title drawn from the data."""
    return vega.view(
        "",
        padded,
        cell,
        [
            vega.rect_layer("pool_output", padded, SHADE_COLOUR, ["row", "column", "value"]),
            *(
                [vega.text_layer("pool_output", padded, dark_above=DARK_ABOVE, size=font, field="shade")]
                if font
                else []
            ),
            _named(vega.outline_layer([], padded, vega.WINDOW_COLOUR, 4), "pool_selected_out"),
            vega.title_layer("pool_output_title"),
        ],
    )


def pool_labels(pooled: np.ndarray, mode: str) -> list[str]:
    """The text of each pooled cell of whole-number inputs: max keeps whole numbers; a mean gets
    one decimal on small numbers (0–9: "4.5") and none on big ones (0–255: "106", not "105.6",
    which would not fit a cell; the hover shows the exact value)."""
    pooled = np.asarray(pooled, dtype=float)
    digits = 0 if mode == "max" or np.abs(pooled).max(initial=0) >= 100 else 1
    return [f"{v:.{digits}f}" for v in pooled.ravel()]


def cell_font(labels: list[str], cell: int) -> int | None:
    """Font size (px) at which the longest of ``labels`` fits inside a ``cell``-px square cell
    (a digit is about 0.6 em wide; 2 px margin each side), at most CELL_FONT_PX; None when it
    would be under CELL_FONT_MIN_PX: then the cells carry no numbers at all."""
    chars = max((len(label) for label in labels), default=1) or 1
    size = min(CELL_FONT_PX, int((cell - 4) / (0.6 * chars)))
    return size if size >= CELL_FONT_MIN_PX else None
