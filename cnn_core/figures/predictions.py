"""The Predictions page's grid of test images and their answers (matplotlib), after the
tutorial's ``plot_image`` and ``plot_value_array``. Nothing here shows anything.

The tutorial's look is kept with colour-blind-safe colours (Okabe–Ito blue and vermillion) and a
mark that says right or wrong in words too: the image's caption "✓ Predicted 97% (True)" is blue
when right and "✗ …" vermillion when wrong; in the bar chart of the ten probabilities the predicted
bar is vermillion and the true bar blue (so a right answer is one blue bar), with ✓ or ✗ above the
predicted bar. The functions draw on an ``Axes`` passed in rather than on pyplot's current one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from . import palette
from .mpl import new_figure

MAX_GRID_ROWS = 8
MAX_GRID_COLS = 5
# Streamlit re-encodes (resizes) any image wider than this before sending it; stay under it.
MAX_WIDTH_PX = 1460


def short_names(class_names: Sequence[str]) -> bool:
    """Whether every class name is at most two characters (digits): then a name needs no index."""
    return all(len(name) <= 2 for name in class_names)


def caption(probabilities: np.ndarray, true_label: int | None, class_names: Sequence[str]) -> tuple[str, str]:
    """The tutorial's label under an image and its colour: ("✗ Coat 97% (Shirt)", vermillion)
    when wrong, ("✓ …", blue) when right; just "Coat 97%" in black when the true class is unknown
    (a drawing). The mark says right or wrong without the colour."""
    predicted = int(np.argmax(probabilities))
    percent = 100 * float(np.max(probabilities))
    if true_label is None:
        return f"{class_names[predicted]} {percent:2.0f}%", "black"
    right = predicted == int(true_label)
    mark = palette.RIGHT_MARK if right else palette.WRONG_MARK
    text = f"{mark} {class_names[predicted]} {percent:2.0f}% ({class_names[int(true_label)]})"
    return text, palette.RIGHT_TEXT if right else palette.WRONG_TEXT


def verdict_mark(probabilities: np.ndarray, true_label: int | None) -> str:
    """ "✓" when the predicted class is the true one, "✗" when not, "" when the truth is unknown:
    what the grid writes above the predicted bar."""
    if true_label is None:
        return ""
    return palette.RIGHT_MARK if int(np.argmax(probabilities)) == int(true_label) else palette.WRONG_MARK


def bar_colors(probabilities: np.ndarray, true_label: int | None) -> list[str]:
    """The tutorial's bar colours: grey, the predicted bar vermillion, then the true bar blue (so
    a right answer shows a single blue bar)."""
    colors = [palette.OTHER] * len(probabilities)
    colors[int(np.argmax(probabilities))] = palette.WRONG
    if true_label is not None:
        colors[int(true_label)] = palette.RIGHT
    return colors


def plot_image(
    ax: Any,
    probabilities: np.ndarray,
    true_label: int | None,
    image: np.ndarray,
    class_names: Sequence[str],
) -> None:
    """The tutorial's ``plot_image`` on ``ax``: the image in black on white (``binary``) and
    its :func:`caption` below it. ``probabilities`` is (10,), ``image`` (28, 28) uint8."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.imshow(image, cmap="binary", vmin=0, vmax=255, interpolation="nearest")
    text, color = caption(probabilities, true_label, class_names)
    ax.set_xlabel(text, color=color, fontsize=9)


def plot_value_array(ax: Any, probabilities: np.ndarray, true_label: int | None) -> None:
    """The tutorial's ``plot_value_array`` on ``ax``: ten bars of probability (0-1) coloured by
    :func:`bar_colors`, ticked with the class indices 0-9."""
    n = len(probabilities)
    ax.grid(False)
    ax.set_xticks(range(n))
    ax.tick_params(axis="x", labelsize=7, length=0, pad=2)
    ax.set_yticks([])
    ax.bar(range(n), probabilities, color=bar_colors(probabilities, true_label), width=0.8)
    mark = verdict_mark(probabilities, true_label)
    if mark:
        k = int(np.argmax(probabilities))
        ax.text(
            k,
            min(float(probabilities[k]), 0.88) + 0.02,
            mark,
            ha="center",
            va="bottom",
            fontsize=9,
            color=palette.RIGHT_TEXT if mark == palette.RIGHT_MARK else palette.WRONG_TEXT,
        )
    ax.set_ylim(0, 1)
    ax.set_xlim(-0.6, n - 0.4)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


