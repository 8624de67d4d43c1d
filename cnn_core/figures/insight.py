"""The Predictions page's figures of one image: its answer, how a drawing was prepared, and
what the network saw (feature maps, first-layer filters, Grad-CAM and saliency overlays).

Each returns a matplotlib Figure (see :mod:`cnn_core.figures.mpl`); nothing here shows it.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import drawn_digit
from .mpl import new_figure
from .predictions import plot_image, plot_value_array

GRID_CELL_INCHES = 2.0  # each panel (image or bars) is 2 × 2 inches, as in the tutorial's grid
TILE_COLUMNS = 12  # maps or filters per row of a tiled picture
# Marks drawn on a drawing's black background, where Okabe–Ito's darker hues would not show.
MARK_COLOUR = "#ffb000"  # amber: the crop box and the centre of mass
GUIDE_COLOUR = "#4da3ff"  # light blue: the dotted lines through the field's centre


def digit_figure(
    image: np.ndarray,
    probabilities: np.ndarray,
    class_names: Sequence[str],
    true_label: int | None = None,
) -> Any:
    """One cell of the tutorial's grid, drawn with its own ``plot_image`` and
    ``plot_value_array``: the 28×28 image (sharp pixels) and its ten probabilities. For a
    drawing there is no true label: the caption is black and only the predicted bar is red."""
    fig = new_figure(2 * GRID_CELL_INCHES, GRID_CELL_INCHES + 0.3)
    fig.subplots_adjust(left=0.03, right=0.97, top=0.97, bottom=0.2, wspace=0.15)
    ax_img, ax_bar = fig.subplots(1, 2)
    plot_image(ax_img, probabilities, true_label, image, class_names)
    plot_value_array(ax_bar, probabilities, true_label)
    return fig


def preparation_figure(prepared: Any) -> Any:
    """The MNIST preparation of a drawing, step by step (a :class:`drawn_digit.PreparedDigit`):
    ink on black with the crop box, the crop scaled to fit the 20×20 box, and the 28×28 result
    with its centre of mass (+) on the field's centre (dotted lines)."""
    from matplotlib.patches import Rectangle

    box, field, centre = drawn_digit.BOX, drawn_digit.FIELD, drawn_digit.CENTER

    fig = new_figure(7.5, 2.9)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.86, bottom=0.05, wspace=0.25)
    axes = fig.subplots(1, 3)
    top, left, bottom, right = prepared.box
    axes[0].imshow(prepared.grey, cmap="gray", vmin=0, vmax=255)
    axes[0].add_patch(
        Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False, ec=MARK_COLOUR, lw=1.5)
    )
    # The crop's own size (the box), not the whole picture's.
    axes[0].set_title(f"1. ink on black, cropped\nto {right - left}×{bottom - top} px", fontsize=9)
    h, w = prepared.scaled.shape
    axes[1].imshow(prepared.scaled, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    axes[1].set_title(f"2. scaled to fit {box}×{box}\n{w}×{h} px", fontsize=9)
    axes[2].imshow(prepared.image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    cy, cx = drawn_digit.center_of_mass(prepared.image)
    axes[2].axhline(centre, color=GUIDE_COLOUR, lw=0.8, ls=":")
    axes[2].axvline(centre, color=GUIDE_COLOUR, lw=0.8, ls=":")
    axes[2].plot([cx], [cy], marker="+", color=MARK_COLOUR, markersize=12, mew=2)
    axes[2].set_title(f"3. centred by mass in {field}×{field}\n(what the network sees)", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def feature_maps_figure(
    maps: np.ndarray, layer_name: str = "", max_maps: int = 48, columns: int = TILE_COLUMNS
) -> Any:
    """The first ``max_maps`` channels of a float (H, W, C) feature map as one tiled picture,
    numbered left to right, top to bottom from 0.

    Each map is scaled on its own (viridis: yellow = its strongest response; a ReLU map that is
    all dark found nothing). One image for all maps keeps this fast enough to redraw per click.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ValueError(f"Feature maps must be (H, W, C), not {maps.shape}.")
    maps = maps[:, :, :max_maps]
    lo = maps.min(axis=(0, 1), keepdims=True)
    span = maps.max(axis=(0, 1), keepdims=True) - lo
    scaled = np.where(span > 0, (maps - lo) / np.where(span > 0, span, 1), 0.0)
    return _tiled_figure(scaled, columns, "viridis", 0.0, 1.0, layer_name, cell_inches=0.8)


def filters_figure(kernels: np.ndarray) -> Any:
    """The first layer's kernels, float (K, K, C), tiled: one K×K picture per filter on a shared
    symmetric scale (red = positive weight, blue = negative, white = 0), numbered from 0."""
    kernels = np.asarray(kernels, dtype=np.float32)
    if kernels.ndim != 3:
        raise ValueError(f"Kernels must be (K, K, C), not {kernels.shape}.")
    limit = float(np.abs(kernels).max()) or 1.0
    return _tiled_figure(kernels, TILE_COLUMNS, "RdBu_r", -limit, limit, "", cell_inches=0.6, colorbar=True)


def _tiled_figure(
    stack: np.ndarray,
    columns: int,
    cmap: str,
    vmin: float,
    vmax: float,
    title: str,
    cell_inches: float,
    colorbar: bool = False,
) -> Any:
    """Tile (H, W, C) into a grid of C pictures separated by white gaps, drawn as one image."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    h, w, n = stack.shape
    cols = max(1, min(columns, n))
    rows = -(-n // cols)
    gap = max(1, h // 7)
    tiled = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, 4), 1.0, np.float32)
    colored = colormaps[cmap](Normalize(vmin, vmax)(stack.transpose(2, 0, 1)))  # (C, H, W, 4)
    for k in range(n):
        r, c = divmod(k, cols)
        tiled[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = colored[k]
    extra = 0.8 if colorbar else 0.0
    fig = new_figure(cell_inches * cols + extra, cell_inches * rows * h / w + (0.3 if title else 0.05))
    ax = fig.add_axes(
        (0.0, 0.0, 1 - extra / (cell_inches * cols + extra), 1 - (0.3 / fig.get_figheight() if title else 0))
    )
    ax.imshow(tiled, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    if colorbar:
        from matplotlib.cm import ScalarMappable

        cax = fig.add_axes((1 - 0.7 * extra / fig.get_figwidth(), 0.1, 0.12 / fig.get_figwidth(), 0.8))
        fig.colorbar(ScalarMappable(Normalize(vmin, vmax), cmap), cax=cax)
        cax.tick_params(labelsize=7)
    return fig


def heatmap_figure(image: np.ndarray, heat: np.ndarray, title: str = "") -> Any:
    """The 28×28 image, the heat map (0-1) alone, and the heat map laid over the image."""
    fig = new_figure(6.6, 2.5)
    fig.subplots_adjust(left=0.01, right=0.92, top=0.86, bottom=0.02, wspace=0.08)
    axes = fig.subplots(1, 3)
    axes[0].imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    axes[0].set_title("image", fontsize=9)
    shown = axes[1].imshow(heat, cmap="inferno", vmin=0, vmax=1, interpolation="bilinear")
    axes[1].set_title(title or "heat map", fontsize=9)
    axes[2].imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    axes[2].imshow(heat, cmap="inferno", vmin=0, vmax=1, alpha=0.55, interpolation="bilinear")
    axes[2].set_title("over the image", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    cax = fig.add_axes((0.935, 0.1, 0.015, 0.72))
    fig.colorbar(shown, cax=cax)
    cax.tick_params(labelsize=7)
    return fig


# --- One-line descriptions, for each figure's ``alt`` text ------------------------------------


def digit_description(
    probabilities: np.ndarray, class_names: Sequence[str], true_label: int | None = None
) -> str:
    """:func:`digit_figure` in one line: the answer, its probability, the runner-up, and ✓/✗
    when the true class is known."""
    order = np.argsort(probabilities)[::-1]
    k, runner = int(order[0]), int(order[1])
    text = (
        f"The image and its ten probabilities: {class_names[k]} {100 * probabilities[k]:.0f}%, "
        f"runner-up {class_names[runner]} {100 * probabilities[runner]:.0f}%"
    )
    if true_label is not None:
        text += " (✓ right)" if k == int(true_label) else f" (✗ wrong: it is {class_names[int(true_label)]})"
    return text + "."


def preparation_description(prepared: Any) -> str:
    """:func:`preparation_figure` in one line: the crop, the scaled size and the final field."""
    top, left, bottom, right = prepared.box
    h, w = prepared.scaled.shape
    return (
        f"The drawing in three steps: its ink cropped to {right - left}×{bottom - top} px; scaled to "
        f"{w}×{h} px to fit {drawn_digit.BOX}×{drawn_digit.BOX}; centred by its centre of mass in the "
        f"{drawn_digit.FIELD}×{drawn_digit.FIELD} image the network sees."
    )


def heatmap_description(heat: np.ndarray, title: str) -> str:
    """:func:`heatmap_figure` in one line: where the map is strongest, in image rows and columns."""
    heat = np.asarray(heat, dtype=float)
    r, c = np.unravel_index(int(np.argmax(heat)), heat.shape)
    return (
        f"{title} over the {heat.shape[0]}×{heat.shape[1]} image: strongest at row {int(r)}, "
        f"column {int(c)}; brighter means the answer depends more on that place."
    )


def feature_maps_description(maps: np.ndarray, layer_name: str = "", max_maps: int = 48) -> str:
    """:func:`feature_maps_figure` in one line: how many maps of which size, and how many are blank."""
    maps = np.asarray(maps, dtype=np.float32)[:, :, :max_maps]
    blank = int(np.sum(maps.max(axis=(0, 1)) <= maps.min(axis=(0, 1))))
    return (
        f"{maps.shape[2]} feature maps of {layer_name or 'the layer'}, {maps.shape[0]}×{maps.shape[1]} each, "
        f"each scaled on its own (viridis: yellow is its strongest response); {blank} of them all flat."
    )


def filters_description(kernels: np.ndarray) -> str:
    """:func:`filters_figure` in one line: how many filters, their size and weight range."""
    kernels = np.asarray(kernels, dtype=np.float32)
    return (
        f"{kernels.shape[2]} first-layer filters of {kernels.shape[0]}×{kernels.shape[1]} weights, "
        f"from {float(kernels.min()):.2f} (blue) to {float(kernels.max()):.2f} (red), white at 0."
    )
