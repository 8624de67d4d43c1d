"""The Training page's figures: live learning curves (Vega-Lite dicts, cheap to rebuild every
second for every watcher) and the tutorial's learning-curve figure (matplotlib).

Per-batch histories grow to thousands of points; :func:`downsample` keeps the browser's share
to a few hundred bucket means per series.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..formulas import plural
from . import palette
from .vega import SCHEMA, Spec

MAX_POINTS = 400  # per series, after down-sampling
METRICS = {"loss": "Loss (cross-entropy)", "accuracy": "Accuracy"}
RATE_CHANGE_COLOUR = "#888888"  # the dashed rule where the learning rate was changed during training


def downsample(values: Sequence[float], max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Bucket means of ``values``: (positions, means), at most ``max_points`` of each.

    Positions are the mean 1-based index of each bucket's items, so a curve drawn from them lies
    where the full curve lies; with no more than ``max_points`` values they are returned as is.
    Non-finite values (a diverged run) are dropped first.
    """
    y = np.asarray(values, dtype=float)
    x = np.arange(1, len(y) + 1, dtype=float)
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, not {max_points}.")
    if len(y) <= max_points:
        return x, y
    edges = np.linspace(0, len(y), max_points + 1).astype(int)
    sums_x, sums_y = np.add.reduceat(x, edges[:-1]), np.add.reduceat(y, edges[:-1])
    counts = np.diff(edges)
    return sums_x / counts, sums_y / counts


def smooth(values: Sequence[float], span: int = 20) -> np.ndarray:
    """Exponential moving average over about ``span`` values (what TensorBoard's slider does),
    so the trend shows through the batch-to-batch noise. Non-finite values stay where they are
    and do not enter the average."""
    import pandas as pd

    y = np.asarray(values, dtype=float)
    finite = np.isfinite(y)
    out = y.copy()
    # pandas' ewm is vectorised: this runs once a second on thousands of values.
    out[finite] = pd.Series(y[finite]).ewm(span=span, adjust=False).mean().to_numpy()
    return out


def axis_end(done: float, total: float | None) -> float:
    """Where the epoch axis ends: a little past the work done, in whole epochs, never past the
    run's end. The curve grows across the chart instead of hugging the left edge of a long
    run's axis, and the axis steps out as the run goes on."""
    if not total:
        return max(float(done), 1.0)
    return float(min(total, max(1, math.ceil(done * 1.25))))


