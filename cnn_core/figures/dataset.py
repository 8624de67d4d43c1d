"""The Dataset page's figures, and the numbers they show: what the network will see.

Every function takes the uint8 arrays as :class:`cnn_core.datasets.Dataset` holds them
(images (N, 28, 28) with values 0-255, labels (N,) in 0-9) and never makes a float copy of a
whole split: statistics are accumulated per class or per chunk. Figures are built with
``matplotlib.figure.Figure`` (not pyplot), so a server never accumulates open figures, and
charts are Altair objects; nothing here shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..dataset_files import image_blocks
from ..datasets import NUM_CLASSES
from . import palette

GRID_SIDE = 6  # the tutorial plots a 6×6 grid of random training images


def grid_indices(labels: np.ndarray, seed: int, label: int | None = None) -> np.ndarray:
    """GRID_SIDE² distinct random image indices (fewer if the pool is smaller), reproducible by
    ``seed``; only images of class ``label`` when it is given. Returns int64 (k,), k <= 36.

    The tutorial draws with ``np.random.choice(60000, 36)``, with replacement; here an image
    never appears twice in one grid.
    """
    pool = np.arange(len(labels)) if label is None else np.flatnonzero(labels == label)
    rng = np.random.default_rng(seed)
    return rng.choice(pool, size=min(GRID_SIDE * GRID_SIDE, len(pool)), replace=False)


def sample_grid_figure(
    images: np.ndarray, labels: np.ndarray, indices: np.ndarray, class_names: tuple[str, ...]
) -> Figure:
    """The tutorial's grid: each image in the binary colour map (ink black on white), its label
    below it (the class name, e.g. "Ankle boot", for Fashion-MNIST; the digit for MNIST) and
    its index in the split.

    ``indices`` (at most 36) pick the images; empty cells stay blank. The images are drawn as
    one mosaic in one Axes (not the tutorial's 36 subplots), so a redraw per click stays quick.
    """
    side = images.shape[1]
    gap_x, gap_y = 6, 17  # white gutters (pixels) between cells; the lower one holds the label
    cell_w, cell_h = side + gap_x, side + gap_y
    mosaic = np.zeros((GRID_SIDE * cell_h, GRID_SIDE * cell_w), dtype=np.uint8)
    fig = Figure(figsize=(6.4, 7.4))
    ax = fig.add_axes((0, 0, 1, 1))
    for cell, i in enumerate(indices[: GRID_SIDE * GRID_SIDE]):
        r, c = divmod(cell, GRID_SIDE)
        y, x = r * cell_h, c * cell_w + gap_x // 2
        mosaic[y : y + side, x : x + side] = images[int(i)]
        ax.add_patch(Rectangle((x - 0.5, y - 0.5), side, side, fill=False, edgecolor="black", lw=0.8))
        # Two lines, so that "Ankle boot" and a 5-digit index fit under a 28-pixel cell.
        ax.text(
            x + side / 2,
            y + side + 1,
            f"{class_names[int(labels[int(i)])]}\n#{int(i)}",
            ha="center",
            va="top",
            fontsize=8.5,
            linespacing=1.1,
        )
    ax.imshow(mosaic, cmap="binary", vmin=0, vmax=255, interpolation="nearest")
    ax.set_axis_off()
    return fig


def class_count_table(y_train: np.ndarray, y_test: np.ndarray, class_names: tuple[str, ...]) -> pd.DataFrame:
    """One row per class: label, class, train and test counts, and each as % of its split."""
    train = np.bincount(y_train, minlength=len(class_names))[: len(class_names)]
    test = np.bincount(y_test, minlength=len(class_names))[: len(class_names)]
    return pd.DataFrame(
        {
            "label": np.arange(len(class_names)),
            "class": list(class_names),
            "train": train,
            "test": test,
            "train %": np.round(100 * train / max(len(y_train), 1), 1),
            "test %": np.round(100 * test / max(len(y_test), 1), 1),
        }
    )


def class_count_chart(table: pd.DataFrame) -> alt.Chart:
    """Grouped bars of :func:`class_count_table`: per class, the share of the train and test
    splits it holds (%), so that splits of very different sizes compare; counts in tooltips."""
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "class": table["class"],
                    "label": table["label"],
                    "split": split,
                    "images": table[split],
                    "share": table[f"{split} %"],
                }
            )
            for split in ("train", "test")
        ],
        ignore_index=True,
    )
    order = list(table["class"])
    return (
        alt.Chart(long, title="Images per class, as a share of each split")
        .mark_bar()
        .encode(
            x=alt.X("class:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40, labelOverlap=False)),
            xOffset=alt.XOffset("split:N", sort=["train", "test"]),
            y=alt.Y("share:Q", title="share of the split (%)"),
            color=alt.Color(
                "split:N",
                sort=["train", "test"],
                title="split",
                scale=alt.Scale(range=[palette.BLUE, palette.VERMILLION]),
            ),
            tooltip=[
                alt.Tooltip("class:N"),
                alt.Tooltip("label:Q"),
                alt.Tooltip("split:N"),
                alt.Tooltip("images:Q", format=","),
                alt.Tooltip("share:Q", title="share (%)"),
            ],
        )
        .properties(height=280)
    )


def class_means(images: np.ndarray, labels: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """The mean image of each class: float32 (num_classes, H, W) in 0-255; NaN where a class
    has no image. Summed a block of images at a time (:func:`image_blocks`), so memory stays at
    one block's copy, and images mapped from disk stay there."""
    sums = np.zeros((num_classes, *images.shape[1:]), dtype=np.float64)
    counts = np.zeros(num_classes, dtype=np.int64)
    for start, block in image_blocks(images):
        block_labels = labels[start : start + len(block)]
        for c in np.unique(block_labels):
            members = block[block_labels == c]
            sums[c] += members.sum(axis=0, dtype=np.float64)
            counts[c] += len(members)
    out = np.full(sums.shape, np.nan, dtype=np.float32)
    seen = counts > 0
    out[seen] = sums[seen] / counts[seen, None, None]
    return out


def mean_image_figure(means: np.ndarray, class_names: tuple[str, ...]) -> Figure:
    """One panel per class (2 rows × 5) with its mean image, in the grid's binary colour map.

    A blurry, well-defined silhouette says the class is drawn consistently; a faint one says
    its images vary a lot (like MNIST's 1s written at different slants).
    """
    cols = 5
    rows = -(-len(means) // cols)
    fig = Figure(figsize=(1.4 * cols, 1.6 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols)).reshape(-1)
    for c, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if c >= len(means):
            ax.set_axis_off()
            continue
        if np.isnan(means[c]).all():
            ax.text(0.5, 0.5, "no images", ha="center", va="center", transform=ax.transAxes)
        else:
            ax.imshow(means[c], cmap="binary", vmin=0, vmax=255)
        name = class_names[c]
        ax.set_xlabel(name if name == str(c) else f"{c}: {name}", fontsize=8.5)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.08, wspace=0.08, hspace=0.3)
    return fig


def pixel_counts(images: np.ndarray) -> np.ndarray:
    """How many pixels take each grey level: int64 (256,), index = value 0-255.

    Counted a block at a time (:func:`image_blocks`), so that a 60,000-image split never needs a
    376 MB int64 copy, and images mapped from disk stay there.
    """
    counts = np.zeros(256, dtype=np.int64)
    for _, block in image_blocks(images):
        counts += np.bincount(block.ravel(), minlength=256)
    return counts


@dataclass(frozen=True)
class PixelStats:
    """Shares of all pixels (%): exactly 0 (background), at least 128 (ink), and the mean value."""

    zero_pct: float
    ink_pct: float
    mean: float  # 0-255


def pixel_stats(counts: np.ndarray) -> PixelStats:
    """Summarise :func:`pixel_counts`."""
    total = max(int(counts.sum()), 1)
    values = np.arange(len(counts))
    return PixelStats(
        zero_pct=100 * counts[0] / total,
        ink_pct=100 * counts[128:].sum() / total,
        mean=float((values * counts).sum() / total),
    )


def pixel_histogram_chart(counts: np.ndarray, bin_width: int = 8, log_scale: bool = True) -> alt.Chart:
    """Bars of :func:`pixel_counts` grouped into bins of ``bin_width`` grey levels.

    With ``log_scale`` the count axis is logarithmic (empty bins are left out), because the
    background bin (value 0) is usually 10-100 times taller than any other and would flatten
    them all on a linear axis.
    """
    if not 1 <= bin_width <= 256 or 256 % bin_width:
        raise ValueError(f"The bin width must divide 256 (1, 2, 4, ..., 256), not {bin_width}.")
    binned = counts.reshape(-1, bin_width).sum(axis=1)
    starts = np.arange(0, 256, bin_width)
    df = pd.DataFrame(
        {
            "from": starts,
            "to": starts + bin_width - 1,
            "pixels": binned,
            "scaled from": np.round(starts / 255, 3),
            "scaled to": np.round((starts + bin_width - 1) / 255, 3),
        }
    )
    if log_scale:
        df = df[df["pixels"] > 0]  # log(0) has no bar; an empty bin is shown by its absence
    return (
        alt.Chart(df, title="Pixel values (all training images)")
        .mark_bar(color=palette.BLUE)
        .encode(
            x=alt.X(
                "from:Q",
                bin="binned",
                title="grey level (0 = background, 255 = full ink)",
                scale=alt.Scale(domain=[0, 256]),
            ),
            x2="to:Q",
            y=alt.Y(
                "pixels:Q",
                scale=alt.Scale(type="log") if log_scale else alt.Scale(),
                title="pixels (log scale)" if log_scale else "pixels",
            ),
            # A bar needs a base; log(0) has none, so on the log axis bars start at 1 pixel.
            y2=alt.datum(1 if log_scale else 0),
            tooltip=[
                alt.Tooltip("from:Q"),
                alt.Tooltip("to:Q"),
                alt.Tooltip("pixels:Q", format=","),
                alt.Tooltip("scaled from:Q", title="÷255 from"),
                alt.Tooltip("scaled to:Q", title="÷255 to"),
            ],
        )
        .properties(height=260)
    )


def detail_window(image: np.ndarray, size: int = 8) -> tuple[int, int]:
    """Top-left (row, col) of the ``size``×``size`` window of a 2-D image whose values vary the
    most (an edge of a stroke), so the numbers the page prints show background, ink and the
    grey levels between, rather than 64 zeros."""
    if not 1 <= size <= min(image.shape):
        raise ValueError(f"The window must be 1 to {min(image.shape)} pixels wide, not {size}.")

    def window_sums(values: np.ndarray) -> np.ndarray:
        # Every window's sum at once, from a summed-area table (int64: no overflow).
        sat = np.pad(values.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
        return sat[size:, size:] - sat[:-size, size:] - sat[size:, :-size] + sat[:-size, :-size]

    x = image.astype(np.int64)
    n = size * size
    variance_n2 = n * window_sums(x * x) - window_sums(x) ** 2  # n² × variance, exact integers
    row, col = np.unravel_index(int(np.argmax(variance_n2)), variance_n2.shape)
    return int(row), int(col)


def preprocessing_figure(
    image: np.ndarray, top: int, left: int, size: int = 8, highlight: tuple[int, int] | None = None
) -> Figure:
    """The tutorial's preprocessing on one real image, in three panels: the image with a
    ``size``×``size`` window marked, the window's uint8 values 0-255, and the same values after
    ``/ 255.`` as float32 0-1 (two decimals). ``highlight`` (row, col), in image coordinates,
    outlines the pixel the page's text follows in both tables."""
    window = image[top : top + size, left : left + size]
    scaled = window.astype(np.float32) / 255.0
    fig = Figure(figsize=(13, 4.4))
    ax_img, ax_raw, ax_scaled = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.25, 1.25]})
    ax_img.imshow(image, cmap="binary", vmin=0, vmax=255)
    ax_img.add_patch(
        Rectangle((left - 0.5, top - 0.5), size, size, fill=False, edgecolor=palette.VERMILLION, lw=2)
    )
    ax_img.set_title(
        f"the image, window rows {top}-{top + size - 1}, cols {left}-{left + size - 1}", fontsize=10
    )
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    for ax, values, fmt, title in (
        (ax_raw, window, "{:d}", "before: uint8, 0-255"),
        (ax_scaled, scaled, "{:.2f}", "after: float32, 0-1 (÷ 255)"),
    ):
        vmax = 255 if values.dtype == np.uint8 else 1.0
        ax.imshow(values, cmap="binary", vmin=0, vmax=vmax)
        for (r, c), v in np.ndenumerate(values):
            ink = (v / vmax) > 0.5
            ax.text(
                c,
                r,
                fmt.format(v.item()),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if ink else "black",
            )
        if highlight is not None:
            hr, hc = highlight[0] - top, highlight[1] - left
            if 0 <= hr < size and 0 <= hc < size:
                ax.add_patch(
                    Rectangle((hc - 0.5, hr - 0.5), 1, 1, fill=False, edgecolor=palette.VERMILLION, lw=2.5)
                )
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(size), [str(left + i) for i in range(size)], fontsize=7)
        ax.set_yticks(range(size), [str(top + i) for i in range(size)], fontsize=7)
    fig.subplots_adjust(left=0.02, right=0.99, top=0.9, bottom=0.06, wspace=0.15)
    return fig


