"""Convolution's figures: the window on the padded input as a Vega-Lite spec (Quiz me's reveal;
see :mod:`cnn_core.figures.vega`), and the colours the Convolution and transposed explorers draw
their roles with in the browser (ui/explorers/), so both pictures teach one legend."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import shapes
from . import palette, vega
from .vega import Spec

# One colour per role, the same on every figure, so the legend teaches once. Okabe–Ito's
# colour-blind-safe palette, every role its own hue or lightness; the cells that carry a "0"
# label (padding, wherever the window is) keep dark text at >= 4.5:1 contrast, white on the blue.
ROLE_COLOURS = {
    "image pixel": "#bdbdbd",  # grey
    "padding zero": palette.YELLOW,
    "never reached": palette.PURPLE,
    "read by the kernel": palette.BLUE,  # white text
    "skipped by dilation": palette.SKY_BLUE,
    "already computed": palette.GREEN,
    "this output": palette.ORANGE,  # like the window's outline
    "still to come": "#eeeeee",  # pale grey
}
IMAGE_EDGE_COLOUR = "#334155"  # the real image's dashed edge inside its padding


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

    top, left, span = row * stride, col * stride, arithmetic.k_eff
    grid = _input_frame(arithmetic, top, left)
    output = _output_frame(out, step)
    # The legend lists only the roles this picture shows (dilation gaps only when D > 1, ...);
    # the output's three always, so that the step alone never changes the spec.
    present = set(grid["role"]) | {"already computed", "this output", "still to come"}
    colour = _role_colour([r for r in ROLE_COLOURS if r in present])
    title = f"Input {size}×{size}" + (f", padded to {padded}×{padded}" if padded != size else "")
    input_view = _input_view(title, padded, cell, colour, before, size)

    # Its title is a text mark over the grid, drawn from the data for the same reason.
    output_view = vega.view(
        "",
        padded,
        cell,
        [
            vega.rect_layer("output", padded, colour, ["row", "column", "role"]),
            vega.title_layer("output_title"),
        ],
    )
    return {
        "$schema": vega.SCHEMA,
        "datasets": {
            "input": grid,
            "output": output,
            "window": pd.DataFrame([vega.box(top, left, span, span)]),
            "output_title": pd.DataFrame({"title": [f"Output {out}×{out}"]}),
        },
        "hconcat": [input_view, output_view],
        "spacing": 36,
        "bounds": "flush",  # the two grids' tops line up, whatever titles and axes sit above them
        "resolve": {"scale": {"color": "shared"}},
        "usermeta": vega.CANVAS,
        "autosize": vega.PAD,
        "config": vega.base_config(
            legend={"orient": "bottom", "columns": 4, "labelFontSize": 12, "symbolSize": 180}
        ),
    }


def _input_view(title: str, padded: int, cell: int, colour: dict[str, Any], before: int, size: int) -> Spec:
    """The padded input grid (data ``input``): cells by role, their "0" labels when cells are big
    enough, the real image's dashed edge and the window (data ``window``)."""
    return vega.view(
        title,
        padded,
        cell,
        [
            vega.rect_layer("input", padded, colour, ["row", "column", "role"], axes=before),
            *([vega.text_layer("input", padded, dark_above=0.5)] if cell >= 16 else []),
            vega.outline_layer(
                [vega.box(before, before, size, size)], padded, IMAGE_EDGE_COLOUR, 1.5, dash=[4, 3]
            ),
            # By name, not inline: moving the window then changes only the data, and the
            # browser updates the drawn chart instead of building it anew.
            {**vega.outline_layer([], padded, vega.WINDOW_COLOUR, 3), "data": {"name": "window"}},
        ],
    )


def _input_frame(arithmetic: shapes.ConvArithmetic, top: int, left: int) -> pd.DataFrame:
    """One row per cell of the padded input, with its role for the window whose top-left corner
    is at (``top``, ``left``) in padded coordinates, a "0" label on padding and ``value`` 1 where
    the kernel reads (white text)."""
    a = arithmetic
    index = np.arange(a.padded)
    real = (index >= a.pad_before) & (index < a.pad_before + a.size)
    roles = np.where(real[:, None] & real[None, :], "image pixel", "padding zero").astype(object)
    reach = a.padded - a.remainder  # rows/columns from here on are never read
    roles[reach:, :] = "never reached"
    roles[:, reach:] = "never reached"
    roles[top : top + a.k_eff, left : left + a.k_eff] = "skipped by dilation"
    taps = top + np.arange(a.kernel) * a.dilation, left + np.arange(a.kernel) * a.dilation
    roles[np.ix_(*taps)] = "read by the kernel"
    return vega.cell_frame(
        a.padded,
        offset=a.pad_before,
        role=roles.ravel(),
        # Every padding cell says "0", even under the window: the kernel multiplies zeros there.
        label=np.where((real[:, None] & real[None, :]).ravel(), "", "0"),
        value=(roles == "read by the kernel").ravel().astype(float),  # 1: white text
    )


def _output_frame(out: int, step: int) -> pd.DataFrame:
    """One row per cell of the (out, out) output: computed before ``step``, this one, or to come."""
    order = np.arange(out * out)
    roles = np.where(order < step, "already computed", "still to come").astype(object)
    roles[step] = "this output"
    return vega.cell_frame(out, role=roles)


def _role_colour(shown: list[str] | None = None) -> dict[str, Any]:
    """Colour by role with the fixed palette; the legend lists ``shown`` (default: all roles)."""
    return {
        "field": "role",
        "type": "nominal",
        "legend": {"title": None, "values": shown or list(ROLE_COLOURS)},
        "scale": {"domain": list(ROLE_COLOURS), "range": list(ROLE_COLOURS.values())},
    }


# The next input pixel's stamp, dashed: Okabe–Ito purple is seen on white and on dark blue.
STAMP_COLOUR = palette.PURPLE
COVER_RANGE = [palette.WHITE, "#08306b"]  # stamps per output pixel, white (0) to dark blue (sequential)
