"""The Predictions page's figures of the test set: the tutorial's grid of answers (matplotlib),
the clickable confusion matrix and the accuracy per class (Altair). Nothing here shows anything.

The tutorial's ``plot_image`` and ``plot_value_array`` are kept, with its colours made
colour-blind safe (Okabe–Ito blue and vermillion) and a mark that says it in words too: the
image's caption "✓ Predicted 97% (True)" is blue when right and "✗ …" vermillion when wrong; in
the bar chart of the ten probabilities the predicted bar is vermillion and the true bar blue (so a
right answer is one blue bar), with ✓ or ✗ above the predicted bar. They draw on an ``Axes``
passed in rather than on pyplot's current one. The ``*_description`` functions say in one line
what each figure shows, for its ``alt`` text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from . import palette
from .mpl import new_figure

RIGHT = palette.RIGHT  # the tutorial's 'blue': the true class's bar
WRONG = palette.WRONG  # the tutorial's 'red': the predicted bar of a mistake
OTHER = "#777777"  # the tutorial's grey for the other bars
MAX_GRID_ROWS = 8
MAX_GRID_COLS = 5
# Streamlit re-encodes (resizes) any image wider than this before sending it; stay under it.
MAX_WIDTH_PX = 1460


def _short_names(class_names: Sequence[str]) -> bool:
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
    text = f"{palette.RIGHT_MARK if right else palette.WRONG_MARK} {class_names[predicted]} {percent:2.0f}% ({class_names[int(true_label)]})"
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
    colors = [OTHER] * len(probabilities)
    colors[int(np.argmax(probabilities))] = WRONG
    if true_label is not None:
        colors[int(true_label)] = RIGHT
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

    The look is the tutorial's (:func:`caption`, :func:`bar_colors`); for a redraw on every
    filter change, one Axes in pixel coordinates holds every image, one collection every bar,
    and the labels are Pillow-rendered strips (in matplotlib's DejaVu Sans), not Text objects.
    """
    from matplotlib.collections import LineCollection, PolyCollection

    if not 1 <= num_rows <= MAX_GRID_ROWS or not 1 <= num_cols <= MAX_GRID_COLS:
        raise ValueError(
            f"The grid can have 1-{MAX_GRID_ROWS} rows and 1-{MAX_GRID_COLS} columns, "
            f"not {num_rows} × {num_cols}."
        )
    shown = [int(i) for i in list(indices)[: num_rows * num_cols]]
    if not shown:
        raise ValueError("No test image matches this filter.")
    rows = -(-len(shown) // num_cols)
    cols = num_cols if rows > 1 else len(shown)
    legend = not _short_names(class_names)
    s = min(1.0, MAX_WIDTH_PX / (_CELL_W * cols))  # the scale of every length below
    width = int(_CELL_W * cols * s)
    cell_h = _CELL_H * s
    height = int(round(cell_h * rows + (_LEGEND_H * s if legend else 0)))
    fig = new_figure(width / (100 * s), height / (100 * s))
    fig.set_dpi(100 * s)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)  # pixel coordinates, y down, like an image
    ax.set_axis_off()

    img, bar_w = round(_IMG * s), _BAR_W * s
    top_h, bottom_h = round(_IMG_Y * s), round((_CELL_H - _IMG_Y - _IMG) * s)
    n_classes = probabilities.shape[1]
    tick_strip = _tick_strip(bar_w, n_classes, s)
    bars, colors, frames = [], [], []
    for r in range(rows):
        y0 = round(r * cell_h)
        iy = y0 + top_h
        above = np.zeros((top_h, width, 4), np.uint8)  # the "#i" titles of this row, ✓/✗ over the bars
        below = np.zeros((bottom_h, width, 4), np.uint8)  # its captions and bar ticks
        for c, i in enumerate(shown[r * cols : (r + 1) * cols]):
            x0 = c * _CELL_W * s
            ix = round(x0 + _IMG_X * s)
            # The tutorial's cmap=binary: background white, ink black; sharp pixels.
            ax.imshow(
                images[i],
                cmap="binary",
                vmin=0,
                vmax=255,
                interpolation="nearest",
                extent=(ix, ix + img, iy + img, iy),
            )
            frames.append([(ix, iy), (ix + img, iy), (ix + img, iy + img), (ix, iy + img), (ix, iy)])
            title = _text_image(f"#{i}", "#666666", round(12 * s))
            _put(above, title, ix + img / 2 - title.shape[1] / 2, top_h - title.shape[0] - 1)
            text, color = caption(probabilities[i], labels[i], class_names)
            label = _fitted_text(text, color, round(14 * s), round((_BARS_X - 12) * s))
            _put(below, label, ix + img / 2 - label.shape[1] / 2, 4 * s)
            bx, base = x0 + _BARS_X * s, iy + img
            for j, (p, col) in enumerate(zip(probabilities[i], bar_colors(probabilities[i], labels[i]))):
                left, top = bx + (j + 0.1) * bar_w, base - float(p) * img
                bars.append(
                    [(left, base), (left + 0.8 * bar_w, base), (left + 0.8 * bar_w, top), (left, top)]
                )
                colors.append(col)
            mark = verdict_mark(probabilities[i], labels[i])
            k = int(np.argmax(probabilities[i]))
            glyph = _text_image(
                mark, palette.RIGHT_TEXT if mark == palette.RIGHT_MARK else palette.WRONG_TEXT, round(13 * s)
            )
            # Above the bars' square (where a bar of 100 % ends), over the predicted bar.
            _put(above, glyph, bx + (k + 0.5) * bar_w - glyph.shape[1] / 2, top_h - glyph.shape[0])
            frames.append([(bx, base), (bx + n_classes * bar_w, base)])
            _put(below, tick_strip, bx, 3 * s)
        _stamp(fig, height, above, 0, y0, "top", center=False)
        _stamp(fig, height, below, 0, iy + img, "top", center=False)
    ax.add_collection(PolyCollection(bars, facecolors=colors, edgecolors="none"))
    ax.add_collection(LineCollection(frames, colors="#222222", linewidths=0.8))
    if legend:
        names = "   ".join(f"{k} {name}" for k, name in enumerate(class_names))
        strip = _fitted_text(names, "#333333", round(13 * s), width - 8)
        _stamp(fig, height, strip, width / 2, height - 6 * s, "bottom")
    return fig


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