# The grid's geometry, in pixels at scale 1 (dpi 100): each cell is the tutorial's two 2-inch
# panels side by side.
_CELL_W, _CELL_H = 400, 200
_IMG = 140  # the image square
_IMG_X, _IMG_Y = 30, 20  # its top-left corner in the cell
_BARS_X, _BAR_W = 215, 17  # the bar chart's left edge and each bar's slot width
_LEGEND_H = 28  # the strip under the grid that names the classes


def prediction_grid(
    images: np.ndarray,
    probabilities: np.ndarray,
    labels: np.ndarray,
    indices: Sequence[int],
    class_names: Sequence[str],
    num_rows: int = 5,
    num_cols: int = 3,
) -> Any:
    """The tutorial's In [13]: ``num_rows`` × ``num_cols`` cells of (image, probabilities).

    ``images`` (N, 28, 28) uint8, ``probabilities`` (N, 10) and ``labels`` (N,) are the whole
    test set; ``indices`` picks which to show, in order (the first rows × cols of them; a short
    list leaves the rest of the grid out). Each image is titled with its test-set index (#i).
    Returns a matplotlib Figure of 4·cols × 2·rows inches (plus a strip naming the classes when
    their names are long), its dpi chosen so that it is at most ``MAX_WIDTH_PX`` pixels wide;
    save it at that dpi (:func:`cnn_core.figures.mpl.figure_png` does).

    The look is the tutorial's (:func:`caption`, :func:`bar_colors`). So that the page can redraw
    it on every filter change, it is drawn with few artists: one Axes in pixel coordinates holds
    every image, one collection every bar, and the labels are Pillow-rendered strips (in
    matplotlib's DejaVu Sans), not Text objects.
    """
    from matplotlib.collections import LineCollection, PolyCollection

    shown = _shown_indices(indices, num_rows, num_cols)
    layout = _grid_layout(len(shown), num_cols, legend=not short_names(class_names))
    fig, ax = _pixel_axes(layout)
    tick_strip = _tick_strip(layout.bar_w, probabilities.shape[1], layout.scale)
    marks = _Marks()
    for r in range(layout.rows):
        y0 = round(r * layout.cell_h)
        iy = y0 + layout.top_h
        above = np.zeros((layout.top_h, layout.width, 4), np.uint8)  # "#i" titles, ✓/✗ over the bars
        below = np.zeros((layout.bottom_h, layout.width, 4), np.uint8)  # captions and bar ticks
        for c, i in enumerate(shown[r * layout.cols : (r + 1) * layout.cols]):
            x0 = c * _CELL_W * layout.scale
            ix = round(x0 + _IMG_X * layout.scale)
            _draw_image(ax, marks, images[i], ix, iy, layout.img)
            text, color = caption(probabilities[i], labels[i], class_names)
            _label_image(above, below, layout, f"#{i}", text, color, ix)
            bx = x0 + _BARS_X * layout.scale
            _draw_bars(marks, above, layout, probabilities[i], labels[i], bx, iy + layout.img)
            _put(below, tick_strip, bx, 3 * layout.scale)
        _stamp(fig, layout.height, above, 0, y0, "top", center=False)
        _stamp(fig, layout.height, below, 0, iy + layout.img, "top", center=False)
    ax.add_collection(PolyCollection(marks.bars, facecolors=marks.colors, edgecolors="none"))
    ax.add_collection(LineCollection(marks.frames, colors=palette.INK, linewidths=0.8))
    if layout.legend:
        names = "   ".join(f"{k} {name}" for k, name in enumerate(class_names))
        strip = _fitted_text(names, palette.LABEL_TEXT, round(13 * layout.scale), layout.width - 8)
        _stamp(fig, layout.height, strip, layout.width / 2, layout.height - 6 * layout.scale, "bottom")
    return fig


def _shown_indices(indices: Sequence[int], num_rows: int, num_cols: int) -> list[int]:
    """The test-set indices the grid shows (at most rows × cols); raises for an impossible grid."""
    if not 1 <= num_rows <= MAX_GRID_ROWS or not 1 <= num_cols <= MAX_GRID_COLS:
        raise ValueError(
            f"The grid can have 1-{MAX_GRID_ROWS} rows and 1-{MAX_GRID_COLS} columns, "
            f"not {num_rows} × {num_cols}."
        )
    shown = [int(i) for i in list(indices)[: num_rows * num_cols]]
    if not shown:
        raise ValueError("No test image matches this filter.")
    return shown