def batch_curve_chart(
    values: Sequence[float],
    steps_per_epoch: int,
    metric: str = "loss",
    total_epochs: int | None = None,
    learning_rate_changes: Sequence[Any] = (),
) -> Spec:
    """Per-batch ``metric`` ("loss" or "accuracy") against epochs: each batch (faint) and its
    moving average (solid). The x axis spans ``total_epochs`` so the curve grows across it.
    Each of ``learning_rate_changes`` (:class:`cnn_core.training_config.LearningRateChange`) is a
    vertical rule labelled with its new η where it took effect."""
    _check_metric(metric)
    per_epoch = max(steps_per_epoch, 1)
    series = {
        "each batch": downsample(values),
        "moving average": downsample(smooth(values, span=max(steps_per_epoch // 4, 5))),
    }
    rows = [
        {"epoch": float(x) / per_epoch, "value": float(y), "series": name}
        for name, (xs, ys) in series.items()
        for x, y in zip(xs, ys)
    ]
    end = axis_end(len(values) / per_epoch, total_epochs)
    return _with_rules(
        learning_rate_changes,
        per_epoch,
        {
            "$schema": SCHEMA,
            "title": f"{METRICS[metric]} per batch",
            "height": 320,
            "data": {"values": rows},
            "mark": {"type": "line"},
            "encoding": {
                "x": _x(end),
                "y": _y(metric),
                "detail": {"field": "series", "type": "nominal"},
                "opacity": {
                    "field": "series",
                    "type": "nominal",
                    "scale": {"domain": list(series), "range": [0.3, 1.0]},
                    "legend": {"title": None, "orient": "top"},
                },
                "color": {"value": palette.BLUE if metric == "loss" else palette.GREEN},
                "tooltip": [
                    {"field": "epoch", "type": "quantitative", "format": ".2f"},
                    {"field": "value", "type": "quantitative", "title": metric, "format": ".3f"},
                    {"field": "series", "type": "nominal"},
                ],
            },
        },
    )


def epoch_curve_chart(
    history: Sequence[Any],
    metric: str = "loss",
    total_epochs: int | None = None,
    learning_rate_changes: Sequence[Any] = (),
    steps_per_epoch: int = 1,
) -> Spec:
    """Per-epoch ``metric`` on the training images and on the held-out validation images.

    ``history`` holds records with ``epoch``, ``loss``, ``accuracy``, ``val_loss`` and
    ``val_accuracy``. A validation curve that turns up while the training curve keeps falling
    is over-fitting. Live changes of η are vertical rules as on :func:`batch_curve_chart`
    (``steps_per_epoch`` places them).
    """
    _check_metric(metric)
    rows = []
    for r in history:
        rows.append({"epoch": r.epoch, "value": getattr(r, metric), "split": "training"})
        val = getattr(r, f"val_{metric}")
        if val is not None:
            rows.append({"epoch": r.epoch, "value": val, "split": "validation"})
    end = max(axis_end(len(history), total_epochs), 2.0 if (total_epochs or 2) >= 2 else 1.0)
    splits = ["training", "validation"]
    x = _x(end)
    x["axis"] = {"tickMinStep": 1, "format": "d"}
    return _with_rules(
        learning_rate_changes,
        max(steps_per_epoch, 1),
        {
            "$schema": SCHEMA,
            "title": f"{METRICS[metric]} per epoch",
            "height": 320,
            "data": {"values": rows},
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": x,
                "y": _y(metric),
                "color": {
                    "field": "split",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": splits, "range": [palette.BLUE, palette.VERMILLION]},
                    "legend": {"orient": "top"},
                },
                "strokeDash": {
                    "field": "split",
                    "type": "nominal",
                    "legend": None,
                    "scale": {"domain": splits, "range": [[1, 0], [5, 3]]},
                },
                "tooltip": [
                    {"field": "epoch", "type": "quantitative"},
                    {"field": "split", "type": "nominal"},
                    {"field": "value", "type": "quantitative", "title": metric, "format": ".4f"},
                ],
            },
        },
    )


def learning_curve_figure(history: Sequence[Any]) -> Any:
    """The tutorial's learning curve (cell [11]): accuracy [%] (black, circles) and loss
    (vermillion, squares) per epoch on twin y axes, with the validation curves dashed when there
    are any: each curve told by its marker and dash as well as its colour.

    Returns a matplotlib Figure of 10 × 4.5 inches; the caller closes it after drawing.
    """
    # A bare Figure (not pyplot's): no global figure list to leak into, safe off the main thread.
    from matplotlib.figure import Figure

    if not history:
        raise ValueError("There is no finished epoch to plot yet.")
    epochs = np.array([r.epoch for r in history])
    accuracy = np.array([r.accuracy for r in history], dtype=float)
    loss = np.array([r.loss for r in history], dtype=float)
    fig = Figure(figsize=(10, 4.5))
    ax = fig.add_subplot(111)  # the tutorial's add_subplot('111') needs an int in matplotlib 3
    ax_twin = ax.twinx()
    lines = ax.plot(epochs, accuracy * 100, color="k", marker="o", label="training accuracy")
    lines += ax_twin.plot(epochs, loss, color=palette.VERMILLION, marker="s", label="training loss")
    if all(r.val_accuracy is not None for r in history):
        lines += ax.plot(
            epochs,
            np.array([r.val_accuracy for r in history]) * 100,
            color="k",
            marker="o",
            linestyle="--",
            label="validation accuracy",
        )
        lines += ax_twin.plot(
            epochs,
            np.array([r.val_loss for r in history]),
            color=palette.VERMILLION,
            marker="s",
            linestyle="--",
            label="validation loss",
        )
    ax.set_xlabel("Epochs [-]")
    ax.set_ylabel("Accuracy [%]")
    ax_twin.set_ylabel("Loss [-]", color=palette.WRONG_TEXT)
    ax_twin.tick_params(axis="y", colors=palette.WRONG_TEXT)
    ax.set_xticks(epochs if len(epochs) <= 20 else np.linspace(epochs[0], epochs[-1], 11).round())
    ax.grid(alpha=0.3)
    ax.legend(lines, [line.get_label() for line in lines], loc="center right", frameon=False)
    fig.tight_layout()
    return fig


def curve_description(values: Sequence[float], metric: str, unit: str) -> str:
    """One line for a curve's ``alt`` text: where ``metric`` starts, ends and how low or high it
    got, e.g. "Loss per batch over 938 batches: 2.31 at first, 0.42 at the end, lowest 0.35."."""
    _check_metric(metric)
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(values)
    if not vals:
        return f"{METRICS[metric]} per {unit}: nothing measured yet."
    best, word = (min(vals), "lowest") if metric == "loss" else (max(vals), "highest")
    fmt = lambda v: _metric_text(v, metric)  # noqa: E731
    return (
        f"{METRICS[metric]} per {unit} over {n:,} {unit}{'es' if unit == 'batch' else 's'}: "
        f"{fmt(vals[0])} at first, "
        f"{fmt(vals[-1])} at the end, {word} {fmt(best)}."
    )


def _metric_text(value: float, metric: str) -> str:
    return f"{value:.2f}" if metric == "loss" else f"{100 * value:.1f}%"


def epoch_curve_description(history: Sequence[Any], metric: str) -> str:
    """:func:`curve_description` of the per-epoch training curve, plus the last validation value."""
    text = curve_description([getattr(r, metric) for r in history], metric, "epoch")
    vals = [getattr(r, f"val_{metric}") for r in history]
    if history and vals[-1] is not None:
        text = text[:-1] + f"; validation at the end {_metric_text(vals[-1], metric)}."
    return text


def learning_curve_description(history: Sequence[Any]) -> str:
    """One line for the tutorial's learning curve: accuracy and loss from the first to the last epoch."""
    first, last = history[0], history[-1]
    return (
        f"Learning curve over {len(history)} {plural(len(history), 'epoch')}: "
        f"training accuracy {100 * first.accuracy:.1f}% → "
        f"{100 * last.accuracy:.1f}%, training loss {first.loss:.2f} → {last.loss:.2f}"
        + (
            f"; validation accuracy at the end {100 * last.val_accuracy:.1f}%."
            if last.val_accuracy is not None
            else "."
        )
    )


def _with_rules(changes: Sequence[Any], steps_per_epoch: int, spec: Spec) -> Spec:
    """``spec`` with a grey vertical rule and an "η = <new>" label at each change of η, at
    ``change.step / steps_per_epoch`` epochs (where the first batch with the new η began).
    Without changes, ``spec`` as it is: one plain chart, no layers. Either way the curve's rows
    are the top-level ``data``, so a page can send them apart from the spec."""
    if not changes:
        return spec
    rules = [
        {
            "epoch": c.step / steps_per_epoch,
            "label": f"η = {c.learning_rate:g}",
            "change": f"η {c.previous:g} → {c.learning_rate:g} from epoch {c.epoch}",
        }
        for c in changes
    ]
    x = {"field": "epoch", "type": "quantitative"}
    line = {key: spec.pop(key) for key in ("mark", "encoding")}  # its data stays on top: layers inherit it
    spec["layer"] = [
        line,
        {
            "data": {"values": rules},
            "mark": {"type": "rule", "color": RATE_CHANGE_COLOUR, "strokeDash": [4, 3]},
            "encoding": {
                "x": x,
                "tooltip": [{"field": "change", "type": "nominal", "title": "learning rate"}],
            },
        },
        {
            "data": {"values": rules},
            "mark": {
                "type": "text",
                "align": "left",
                "baseline": "top",
                "dx": 3,
                "dy": 2,
                "color": palette.NOTE_TEXT,
            },
            "encoding": {"x": x, "y": {"value": 0}, "text": {"field": "label", "type": "nominal"}},
        },
    ]
    return spec


def _x(end: float) -> dict[str, Any]:
    return {
        "field": "epoch",
        "type": "quantitative",
        "title": "Epoch",
        "scale": {"domain": [0, end], "nice": False},
    }


def _y(metric: str) -> dict[str, Any]:
    if metric == "accuracy":
        return {
            "field": "value",
            "type": "quantitative",
            "title": "Accuracy",
            "scale": {"domain": [0, 1]},
            "axis": {"format": ".0%"},
        }
    return {"field": "value", "type": "quantitative", "title": "Loss", "scale": {"zero": True}}


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"metric must be 'loss' or 'accuracy', not {metric!r}.")


# ----- comparing stored runs -------------------------------------------------------------------

RUN_COLOURS = palette.CATEGORIES  # one per compared run, so six runs at most
SPLIT_DASHES = {"training": [1, 0], "validation": [6, 4]}  # solid, dashed


def compare_chart(runs: Sequence[Any], metric: str = "loss", names: Sequence[str] | None = None) -> Spec:
    """Per-epoch ``metric`` of up to six stored runs on one chart: one layer per run and split,
    training solid and validation dashed, one Okabe–Ito colour per run, a legend naming them.

    ``runs`` hold ``history`` (records with ``epoch``, ``loss``, ``accuracy``, ``val_loss``,
    ``val_accuracy``; val None when not held out); ``names`` label them in the legend (default
    "run 1", "run 2"...). Raises ``ValueError`` for more than six runs.
    """
    _check_metric(metric)
    if len(runs) > len(RUN_COLOURS):
        raise ValueError(f"At most {len(RUN_COLOURS)} runs fit on one chart, not {len(runs)}.")
    names = list(names) if names is not None else [f"run {i + 1}" for i in range(len(runs))]
    colour = {
        "field": "run",
        "type": "nominal",
        "title": None,
        "scale": {"domain": names, "range": list(RUN_COLOURS[: len(names)])},
        "legend": {"orient": "bottom", "columns": 1, "labelLimit": 400},
    }  # one a line: fits a phone
    dash = {
        "field": "split",
        "type": "nominal",
        "title": None,
        "scale": {"domain": list(SPLIT_DASHES), "range": list(SPLIT_DASHES.values())},
        "legend": None,
    }  # said in the subtitle: a dash legend draws no visible symbol here
    layers, last = [], 1
    for name, run in zip(names, runs):
        for split, field in (("training", metric), ("validation", f"val_{metric}")):
            rows = [
                {"run": name, "split": split, "epoch": r.epoch, "value": getattr(r, field)}
                for r in run.history
                if getattr(r, field) is not None
            ]
            if not rows:
                continue
            last = max(last, rows[-1]["epoch"])
            layers.append(
                {
                    "data": {"values": rows},
                    "mark": {"type": "line", "point": True, "strokeWidth": 2},
                    "encoding": {
                        "x": {"field": "epoch", "type": "quantitative"},
                        "y": {"field": "value", "type": "quantitative"},
                        "color": colour,
                        "strokeDash": dash,
                        "tooltip": [
                            {"field": "run", "type": "nominal"},
                            {"field": "split", "type": "nominal"},
                            {"field": "epoch", "type": "quantitative"},
                            {"field": "value", "type": "quantitative", "title": metric, "format": ".4f"},
                        ],
                    },
                }
            )
    x = _x(float(last))
    x["scale"]["domain"] = [1, max(last, 2)]
    x["axis"] = {"tickMinStep": 1, "format": "d"}
    y = _y(metric)
    if metric == "accuracy":  # runs that all end near 97 % must not melt into one line at the top
        y["scale"] = {"zero": False, "domainMax": 1}
    for layer in layers:
        layer["encoding"]["x"] = x
        layer["encoding"]["y"] = y
    return {
        "$schema": SCHEMA,
        # Two lines of title (a subtitle keeps Vega's dark default colour on a dark page).
        "title": {"text": [f"{METRICS[metric]} per epoch", "solid: training · dashed: validation"]},
        "height": 260,
        # The plot keeps its height; the legends and titles come on top of it, not out of it.
        "autosize": {"type": "fit-x", "contains": "padding"},
        "layer": layers or [{"data": {"values": []}, "mark": "line"}],
    }


def compare_description(runs: Sequence[Any], metric: str = "loss", names: Sequence[str] | None = None) -> str:
    """One line saying what :func:`compare_chart` shows, for a screen reader: each run's last
    training and validation value, e.g. "Accuracy per epoch of 2 runs (solid: training, dashed:
    validation): 1 · Tutorial ends at 97.1 % training, 96.8 % validation after 5 epochs; …"."""
    _check_metric(metric)
    names = list(names) if names is not None else [f"run {i + 1}" for i in range(len(runs))]
    fmt = (lambda v: f"{v:.1%}".replace("%", " %")) if metric == "accuracy" else (lambda v: f"{v:.3f}")
    parts = []
    for name, run in zip(names, runs):
        if not run.history:
            parts.append(f"{name} has no stored per-epoch history")
            continue
        last = run.history[-1]
        val = getattr(last, f"val_{metric}")
        parts.append(
            f"{name} ends at {fmt(getattr(last, metric))} training"
            + (f", {fmt(val)} validation" if val is not None else "")
            + f" after {last.epoch} {plural(last.epoch, 'epoch')}"
        )
    return (
        f"{METRICS[metric]} per epoch of {len(runs)} {plural(len(runs), 'run')} "
        "(solid: training, dashed: validation): " + "; ".join(parts) + "."
    )