def confusion_description(matrix: np.ndarray, class_names: Sequence[str], top: int = 3) -> str:
    """One line for the confusion matrix's ``alt`` text: right answers on the diagonal, and the
    ``top`` most frequent confusions (true read as predicted, with counts)."""
    right, total = int(np.trace(matrix)), int(matrix.sum())
    off = [
        (int(matrix[t, p]), t, p)
        for t in range(matrix.shape[0])
        for p in range(matrix.shape[1])
        if t != p and matrix[t, p] > 0
    ]
    off.sort(key=lambda c: (-c[0], c[1], c[2]))
    text = (
        f"Confusion matrix of {total:,} test images, rows the true class, columns the answer: "
        f"{right:,} right on the diagonal, {total - right:,} mistakes off it"
    )
    if not off:
        return text + "."
    return (
        text
        + "; most often "
        + ", ".join(f"{class_names[t]} read as {class_names[p]} ({n}×)" for n, t, p in off[:top])
        + "."
    )


def per_class_description(accuracy: np.ndarray, class_names: Sequence[str], overall: float) -> str:
    """One line for the per-class accuracy chart's ``alt`` text: the overall accuracy, the best
    and the worst class (``accuracy`` (C,) in 0–1, NaN for a class with no test image: left out)."""
    acc = np.asarray(accuracy, dtype=float)
    if np.isnan(acc).all():
        return f"Accuracy per true class, overall {100 * overall:.1f}%: no class has a test image."
    best, worst = int(np.nanargmax(acc)), int(np.nanargmin(acc))
    return (
        f"Accuracy per true class, overall {100 * overall:.1f}%: best {class_names[best]} "
        f"{100 * acc[best]:.0f}%, worst {class_names[worst]} {100 * acc[worst]:.0f}%."
    )


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
    digits = [_text_image(str(j), "#333333", round(11 * scale)) for j in range(n)]
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


# ---------------------------------------------------------------------------------------------
# Altair charts


# A legend of image counts labels whole numbers only (no "1.5 mistakes" on a scale up to 2);
# two gradients of 100 px, stacked, fit beside the 380-px matrix (200 each were cut off).
WHOLE_COUNTS = {"tickMinStep": 1, "format": "d", "gradientLength": 100}