@dataclass(frozen=True)
class _GridLayout:
    """The grid's size in figure pixels: the geometry above times ``scale`` (at most 1)."""

    rows: int
    cols: int
    scale: float
    width: int
    height: int
    legend: bool  # whether a strip under the grid names the classes

    @property
    def cell_h(self) -> float:
        return _CELL_H * self.scale

    @property
    def img(self) -> int:
        return round(_IMG * self.scale)

    @property
    def bar_w(self) -> float:
        return _BAR_W * self.scale

    @property
    def top_h(self) -> int:
        """The band above the images: their titles, and the ✓/✗ over the bars."""
        return round(_IMG_Y * self.scale)

    @property
    def bottom_h(self) -> int:
        """The band below the images: their captions and the bars' tick digits."""
        return round((_CELL_H - _IMG_Y - _IMG) * self.scale)


def _grid_layout(count: int, num_cols: int, legend: bool) -> _GridLayout:
    """Rows and columns for ``count`` images, scaled down to at most ``MAX_WIDTH_PX`` wide."""
    rows = -(-count // num_cols)
    cols = num_cols if rows > 1 else count
    scale = min(1.0, MAX_WIDTH_PX / (_CELL_W * cols))
    width = int(_CELL_W * cols * scale)
    height = int(round(_CELL_H * scale * rows + (_LEGEND_H * scale if legend else 0)))
    return _GridLayout(rows, cols, scale, width, height, legend)


def _pixel_axes(layout: _GridLayout) -> tuple[Any, Any]:
    """A figure exactly ``layout``'s pixels in size, and one Axes over it in pixel coordinates
    (y down, like an image)."""
    s = layout.scale
    fig = new_figure(layout.width / (100 * s), layout.height / (100 * s))
    fig.set_dpi(100 * s)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, layout.width)
    ax.set_ylim(layout.height, 0)
    ax.set_axis_off()
    return fig, ax


@dataclass
class _Marks:
    """The grid's bars (polygons and their colours) and frames (polylines), drawn as two
    collections at the end."""

    bars: list = field(default_factory=list)
    colors: list = field(default_factory=list)
    frames: list = field(default_factory=list)


def _draw_image(ax: Any, marks: _Marks, image: np.ndarray, ix: int, iy: int, img: int) -> None:
    """One (28, 28) uint8 image as an ``img``-pixel square at (ix, iy), framed."""
    # The tutorial's cmap=binary: background white, ink black; sharp pixels.
    ax.imshow(
        image, cmap="binary", vmin=0, vmax=255, interpolation="nearest", extent=(ix, ix + img, iy + img, iy)
    )
    marks.frames.append([(ix, iy), (ix + img, iy), (ix + img, iy + img), (ix, iy + img), (ix, iy)])


def _label_image(
    above: np.ndarray, below: np.ndarray, layout: _GridLayout, title: str, text: str, color: str, ix: int
) -> None:
    """The image's ``title`` centred above it and its caption ``text`` centred below it."""
    s, img = layout.scale, layout.img
    stamp = _text_image(title, palette.QUIET_TEXT, round(12 * s))
    _put(above, stamp, ix + img / 2 - stamp.shape[1] / 2, layout.top_h - stamp.shape[0] - 1)
    label = _fitted_text(text, color, round(14 * s), round((_BARS_X - 12) * s))
    _put(below, label, ix + img / 2 - label.shape[1] / 2, 4 * s)


def _draw_bars(
    marks: _Marks,
    above: np.ndarray,
    layout: _GridLayout,
    probabilities: np.ndarray,
    true_label: int,
    bx: float,
    base: float,
) -> None:
    """One image's bar chart: a bar per class (probability 0-1 over the image's height) from
    ``bx`` along the baseline ``base``, the ✓/✗ above the predicted bar, and the baseline."""
    bar_w, img = layout.bar_w, layout.img
    for j, (p, col) in enumerate(zip(probabilities, bar_colors(probabilities, true_label))):
        left, top = bx + (j + 0.1) * bar_w, base - float(p) * img
        marks.bars.append([(left, base), (left + 0.8 * bar_w, base), (left + 0.8 * bar_w, top), (left, top)])
        marks.colors.append(col)
    mark = verdict_mark(probabilities, true_label)
    k = int(np.argmax(probabilities))
    colour = palette.RIGHT_TEXT if mark == palette.RIGHT_MARK else palette.WRONG_TEXT
    glyph = _text_image(mark, colour, round(13 * layout.scale))
    # Above the bars' square (where a bar of 100 % ends), over the predicted bar.
    _put(above, glyph, bx + (k + 0.5) * bar_w - glyph.shape[1] / 2, layout.top_h - glyph.shape[0])
    marks.frames.append([(bx, base), (bx + len(probabilities) * bar_w, base)])


