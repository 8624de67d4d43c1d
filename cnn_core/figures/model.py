"""The Model page's figure: the tensor's shape from the input to the predictions, as a diagram."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Polygon, Rectangle

from ..models import LayerRow
from . import palette

# Colours of the diagram, one per kind of layer (Okabe–Ito; each slab is also titled).
_COLOURS = {
    "InputLayer": palette.GREY,
    "Conv2D": palette.BLUE,
    "MaxPooling2D": palette.ORANGE,
    "AveragePooling2D": palette.ORANGE,
    "Flatten": "#cccccc",
    "Dense": palette.GREEN,
}


def shape_flow_figure(rows: list[LayerRow]) -> Figure:
    """A diagram of the tensor's shape from the input to the predictions.

    Each feature map is drawn as a slab whose side is proportional to its height/width in
    pixels and whose depth grows with its channels; vectors (Flatten, Dense) are bars whose
    height grows with the logarithm of their length. A convolution's BatchNormalization and
    Activation (same shape) are folded into it, and Dropout (same shape) into the Dense before it.
    """
    nodes = _diagram_nodes(rows)
    width = max(6.0, 1.35 * len(nodes))
    fig = Figure(figsize=(width, 3.6))
    ax = fig.add_axes((0.01, 0.02, 0.98, 0.96))
    ax.set_axis_off()
    side0 = max(r.output_shape[0] for r in rows if len(r.output_shape) == 3)
    max_vec = max((r.output_shape[0] for r in rows if len(r.output_shape) == 1), default=1)
    x = 0.0
    prev_right = None
    for node in nodes:
        colour = _COLOURS.get(node.type, palette.SKY_BLUE)
        if len(node.shape) == 3:
            side, _, chans = node.shape
            # Height and the slanted depth show the image's side; thickness shows channels.
            h = 0.2 + 2.0 * side / side0  # a 1×1 map stays visible
            d = 0.1 + 0.45 * side / side0
            t = 0.06 + 0.55 * math.log2(chans + 1) / 9
            y0 = 1.45 - h / 2
            front = [(x, y0), (x + t, y0), (x + t, y0 + h), (x, y0 + h)]
            top = [(x, y0 + h), (x + t, y0 + h), (x + t + d, y0 + h + 0.6 * d), (x + d, y0 + h + 0.6 * d)]
            side_face = [
                (x + t, y0),
                (x + t + d, y0 + 0.6 * d),
                (x + t + d, y0 + h + 0.6 * d),
                (x + t, y0 + h),
            ]
            for points, alpha in ((front, 1.0), (top, 0.55), (side_face, 0.8)):
                ax.add_patch(
                    Polygon(points, closed=True, facecolor=colour, edgecolor="black", lw=0.8, alpha=alpha)
                )
            right = x + t + d
            label = f"{side}×{side}×{chans}"
        else:
            n = node.shape[0]
            h = 0.3 + 2.0 * math.log10(n + 1) / math.log10(max(max_vec, 10) + 1)
            y0 = 1.45 - h / 2
            ax.add_patch(Rectangle((x + 0.15, y0), 0.25, h, facecolor=colour, edgecolor="black", lw=0.8))
            right = x + 0.4
            label = f"{n:,}"
        centre = x + (right - x) / 2
        ax.text(centre, 3.05, node.title, ha="center", va="bottom", fontsize=8.5, fontweight="bold")
        ax.text(centre, 0.12, label, ha="center", va="top", fontsize=8.5)
        if prev_right is not None:
            ax.add_patch(
                FancyArrowPatch(
                    (prev_right + 0.05, 1.45),
                    (x - 0.05, 1.45),
                    arrowstyle="-|>",
                    mutation_scale=10,
                    color=palette.NOTE_TEXT,
                )
            )
        prev_right = right
        x += 1.35
    ax.set_xlim(-0.2, x - 0.4)
    ax.set_ylim(-0.25, 3.45)
    return fig


def shape_flow_description(rows: list[LayerRow]) -> str:
    """The diagram in one line, for its ``alt`` text: each step's title and shape, e.g.
    "Shape flow: input 28×28×1 → conv 26×26×32 → max pool 13×13×32 → … → softmax 10"."""
    steps = [
        f"{n.title} {'×'.join(str(d) for d in n.shape) if len(n.shape) == 3 else f'{n.shape[0]:,}'}"
        for n in _diagram_nodes(rows)
    ]
    return "Shape flow of the network, from image to prediction: " + " → ".join(steps) + "."


@dataclass(frozen=True)
class _Node:
    title: str
    type: str
    shape: tuple[int, ...]


def _diagram_nodes(rows: list[LayerRow]) -> list[_Node]:
    nodes: list[_Node] = []
    for r in rows:
        if r.type in ("BatchNormalization", "Activation", "Dropout") and nodes:
            extra = {"BatchNormalization": "+BN", "Activation": "", "Dropout": "+drop"}[r.type]
            last = nodes[-1]
            if extra and not last.title.endswith(extra):
                nodes[-1] = replace(last, title=last.title + extra)
            continue
        title = {
            "InputLayer": "input",
            "Conv2D": "conv",
            "MaxPooling2D": "max pool",
            "AveragePooling2D": "avg pool",
            "Flatten": "flatten",
            "Dense": "softmax" if r.name == "predictions" else "dense",
        }.get(r.type, r.type)
        nodes.append(_Node(title, r.type, r.output_shape))
    return nodes