def confusion_chart(
    matrix: np.ndarray, class_names: Sequence[str], selected: tuple[int, int] | None = None
) -> Any:
    """A 10×10 heat map of counts M[true, predicted] (Altair), clickable: the point selection
    ``cell`` carries the fields ``true`` and ``predicted`` (class indices) of the clicked cell.

    The diagonal (right answers) is blue and scaled on its own; mistakes are shaded orange (towards
    vermillion) on their own scale, so a few confusions are not washed out by the ~100 right answers per class.
    ``selected`` outlines one cell.
    """
    import altair as alt
    import pandas as pd

    n = matrix.shape[0]
    totals = matrix.sum(axis=1)
    rows = []
    for t in range(n):
        for p in range(n):
            count = int(matrix[t, p])
            rows.append(
                {
                    "true": t,
                    "predicted": p,
                    "count": count,
                    "true_name": f"{t} {class_names[t]}" if not _short_names(class_names) else class_names[t],
                    "predicted_name": f"{p} {class_names[p]}"
                    if not _short_names(class_names)
                    else class_names[p],
                    "share": count / totals[t] if totals[t] else 0.0,
                    "kind": "right" if t == p else "mistake",
                    "mistakes": 0 if t == p else count,
                    "rights": count if t == p else 0,
                    "chosen": selected == (t, p),
                }
            )
    data = pd.DataFrame(rows)
    # White text where the cell's own colour scale makes it dark.
    max_right = max(int(np.diag(matrix).max()), 1)
    max_mistake = max(int(data["mistakes"].max()), 1)
    data["dark"] = np.where(
        data["kind"] == "right", data["count"] > 0.55 * max_right, data["count"] > 0.55 * max_mistake
    )
    order = list(data["true_name"].iloc[::n])
    cell = alt.selection_point(name="cell", fields=["true", "predicted"], on="click", clear="dblclick")
    x = alt.X(
        "predicted_name:O",
        sort=order,
        title="Predicted class",
        axis=alt.Axis(labelAngle=-40 if not _short_names(class_names) else 0),
    )
    y = alt.Y("true_name:O", sort=order, title="True class")
    tooltip = [
        alt.Tooltip("true_name:N", title="true"),
        alt.Tooltip("predicted_name:N", title="predicted"),
        alt.Tooltip("count:Q", title="images"),
        alt.Tooltip("share:Q", title="share of the class", format=".1%"),
    ]
    base = alt.Chart(data).encode(x=x, y=y, tooltip=tooltip)
    cells = dict(stroke="#e6e6e6", strokeWidth=1)
    # Empty cells stay white: a zero is not a small confusion.
    blank = base.mark_rect(color="white", **cells)
    wrong = (
        base.transform_filter((alt.datum.kind == "mistake") & (alt.datum.count > 0))
        .mark_rect(**cells)
        .encode(
            color=alt.Color(
                "count:Q",
                scale=alt.Scale(scheme="oranges", domain=[0, max_mistake]),
                legend=alt.Legend(title="mistakes", orient="right", **WHOLE_COUNTS),
            ),
        )
    )
    right = (
        base.transform_filter(alt.datum.kind == "right")
        .mark_rect(**cells)
        .encode(
            color=alt.Color(
                "count:Q",
                scale=alt.Scale(scheme="blues", domainMin=0),
                legend=alt.Legend(title="right", orient="right", **WHOLE_COUNTS),
            ),
        )
    )
    # One invisible layer takes the clicks (so Streamlit sees exactly one "cell" parameter) and
    # outlines the chosen cell.
    clicks = (
        base.mark_rect(fillOpacity=0.01, fill="white")
        .encode(
            stroke=alt.condition(alt.datum.chosen, alt.value("#111111"), alt.value("transparent")),
            strokeWidth=alt.condition(alt.datum.chosen, alt.value(3), alt.value(0)),
        )
        .add_params(cell)
    )
    labels = (
        base.transform_filter(alt.datum.count > 0)
        .mark_text(fontSize=11)
        .encode(
            text=alt.Text("count:Q"),
            color=alt.condition(alt.datum.dark, alt.value("white"), alt.value("#222222")),
        )
    )
    return (
        alt.layer(blank, right, wrong, clicks, labels)
        .resolve_scale(color="independent")
        .properties(height=380, title="Confusion matrix: rows are the truth, columns the answer")
    )


def clicked_cell(event: Any) -> tuple[int, int] | None:
    """The (true, predicted) cell a click on :func:`confusion_chart` chose, from the selection
    state Streamlit returns (``{"selection": {"cell": [{"true": t, "predicted": p}]}}``), or None
    when the click cleared the selection."""
    try:
        cells = (event.get("selection") or {}).get("cell") or []
        return (int(cells[0]["true"]), int(cells[0]["predicted"])) if cells else None
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def per_class_chart(accuracy: np.ndarray, class_names: Sequence[str], overall: float) -> Any:
    """Accuracy of each true class (0-1) as horizontal bars, with the overall accuracy as a rule."""
    import altair as alt
    import pandas as pd

    names = [f"{k} {n}" if not _short_names(class_names) else n for k, n in enumerate(class_names)]
    data = pd.DataFrame({"class": names, "accuracy": np.nan_to_num(accuracy, nan=0.0)})
    bars = (
        alt.Chart(data)
        .mark_bar(color=RIGHT)
        .encode(
            x=alt.X(
                "accuracy:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title="accuracy"
            ),
            y=alt.Y("class:N", sort=names, title=None, axis=alt.Axis(labelOverlap=False)),
            tooltip=[alt.Tooltip("class:N"), alt.Tooltip("accuracy:Q", format=".1%")],
        )
    )
    text = bars.mark_text(align="right", dx=-4, color="white", fontSize=11).encode(
        text=alt.Text("accuracy:Q", format=".0%")
    )
    rule = (
        alt.Chart(pd.DataFrame({"overall": [overall]}))
        .mark_rule(color=WRONG, strokeDash=[4, 3])
        .encode(x="overall:Q", tooltip=[alt.Tooltip("overall:Q", title="overall", format=".1%")])
    )
    return (bars + text + rule).properties(height=300, title="Accuracy per true class (dashed: overall)")
