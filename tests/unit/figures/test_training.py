"""Training charts: live curves that stay light however long the run, and the tutorial's figure."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.figures import palette
from cnn_core.figures import training as training_figures
from cnn_core.training_config import EpochRecord


def records(n: int, validation: bool = True) -> list[EpochRecord]:
    return [
        EpochRecord(
            e,
            1.0 / e,
            1 - 0.3 / e,
            1.1 / e if validation else None,
            0.9 - 0.3 / e if validation else None,
            8.0,
            6750.0,
            0.01,
        )
        for e in range(1, n + 1)
    ]


def test_a_long_history_is_down_sampled_to_bucket_means_where_the_curve_lies():
    values = np.arange(1, 2351, dtype=float)  # 10 epochs of 235 batches
    x, y = training_figures.downsample(values, 400)
    assert len(x) == len(y) == 400
    assert np.allclose(x, y)  # each bucket's mean position carries its mean value
    assert x[0] < 4 and x[-1] > 2345


def test_a_short_history_is_kept_as_is_and_nan_is_dropped():
    x, y = training_figures.downsample([2.3, float("nan"), 1.9], 400)
    assert list(x) == [1.0, 3.0] and list(y) == [2.3, 1.9]
    with pytest.raises(ValueError):
        training_figures.downsample([1.0], 0)


def test_the_moving_average_follows_the_trend_under_the_noise():
    noisy = 1.0 + np.random.default_rng(0).normal(0, 0.3, 500)
    smoothed = training_figures.smooth(noisy, span=20)
    assert smoothed[0] == noisy[0]
    assert np.std(smoothed[100:]) < np.std(noisy[100:]) / 3


def test_the_epoch_axis_steps_out_as_the_run_goes_on_and_stops_at_its_end():
    assert [training_figures.axis_end(done, 50) for done in (0, 0.3, 1.0, 2.5, 48, 50)] == [
        1,
        1,
        2,
        4,
        50,
        50,
    ]
    assert training_figures.axis_end(0.5, None) == 1


def test_the_per_batch_chart_grows_across_its_axis():
    spec = training_figures.batch_curve_chart(
        [2.3, 2.0, 1.7, 1.5], steps_per_epoch=2, metric="loss", total_epochs=10
    )
    assert spec["encoding"]["x"]["scale"]["domain"] == [0, 3.0]  # 2 epochs done: the axis reaches 3
    assert spec["title"] == "Loss (cross-entropy) per batch"
    rows = spec["data"]["values"]
    assert len(rows) == 8 and {r["series"] for r in rows} == {"each batch", "moving average"}
    assert max(r["epoch"] for r in rows) == 2.0  # batch 4 of 2 per epoch ends epoch 2


def test_a_run_of_thousands_of_batches_sends_only_hundreds_of_points():
    spec = training_figures.batch_curve_chart(list(np.linspace(2.3, 0.3, 5000)), 235, "accuracy", 22)
    rows = spec["data"]["values"]
    assert len(rows) <= 2 * training_figures.MAX_POINTS
    assert spec["encoding"]["y"]["scale"]["domain"] == [0, 1]


def test_the_epoch_chart_shows_training_and_validation():
    spec = training_figures.epoch_curve_chart(records(3), "accuracy", total_epochs=10)
    rows = spec["data"]["values"]
    assert [(r["epoch"], r["split"]) for r in rows][:2] == [(1, "training"), (1, "validation")]
    assert len(rows) == 6
    no_val = training_figures.epoch_curve_chart(records(2, validation=False), "loss")["data"]["values"]
    assert {r["split"] for r in no_val} == {"training"}
    with pytest.raises(ValueError, match="loss' or 'accuracy"):
        training_figures.epoch_curve_chart(records(2), "f1")


def test_the_live_charts_are_valid_vega_lite_that_altair_accepts():
    import altair as alt

    for metric in training_figures.METRICS:
        for spec in (
            training_figures.batch_curve_chart(list(np.linspace(2.3, 0.3, 50)), 10, metric, 5),
            training_figures.epoch_curve_chart(records(3), metric, 5),
        ):
            alt.Chart.from_dict(spec, validate=True)  # raises on anything the browser would reject


def test_a_live_learning_rate_change_is_a_labelled_rule_where_it_took_effect_on_both_charts():
    import altair as alt

    from cnn_core.training_config import LearningRateChange

    # 10 steps per epoch; η went 0.01 -> 0.03 before batch 6 of epoch 2 (15 batches done).
    change = LearningRateChange(step=15, epoch=2, learning_rate=0.03, previous=0.01)
    for spec in (
        training_figures.batch_curve_chart(
            list(np.linspace(2.3, 0.3, 30)), 10, "loss", 5, learning_rate_changes=[change]
        ),
        training_figures.epoch_curve_chart(
            records(3), "accuracy", 5, learning_rate_changes=[change], steps_per_epoch=10
        ),
    ):
        line, rule, label = spec["layer"]
        assert line["mark"]["type"] == "line" and "data" not in line and len(spec["data"]["values"]) > 0
        assert rule["mark"]["type"] == "rule" and label["mark"]["type"] == "text"
        assert rule["data"]["values"][0]["epoch"] == pytest.approx(1.5)  # 15 of 10 per epoch
        assert rule["encoding"]["x"]["field"] == "epoch" == line["encoding"]["x"]["field"]
        assert label["data"]["values"][0]["label"] == "η = 0.03"
        assert label["encoding"]["text"]["field"] == "label"
        alt.LayerChart.from_dict(spec, validate=True)
    plain = training_figures.batch_curve_chart([2.3, 2.0], 2, "loss", 5)
    assert "layer" not in plain and plain["mark"]["type"] == "line"  # no change: no rule


def test_the_learning_curve_is_the_tutorials_twin_axis_figure():
    fig = training_figures.learning_curve_figure(records(10))
    ax, twin = fig.axes
    assert ax.get_xlabel() == "Epochs [-]" and ax.get_ylabel() == "Accuracy [%]"
    assert twin.get_ylabel() == "Loss [-]"
    assert [line.get_label() for line in ax.lines] == ["training accuracy", "validation accuracy"]
    assert ax.lines[0].get_ydata()[-1] == pytest.approx(97.0)  # accuracy in per cent, as the tutorial
    assert tuple(fig.get_size_inches()) == (10, 4.5)
    with pytest.raises(ValueError, match="no finished epoch"):
        training_figures.learning_curve_figure([])


# ----- comparing stored runs -------------------------------------------------------------------


class StoredRun:
    def __init__(self, history):
        self.history = history


def test_the_comparison_has_one_layer_per_run_and_split_validation_dashed():
    import altair as alt

    runs = [StoredRun(records(3)), StoredRun(records(5)), StoredRun(records(4, validation=False))]
    names = ["1 · Tutorial", "2 · Strong", "3 · no validation"]
    for metric in training_figures.METRICS:
        spec = training_figures.compare_chart(runs, metric, names)
        layers = spec["layer"]
        drawn = [(layer["data"]["values"][0]["run"], layer["data"]["values"][0]["split"]) for layer in layers]
        assert drawn == [
            ("1 · Tutorial", "training"),
            ("1 · Tutorial", "validation"),
            ("2 · Strong", "training"),
            ("2 · Strong", "validation"),
            ("3 · no validation", "training"),
        ]
        assert [len(layer["data"]["values"]) for layer in layers] == [3, 3, 5, 5, 4]
        colour, dash = layers[0]["encoding"]["color"], layers[0]["encoding"]["strokeDash"]
        assert colour["scale"]["domain"] == names
        assert colour["scale"]["range"] == [palette.ORANGE, palette.SKY_BLUE, palette.GREEN]  # Okabe–Ito
        assert dict(zip(dash["scale"]["domain"], dash["scale"]["range"])) == {
            "training": [1, 0],
            "validation": [6, 4],
        }
        assert layers[1]["data"]["values"][-1]["value"] == getattr(records(3)[-1], f"val_{metric}")
        assert layers[0]["encoding"]["x"]["scale"]["domain"] == [1, 5]
        alt.Chart.from_dict(spec, validate=True)


def test_the_comparison_takes_at_most_six_runs_and_says_what_it_shows():
    import altair as alt

    six = [StoredRun(records(2)) for _ in range(6)]
    assert len(training_figures.compare_chart(six, "loss")["layer"]) == 12
    with pytest.raises(ValueError, match="At most 6 runs"):
        training_figures.compare_chart(six + [StoredRun(records(2))], "loss")
    line = training_figures.compare_description(
        [StoredRun(records(3)), StoredRun(())], "accuracy", ["A", "B"]
    )
    assert line.startswith("Accuracy per epoch of 2 runs (solid: training, dashed: validation): A ends at ")
    assert "validation after 3 epochs" in line and "B has no stored per-epoch history" in line
    empty = training_figures.compare_chart([StoredRun(())], "loss")
    alt.Chart.from_dict(empty, validate=True)  # nothing to draw, still a valid chart