MAX_LISTED = 10  # mistakes a description names one by one before it says "and n more"


def grid_description(
    probabilities: np.ndarray, labels: np.ndarray, indices: Sequence[int], class_names: Sequence[str]
) -> str:
    """One line for the grid's ``alt`` text and caption: how many of the shown test images are
    right, and each mistake, e.g. "12 of 15 right (✓); wrong (✗): test #8 (5 read as 6), …".
    ``probabilities`` (N, 10) and ``labels`` (N,) are the whole test set, ``indices`` the shown ones."""
    shown = [int(i) for i in indices]
    wrong = [i for i in shown if int(np.argmax(probabilities[i])) != int(labels[i])]
    text = f"{len(shown) - len(wrong)} of {len(shown)} right ({palette.RIGHT_MARK})"
    if not wrong:
        return text + ", no mistakes."
    listed = [
        f"test #{i} ({class_names[int(labels[i])]} read as {class_names[int(np.argmax(probabilities[i]))]})"
        for i in wrong[:MAX_LISTED]
    ]
    more = f", and {len(wrong) - MAX_LISTED} more" if len(wrong) > MAX_LISTED else ""
    return f"{text}; wrong ({palette.WRONG_MARK}): " + ", ".join(listed) + more + "."


@lru_cache(maxsize=1)
def _font_path() -> str:
    from matplotlib import font_manager

    return font_manager.findfont("DejaVu Sans")


@lru_cache(maxsize=4096)
def _text_image(text: str, color: str, size_px: int) -> np.ndarray:
    """``text`` rendered in DejaVu Sans at ``size_px`` as an RGBA uint8 array (cached)."""
    from matplotlib.colors import to_rgb
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(_font_path(), size_px)
    ascent, descent = font.getmetrics()
    left, _, right, _ = font.getbbox(text)
    mask = Image.new("L", (max(1, right - left), ascent + descent))
    ImageDraw.Draw(mask).text((-left, 0), text, fill=255, font=font)
    rgba = np.zeros((mask.height, mask.width, 4), np.uint8)
    rgba[..., :3] = np.array(to_rgb(color)) * 255
    rgba[..., 3] = np.asarray(mask)
    return rgba


def _fitted_text(text: str, color: str, size_px: int, max_width: int) -> np.ndarray:
    """:func:`_text_image`, a point smaller at a time until it is at most ``max_width`` wide."""
    stamp = _text_image(text, color, size_px)
    while stamp.shape[1] > max_width and size_px > 8:
        size_px -= 1
        stamp = _text_image(text, color, size_px)
    return stamp


@lru_cache(maxsize=16)
def _tick_strip(bar_w: float, n: int, scale: float) -> np.ndarray:
    """The digits 0..n-1, each centred under its bar slot, as one RGBA strip (cached)."""
    digits = [_text_image(str(j), palette.LABEL_TEXT, round(11 * scale)) for j in range(n)]
    h = max(d.shape[0] for d in digits)
    strip = np.zeros((h, int(np.ceil(n * bar_w)) + 1, 4), np.uint8)
    for j, d in enumerate(digits):
        x = int(round((j + 0.5) * bar_w - d.shape[1] / 2))
        strip[: d.shape[0], x : x + d.shape[1]] = d
    return strip


def _put(band: np.ndarray, rgba: np.ndarray, x: float, y: float) -> None:
    """Copy an RGBA stamp into a transparent RGBA band at (x, y) (its top-left), clipped to the
    band; where stamps overlap, the more opaque pixel wins."""
    h, w = rgba.shape[:2]
    left, top = int(round(x)), int(round(y))
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + h, band.shape[0]), min(left + w, band.shape[1])
    if t1 <= t0 or l1 <= l0:
        return
    src = rgba[t0 - top : t1 - top, l0 - left : l1 - left]
    dst = band[t0:t1, l0:l1]
    np.copyto(dst, src, where=src[..., 3:4] > dst[..., 3:4])


def _stamp(
    fig: Any, fig_height: float, rgba: np.ndarray, x: float, y: float, anchor: str, center: bool = True
) -> None:
    """Place an RGBA stamp at pixel (x, y), y measured down from the top of the figure.

    ``anchor`` says whether y is the stamp's "top" or "bottom"; ``center`` centres it on x.
    """
    h, w = rgba.shape[:2]
    left = x - w / 2 if center else x
    top = y if anchor == "top" else y - h
    fig.figimage(rgba, xo=int(round(left)), yo=int(round(fig_height - top - h)), origin="upper", zorder=3)
