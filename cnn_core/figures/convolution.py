"""The Convolution page's figures, as Vega-Lite specs (see :mod:`cnn_core.figures.vega`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import shapes
from . import vega
from .vega import Spec

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
    cell = vega.cell_size(2 * padded + 3, target=width, lo=8, hi=40)  # + 3: spacing and axes

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
    grid = vega.cell_frame(
        padded, offset=before, role=roles.ravel(),
        # Every padding cell says "0", even under the window: the kernel multiplies zeros there.
        label=np.where((real[:, None] & real[None, :]).ravel(), "", "0"),
        value=(roles == "read by the kernel").ravel().astype(float),  # 1: white text
    )

    order = np.arange(out * out)
    o_roles = np.where(order < step, "already computed", "still to come").astype(object)
    o_roles[step] = "this output"
    output = vega.cell_frame(out, role=o_roles)
    # The legend lists only the roles this picture shows (dilation gaps only when D > 1, ...);
    # the output's three always, so that the step alone never changes the spec.
    present = set(roles.ravel()) | {"already computed", "this output", "still to come"}
    colour = _role_colour([r for r in ROLE_COLOURS if r in present])
    title = f"Input {size}×{size}" + (f", padded to {padded}×{padded}" if padded != size else "")
    input_view = vega.view(
        title, padded, cell,
        [
            vega.rect_layer("input", padded, colour, ["row", "column", "role"], axes=before),
            *([vega.text_layer("input", padded, dark_above=0.5)] if cell >= 16 else []),
            vega.outline_layer([vega.box(before, before, size, size)], padded, "#334155", 1.5, dash=[4, 3]),
            # By name, not inline: moving the window then changes only the data, and the
            # browser updates the drawn chart instead of building it anew.
            {**vega.outline_layer([], padded, vega.WINDOW_COLOUR, 3), "data": {"name": "window"}},
        ],
    )

    # Its title is a text mark over the grid, drawn from the data for the same reason.
    output_view = vega.view(
        "", padded, cell,
        [vega.rect_layer("output", padded, colour, ["row", "column", "role"]), vega.title_layer("output_title")],
    )
    return {
        "$schema": vega.SCHEMA,
        "datasets": {
            "input": grid, "output": output, "window": pd.DataFrame([vega.box(top, left, span, span)]),
            "output_title": pd.DataFrame({"title": [f"Output {out}×{out}"]}),
        },
        "hconcat": [input_view, output_view],
        "spacing": 36,
        "bounds": "flush",  # the two grids' tops line up, whatever titles and axes sit above them
        "resolve": {"scale": {"color": "shared"}},
        "usermeta": vega.CANVAS,
        "autosize": vega.PAD,
        "config": vega.base_config(legend={"orient": "bottom", "columns": 4, "labelFontSize": 12, "symbolSize": 180}),
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
    cells = vega.cell_frame(
        k, value=kernel.ravel(), shade=kernel.ravel() / bound, label=[f"{v:.{digits}f}" for v in kernel.ravel()]
    )
    cell = vega.cell_size(n, target=170, lo=30, hi=46)
    colour = {"field": "shade", "type": "quantitative", "legend": None, "scale": vega.diverging(1.0)}
    layers = [
        vega.rect_layer("kernel", n, colour, ["row", "column", "value"]),
        vega.text_layer("kernel", n, dark_above=None, signed_bound=1.0, signed_field="shade", size=11 if n > 4 else 13),
    ]
    datasets = {"kernel": cells}
    if frame:
        layers.append(vega.title_layer("kernel_title"))
        datasets["kernel_title"] = pd.DataFrame({"title": [title]})
    return {
        "$schema": vega.SCHEMA,
        "datasets": datasets,
        **vega.view("" if frame else title, n, cell, layers),
        "usermeta": vega.CANVAS,
        "autosize": vega.PAD,
        "config": vega.base_config(),
    }


def _role_colour(shown: list[str] | None = None) -> dict[str, Any]:
    """Colour by role with the fixed palette; the legend lists ``shown`` (default: all roles)."""
    return {
        "field": "role", "type": "nominal", "legend": {"title": None, "values": shown or list(ROLE_COLOURS)},
        "scale": {"domain": list(ROLE_COLOURS), "range": list(ROLE_COLOURS.values())},
    }



STAMP_COLOUR = "#cc79a7"  # the next input pixel's stamp, dashed (Okabe–Ito purple: seen on white and dark blue)
COVER_RANGE = ["#ffffff", "#08306b"]  # stamps per output pixel, white (0) to dark blue (sequential)


def transposed_scatter_chart(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: str = "valid",
    selected: int = 0,
    output_padding: int | None = None,
    width: int = 320,
) -> Spec:
    """How a Conv2DTranspose maps ONE input pixel to a K×K patch ("stamp") of its output.

    Top: the I×I input, input pixel number ``selected`` (reading order) filled orange. Below:
    the O×O output at the same cell size (so the growth shows), each cell shaded and labelled
    with how many stamps cover it (:func:`shapes.transposed_coverage`), the selected pixel's
    stamp outlined orange and the next pixel's (to the right, else below) dashed. ``width``
    is about the most pixels the figure takes across: the two views are stacked, not side by
    side, so it fits a phone. Raises ``ValueError`` like :func:`shapes.transposed_patches`, or
    for a pixel outside the input.
    """
    patches = shapes.transposed_patches(size, kernel, stride, padding, output_padding)
    coverage = np.array(shapes.transposed_coverage(size, kernel, stride, padding, output_padding))
    out = coverage.shape[0]
    if not 0 <= selected < size * size:
        raise ValueError(f"Pixel {selected} is outside the {size}×{size} input (0 to {size * size - 1}).")
    row, col = divmod(selected, size)
    cell = vega.cell_size(out, target=width, lo=6, hi=28)

    def stamp(r: int, c: int) -> dict[str, int]:
        rows, cols = patches[r], patches[c]
        return vega.box(rows[0], cols[0], len(rows), len(cols))

    neighbour = (row, col + 1) if col + 1 < size else (row + 1, col) if row + 1 < size else None
    roles = np.full(size * size, "input pixel", dtype=object)
    roles[selected] = "this input pixel"
    colour_in = {
        "field": "role", "type": "nominal", "legend": None,
        "scale": {"domain": ["input pixel", "this input pixel"], "range": [ROLE_COLOURS["image pixel"], vega.WINDOW_COLOUR]},
    }
    input_view = vega.view(
        f"Input {size}×{size}: pixel (row {row}, column {col})", size, cell,
        [vega.rect_layer("t_input", size, colour_in, ["row", "column"], gap=1)],
    )
    top = int(coverage.max()) or 1
    colour_out = {
        "field": "value", "type": "quantitative", "scale": {"domain": [0, top], "range": COVER_RANGE},
        "legend": {"title": "stamps", "orient": "bottom", "direction": "horizontal", "format": "d",
                   "values": sorted({int(v) for v in coverage.ravel()}), "gradientLength": min(160, out * cell)},
    }
    layers = [vega.rect_layer("t_output", out, colour_out, ["row", "column", "value"], gap=1)]
    if cell >= 14:
        layers.append(vega.text_layer("t_output", out, dark_above=0.55 * top, size=min(12, cell - 4)))
    if neighbour is not None:
        layers.append(vega.outline_layer([stamp(*neighbour)], out, STAMP_COLOUR, 2, dash=[4, 3]))
    layers.append(vega.outline_layer([stamp(row, col)], out, vega.WINDOW_COLOUR, 3))
    output_view = vega.view(f"Output {out}×{out}: stamps covering each pixel", out, cell, layers)
    counts = sorted({int(v) for v in coverage.ravel()})
    return {
        "$schema": vega.SCHEMA,
        "description": (
            f"Transposed convolution, {size}×{size} input to {out}×{out} output, kernel {kernel}, stride {stride}, "
            f"padding {padding}. Input pixel (row {row}, column {col}) adds its kernel to output rows "
            f"{patches[row][0]} to {patches[row][-1]}, columns {patches[col][0]} to {patches[col][-1]}. "
            f"Output pixels are covered by {', '.join(map(str, counts))} stamps."
        ),
        "datasets": {
            "t_input": vega.cell_frame(size, role=roles),
            "t_output": vega.cell_frame(out, value=coverage.ravel(), label=[str(int(v)) for v in coverage.ravel()]),
        },
        "vconcat": [input_view, output_view],
        "spacing": 28,
        "usermeta": vega.CANVAS,
        "autosize": vega.PAD,
        "config": vega.base_config(legend={"labelFontSize": 12, "titleFontSize": 12}),
    }


def conv_window_description(
    size: int, kernel: int, stride: int = 1, padding: shapes.Padding = "valid", dilation: int = 1, step: int = 0
) -> str:
    """One line for :func:`conv_window_chart`'s ``alt`` text: the padded input, where this
    step's window reads, and the output cell it writes."""
    a = shapes.conv_arithmetic(size, kernel, stride, padding, dilation)
    row, col = divmod(step, a.output)
    top, left = row * stride - a.pad_before, col * stride - a.pad_before
    span = dilation * (kernel - 1) + 1
    return (f"The {a.padded}×{a.padded} padded input ({size}×{size} image, {a.pad_before} padding before) with the "
            f"{kernel}×{kernel} window{f' (dilation {dilation}, spanning {span})' if dilation > 1 else ''} at rows "
            f"{top} to {top + span - 1}, columns {left} to {left + span - 1}, beside the {a.output}×{a.output} "
            f"output with cell (row {row}, column {col}) marked: window {step + 1} of {a.output * a.output}.")


def kernel_description(kernel: np.ndarray, title: str) -> str:
    """One line for :func:`kernel_chart`'s ``alt`` text: the weights, row by row."""
    kernel = np.asarray(kernel, dtype=float)
    rows = "; ".join(" ".join(f"{v:g}" for v in row) for row in np.round(kernel, 2))
    return f"{title}: weights row by row: {rows}."
