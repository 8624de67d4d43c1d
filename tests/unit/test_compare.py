"""Comparing finished runs read back from runs/: what is listed (a run.json without history too), the
table of what differed, and the experiment set of the tutorial's comparisons."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cnn_core import compare, run_storage
from cnn_core.models import PRESETS
from cnn_core.training_config import EpochRecord, TrainingConfig, training_defaults


def epochs(n: int, top: float = 0.9, validation: bool = True) -> list[EpochRecord]:
    return [
        EpochRecord(
            e,
            1.0 / e,
            top - 0.1 / e,
            1.1 / e if validation else None,
            top - 0.12 / e if validation else None,
            1.0,
            5000.0,
            0.01,
        )
        for e in range(1, n + 1)
    ]


def stored_run(
    runs_dir: Path,
    name: str,
    *,
    preset: str = "tutorial",
    config: TrainingConfig | None = None,
    status: str = "finished",
    history=None,
    test: float | None = 0.9,
    experiment: str | None = None,
    step: int = 0,
    dataset: str = "mnist",
) -> Path:
    """A run folder as the Trainer leaves it (run.json with history and test accuracy)."""
    config = config or replace(training_defaults(preset), epochs=3)
    run = runs_dir / name
    run_storage.write_run_file(
        run,
        label=f"{preset} run {name}",
        status="running",
        dataset_name=dataset,
        dataset_source="bundled",
        model_config=PRESETS[preset],
        config=config,
        experiment=experiment,
        experiment_step=step,
    )
    run_storage.update_run_status(
        run,
        status,
        epochs_done=config.epochs,
        test=(0.3, test) if test is not None else None,
        history=epochs(config.epochs) if history is None else history,
    )
    return run


def test_finished_runs_are_listed_newest_first_with_history_and_test_accuracy(tmp_path):
    stored_run(tmp_path, "20261201-100000-a", test=0.91)
    stored_run(tmp_path, "20261201-110000-b", preset="exercise2", test=0.93)
    stored_run(tmp_path, "20261201-120000-c", status="running", test=None)  # not finished: left out
    stored_run(tmp_path, "20261201-130000-d", status="failed", test=None)
    (tmp_path / "20261201-140000-broken").mkdir()
    (tmp_path / "20261201-140000-broken" / "run.json").write_text("{not json")
    runs = compare.finished_runs(tmp_path)
    assert [Path(r.path).name for r in runs] == ["20261201-110000-b", "20261201-100000-a"]
    newest = runs[0]
    assert newest.model_title == "Tutorial + exercise 2" and newest.test_accuracy == pytest.approx(0.93)
    assert [p.epoch for p in newest.history] == [1, 2, 3]
    assert newest.history[-1].val_accuracy == pytest.approx(0.9 - 0.04)
    assert newest.final_val_accuracy == pytest.approx(0.86)
    assert compare.finished_runs(tmp_path / "nowhere") == []


def test_a_run_json_without_history_is_listed_with_what_it_has(tmp_path):
    bare = tmp_path / "20250101-000000-bare"
    bare.mkdir()
    # history and experiment are optional: a run.json without them is listed all the same.
    (bare / "run.json").write_text(
        json.dumps(
            {
                "version": 1,
                "label": "Tutorial on MNIST · 10 epochs · Adam η=0.01",
                "status": "finished",
                "created": "2025-01-01T00:00:00",
                "dataset": {"name": "mnist", "source": "keras"},
                "model_config": run_storage.model_config_to_dict(PRESETS["tutorial"]),
                "training": {"epochs": 10},
                "test_loss": 0.05,
                "test_accuracy": 0.98,
            }
        )
    )
    (run,) = compare.finished_runs(tmp_path)
    assert run.history == () and run.experiment == "" and run.test_accuracy == pytest.approx(0.98)
    assert run.final_val_accuracy is None and run.epochs_done == 0
    assert "test 98.0%" in compare.run_choice_label(run)


def test_the_table_lists_only_the_settings_that_differ_then_the_accuracies(tmp_path):
    a = stored_run(tmp_path, "a", test=0.91)
    b = stored_run(
        tmp_path, "b", config=replace(training_defaults("tutorial"), epochs=3, learning_rate=1e-3), test=0.88
    )
    c = stored_run(tmp_path, "c", preset="exercise2", test=0.93, history=epochs(3, validation=False))
    runs = [compare.summarize(run_storage.read_run(p)) for p in (a, b, c)]
    rows = compare.settings_that_differ(runs)
    assert list(rows[0]) == ["Run", "Test accuracy", "Final validation accuracy", "Model", "Layers", "η"]
    assert [r["Run"] for r in rows] == [
        "1 · Tutorial η=0.01",
        "2 · Tutorial η=0.001",
        "3 · Tutorial + exercise 2 η=0.01",
    ]
    assert [r["η"] for r in rows] == ["0.01", "0.001", "0.01"]
    assert rows[2]["Layers"].startswith("Conv 24 → pool → Conv 36 → pool → Conv 48")
    assert [r["Test accuracy"] for r in rows] == ["91.0 %", "88.0 %", "93.0 %"]
    assert rows[2]["Final validation accuracy"] == "—"  # no validation images held out
    # Two runs with the same settings: only the accuracies.
    assert list(compare.settings_that_differ(runs[:1] * 2)[0]) == [
        "Run",
        "Test accuracy",
        "Final validation accuracy",
    ]
    assert compare.settings_that_differ([]) == []


def test_a_stopped_run_says_how_far_it_got(tmp_path):
    run = stored_run(
        tmp_path,
        "s",
        config=replace(training_defaults("tutorial"), epochs=10),
        status="stopped",
        history=epochs(4),
        test=0.8,
    )
    (summary,) = compare.finished_runs(tmp_path)
    assert "stopped after 4 of 10 epochs" in compare.run_choice_label(summary, own=True)
    assert compare.run_choice_label(summary, own=True).endswith("yours")
    assert compare.settings_of(summary)["Epochs"] == "4 of 10"
    assert run.exists()


def test_runs_of_an_experiment_set_are_grouped_in_the_order_they_ran(tmp_path):
    stored_run(tmp_path, "20261201-100000-x", experiment="set A", step=2)
    stored_run(tmp_path, "20261201-100000-y", experiment="set A", step=1)
    stored_run(tmp_path, "20261201-100002-z")
    sets = compare.experiments(compare.finished_runs(tmp_path))
    assert list(sets) == ["set A"]
    assert [Path(r.path).name for r in sets["set A"]] == ["20261201-100000-y", "20261201-100000-x"]


def test_the_trainer_rewriting_run_json_keeps_the_experiment_name(tmp_path):
    run = tmp_path / "r"
    common = dict(
        label="x",
        dataset_name="mnist",
        dataset_source="bundled",
        model_config=PRESETS["tutorial"],
        config=TrainingConfig(epochs=1),
    )
    run_storage.write_run_file(run, status="queued", experiment="set B", experiment_step=3, **common)
    run_storage.write_run_file(run, status="running", **common)  # what the Trainer does when it starts
    assert run_storage.read_run(run).experiment == "set B"
    assert run_storage.read_run(run).experiment_step == 3
    assert run_storage.read_run(run).status == "running"


def test_the_tutorials_comparisons_are_four_distinct_short_runs():
    plan = compare.tutorial_comparisons()
    assert [(p.preset, p.training.learning_rate) for p in plan] == [
        ("tutorial", 0.01),
        ("exercise2", 0.01),
        ("strong", training_defaults("strong").learning_rate),
        ("tutorial", 0.001),
    ]
    assert all(p.training.epochs == compare.EXPERIMENT_EPOCHS for p in plan)
    assert len({(p.model_config, p.training) for p in plan}) == len(plan)  # no run twice
    assert plan[2].training.schedule == "cosine"  # Strong keeps its own training settings


def test_a_listing_reads_each_run_again_only_when_its_folder_changed(tmp_path, monkeypatch):
    """list_runs runs every second for every watcher while a set trains: unchanged folders are not
    parsed again, and a rewritten run.json or a new checkpoint is seen at once."""
    run = stored_run(tmp_path, "20260101-000000-a", status="running", test=None)
    parsed = []
    real_read = run_storage.read_run
    monkeypatch.setattr(run_storage, "read_run", lambda path: parsed.append(path) or real_read(path))

    assert [r.status for r in run_storage.list_runs(tmp_path)] == ["running"]
    assert [r.status for r in run_storage.list_runs(tmp_path)] == ["running"]
    assert len(parsed) == 1  # the second listing parsed nothing

    run_storage.update_run_status(run, "stopped", epochs_done=1, test=None, history=epochs(1))
    assert [r.status for r in run_storage.list_runs(tmp_path)] == ["stopped"]
    checkpoint = run_storage.checkpoint_path(run, 2)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.write_bytes(b"weights")
    checkpoint.with_suffix(".json").write_text("{}")
    assert run_storage.list_runs(tmp_path)[0].checkpoint_epoch == 2
    assert len(parsed) == 3