@dataclass(frozen=True)
class PreprocessedShape:
    """Shapes, dtypes, ranges and memory of a split before and after the tutorial's step."""

    before_shape: tuple[int, ...]
    after_shape: tuple[int, ...]
    before_bytes: int
    after_bytes: int


def preprocessed_shape(images: np.ndarray) -> PreprocessedShape:
    """What ``(np.expand_dims(x, -1) / 255.).astype(np.float32)`` would give for the whole split,
    computed from the shape alone (the app never makes that float copy: 4 bytes per pixel)."""
    after = (*images.shape, 1)
    return PreprocessedShape(tuple(images.shape), after, images.size * images.itemsize, images.size * 4)


# --- One-line descriptions, for each figure's ``alt`` text ------------------------------------


def sample_grid_description(labels: np.ndarray, indices: np.ndarray, class_names: tuple[str, ...]) -> str:
    """The grid of :func:`sample_grid_figure` in one line: how many images and of which classes,
    e.g. "36 training images, ink black on white, each captioned with its class and index: 5 Coat, …"."""
    shown = [int(i) for i in indices[: GRID_SIDE * GRID_SIDE]]
    counts = (
        np.bincount(labels[shown], minlength=len(class_names)) if shown else np.zeros(len(class_names), int)
    )
    parts = [
        f"{int(n)} {class_names[c]}"
        for c, n in sorted(enumerate(counts), key=lambda cn: (-cn[1], cn[0]))
        if n
    ]
    return (
        f"{len(shown)} training images in a {GRID_SIDE}×{GRID_SIDE} grid, ink black on white, each captioned "
        f"with its class and its index: " + ", ".join(parts) + "."
    )


