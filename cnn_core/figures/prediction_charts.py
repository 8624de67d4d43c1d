"""The Predictions page's Altair charts of the test set: the clickable confusion matrix and the
accuracy per class, each with a one-line description for its ``alt`` text. Nothing here shows
anything.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import palette
from .predictions import short_names

# A legend of image counts labels whole numbers only (no "1.5 mistakes" on a scale up to 2), and
# its gradient is short enough that two of them, stacked, fit beside the matrix.
WHOLE_COUNTS = {"tickMinStep": 1, "format": "d", "gradientLength": 100}
MATRIX_HEIGHT_PX = 380
DARK_CELL_SHARE = 0.55  # a cell above this share of its scale's largest count gets white text


def confusion_chart(
    matrix: np.ndarray, class_names: Sequence[str], selected: tuple[int, int] | None = None
) -> Any:
    """A C×C heat map of counts M[true, predicted] (Altair), clickable: the point selection
    ``cell`` carries the fields ``true`` and ``predicted`` (class indices) of the clicked cell.

    The diagonal (right answers) is blue and scaled on its own; mistakes are shaded orange (towards
    vermillion) on their own scale, so a few confusions are not washed out by the ~100 right answers
    per class. ``selected`` outlines one cell.
    """
    import altair as alt

    data = _confusion_frame(matrix, class_names, selected)
    n = matrix.shape[0]
    order = list(data["true_name"].iloc[::n])
    x = alt.X(
        "predicted_name:O",
        sort=order,
        title="Predicted class",
        axis=alt.Axis(labelAngle=-40 if not short_names(class_names) else 0),
    )
    y = alt.Y("true_name:O", sort=order, title="True class")
    tooltip = [
        alt.Tooltip("true_name:N", title="true"),
        alt.Tooltip("predicted_name:N", title="predicted"),
        alt.Tooltip("count:Q", title="images"),
        alt.Tooltip("share:Q", title="share of the class", format=".1%"),
    ]
    base = alt.Chart(data).encode(x=x, y=y, tooltip=tooltip)
    max_mistake = max(int(data["mistakes"].max()), 1)
    return (
        alt.layer(*_confusion_layers(base, max_mistake))
        .resolve_scale(color="independent")
        .properties(height=MATRIX_HEIGHT_PX, title="Confusion matrix: rows are the truth, columns the answer")
    )


def _confusion_frame(matrix: np.ndarray, class_names: Sequence[str], selected: tuple[int, int] | None) -> Any:
    """One row per cell of the matrix: its classes, count, share of the true class, whether it is
    a right answer, the chosen cell, and ``dark`` (white text) on its own colour scale."""
    import pandas as pd

    n = matrix.shape[0]
    totals = matrix.sum(axis=1)
    short = short_names(class_names)
    rows = []
    for t in range(n):
        for p in range(n):
            count = int(matrix[t, p])
            rows.append(
                {
                    "true": t,
                    "predicted": p,
                    "count": count,
                    "true_name": class_names[t] if short else f"{t} {class_names[t]}",
                    "predicted_name": class_names[p] if short else f"{p} {class_names[p]}",
                    "share": count / totals[t] if totals[t] else 0.0,
                    "kind": "right" if t == p else "mistake",
                    "mistakes": 0 if t == p else count,
                    "rights": count if t == p else 0,
                    "chosen": selected == (t, p),
                }
            )
    data = pd.DataFrame(rows)
    max_right = max(int(np.diag(matrix).max()), 1)
    max_mistake = max(int(data["mistakes"].max()), 1)
    data["dark"] = np.where(
        data["kind"] == "right",
        data["count"] > DARK_CELL_SHARE * max_right,
        data["count"] > DARK_CELL_SHARE * max_mistake,
    )
    return data


def _confusion_layers(base: Any, max_mistake: int) -> list[Any]:
    """The matrix's layers, bottom to top: white cells, right answers (blues), mistakes (oranges),
    the click layer and the counts."""
    import altair as alt

    cells = dict(stroke=palette.CELL_LINE, strokeWidth=1)
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
    cell = alt.selection_point(name="cell", fields=["true", "predicted"], on="click", clear="dblclick")
    clicks = (
        base.mark_rect(fillOpacity=0.01, fill="white")
        .encode(
            stroke=alt.condition(
                alt.datum.chosen, alt.value(palette.CHOSEN_OUTLINE), alt.value("transparent")
            ),
            strokeWidth=alt.condition(alt.datum.chosen, alt.value(3), alt.value(0)),
        )
        .add_params(cell)
    )
    labels = (
        base.transform_filter(alt.datum.count > 0)
        .mark_text(fontSize=11)
        .encode(
            text=alt.Text("count:Q"),
            color=alt.condition(alt.datum.dark, alt.value("white"), alt.value(palette.INK)),
        )
    )
    return [blank, right, wrong, clicks, labels]


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
    """Accuracy of each true class (``accuracy`` (C,) in 0-1) as horizontal bars, with the overall
    accuracy (0-1) as a dashed rule."""
    import altair as alt
    import pandas as pd

    names = [f"{k} {n}" if not short_names(class_names) else n for k, n in enumerate(class_names)]
    data = pd.DataFrame({"class": names, "accuracy": np.nan_to_num(accuracy, nan=0.0)})
    bars = (
        alt.Chart(data)
        .mark_bar(color=palette.RIGHT)
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
        .mark_rule(color=palette.WRONG, strokeDash=[4, 3])
        .encode(x="overall:Q", tooltip=[alt.Tooltip("overall:Q", title="overall", format=".1%")])
    )
    return (bars + text + rule).properties(height=300, title="Accuracy per true class (dashed: overall)")


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