def mean_image_description(class_names: tuple[str, ...]) -> str:
    """The panels of :func:`mean_image_figure` in one line."""
    return (
        f"{len(class_names)} blurred silhouettes, one per class ({class_names[0]} to {class_names[-1]}): "
        "each the pixel-by-pixel mean of that class's training images, ink black on white."
    )


def class_count_description(table: pd.DataFrame) -> str:
    """The bars of :func:`class_count_chart` in one line: the range of each split's shares."""
    train, test = table["train %"], table["test %"]
    return (
        f"Bars of each class's share of the training images ({train.min():.1f}% to {train.max():.1f}%) "
        f"and of the test images ({test.min():.1f}% to {test.max():.1f}%), for {len(table)} classes."
    )


def pixel_histogram_description(counts: np.ndarray) -> str:
    """The histogram of :func:`pixel_histogram_chart` in one line, from :func:`pixel_stats`."""
    stats = pixel_stats(counts)
    return (
        f"Histogram of {int(counts.sum()):,} pixel values 0 to 255: "
        f"{stats.zero_pct:.1f}% are 0 (background), "
        f"{stats.ink_pct:.1f}% are 128 or more (ink), mean {stats.mean:.1f}."
    )


def preprocessing_description(image: np.ndarray, top: int, left: int, size: int = 8) -> str:
    """The three panels of :func:`preprocessing_figure` in one line: the window and its values
    before (0–255) and after dividing by 255."""
    window = image[top : top + size, left : left + size]
    lo, hi = int(window.min()), int(window.max())
    return (
        f"The image with a {size}×{size} window at rows {top}–{top + size - 1}, "
        f"columns {left}–{left + size - 1}; "
        f"its values as uint8 from {lo} to {hi}; and the same values divided by 255, "
        f"from {lo / 255:.2f} to {hi / 255:.2f}."
    )
