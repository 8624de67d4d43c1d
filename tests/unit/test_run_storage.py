"""What a run leaves in its folder: run.json, checkpoints every N epochs, the saved model; what a
run resumed from that folder gets back (nothing before the checkpoint lost); and which folders
are pruned or deleted."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from cnn_core import run_storage
from cnn_core.models import PRESETS, ModelConfig
from cnn_core.training_config import TrainingConfig
from cnn_core.worker.trainer import Trainer
from tests.unit.conftest import FAST


def test_checkpoints_every_n_epochs_and_a_saved_model(small, tmp_path):
    run = tmp_path / "run"
    trainer = Trainer(small, config=replace(FAST, epochs=4, checkpoint_every=2), run_dir=run).start()
    snap = trainer.wait()
    assert snap.status == "finished"
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == ["epoch-0002.json", "epoch-0002.keras", "epoch-0004.json", "epoch-0004.keras"]
    assert (run / "model.keras").exists()
    info = run_storage.read_run(run)
    assert info.status == "finished" and not info.resumable and info.checkpoint_epoch == 4
    assert info.test_accuracy == pytest.approx(snap.test_accuracy)
    # run.json keeps the per-epoch history, for comparing runs after a restart.
    assert [r["epoch"] for r in info.history] == [1, 2, 3, 4]
    assert info.history[-1]["val_accuracy"] == pytest.approx(snap.history[-1].val_accuracy)
    assert info.experiment == ""
    saved = trainer.save(tmp_path / "mine.keras")
    assert saved.stat().st_size > 100_000  # weights of 235,262 parameters
    assert trainer.model_bytes()[:2] == b"PK"  # a .keras file is a zip
    with pytest.raises(ValueError, match=".keras"):
        trainer.save(tmp_path / "model.h5")


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_a_run_resumes_from_its_last_checkpoint_with_nothing_before_it_lost(small, tmp_path, loop):
    import keras

    run = tmp_path / "run"
    first = Trainer(small, config=replace(FAST, epochs=2, checkpoint_every=1), run_dir=run).start().wait()
    checkpoint = keras.models.load_model(run / "checkpoints" / "epoch-0002.keras")
    # The server was killed after the checkpoint: whatever run.json says, the files remain.
    assert run_storage.read_run(run).checkpoint_epoch == 2

    resumed = Trainer.from_checkpoint(run, small, epochs=3, loop=loop)
    assert resumed.snapshot().history == first.history  # visible before it even starts
    resumed.start()
    snap = resumed.wait()
    assert snap.status == "finished", snap.message
    assert [r.epoch for r in snap.history] == [1, 2, 3]
    assert snap.history[:2] == first.history
    assert snap.batch_loss[:18] == first.batch_loss and len(snap.batch_loss) == 27
    assert snap.resumed_from_epoch == 2
    # It continued from the checkpoint's weights and optimizer state, not from scratch.
    assert int(resumed.model.optimizer.iterations) == int(checkpoint.optimizer.iterations) + 9
    assert snap.batch_loss[18] < 1.8


def test_resuming_needs_a_checkpoint(small, tmp_path):
    run = tmp_path / "run"
    Trainer(small, config=replace(FAST, epochs=1, checkpoint_every=5), run_dir=run).start().wait()
    with pytest.raises(ValueError, match="no checkpoint"):
        Trainer.from_checkpoint(run, small)
    with pytest.raises(ValueError, match="not a readable run folder"):
        Trainer.from_checkpoint(tmp_path / "nowhere", small)


def test_run_folders_are_listed_newest_first(tmp_path):
    a = run_storage.new_run_dir(tmp_path, "Tutorial on MNIST")
    b = run_storage.new_run_dir(tmp_path, "Tutorial on MNIST")
    assert a != b and a.name.endswith("tutorial-on-mnist")
    (b / run_storage.RUN_FILE).write_text(
        json.dumps(
            {
                "label": "x",
                "status": "running",
                "dataset": {"name": "mnist", "source": "bundled"},
                "model_config": run_storage.model_config_to_dict(ModelConfig()),
                "training": {"epochs": 3},
            }
        )
    )
    runs = run_storage.list_runs(tmp_path)
    assert [r.path for r in runs] == [str(b)]  # a has no run.json
    assert not runs[0].resumable  # no checkpoint yet


# ----- pruning and deleting ------------------------------------------------------------------


def run_info(name: str, status: str = "finished", checkpoint_epoch: int = 0, epochs: int = 5):
    """A RunInfo as read_run gives it, made without a folder: ``name`` orders it by time."""
    checkpoint = f"runs/{name}/checkpoints/epoch-{checkpoint_epoch:04d}.keras" if checkpoint_epoch else None
    return run_storage.RunInfo(
        path=f"runs/{name}",
        label=name,
        status=status,
        dataset_name="mnist",
        dataset_source="bundled",
        model_config=PRESETS["tutorial"],
        training=TrainingConfig(epochs=epochs),
        checkpoint_epoch=checkpoint_epoch,
        checkpoint=checkpoint,
        created=f"2026-12-01T10:00:{name[-2:]}",
    )


def test_pruning_removes_the_oldest_ended_runs_beyond_the_count():
    runs = [
        run_info(f"run-{i:02d}", status) for i, status in enumerate(["finished", "stopped", "failed"] * 2)
    ]
    pruned = run_storage.runs_to_prune(runs[::-1], keep=4)  # listed newest first, as list_runs does
    assert [r.label for r in pruned] == ["run-00", "run-01"]  # oldest first
    assert run_storage.runs_to_prune(runs, keep=6) == []
    assert run_storage.runs_to_prune(runs, keep=0) == []  # 0 keeps all


def test_pruning_never_removes_a_run_going_waiting_or_resumable():
    kept = [
        run_info("run-00", "running"),  # going, or interrupted with the server: its run.json says so
        run_info("run-01", "queued"),  # an experiment set's run waiting in line
        run_info("run-02", "stopped", checkpoint_epoch=2),  # Resume from epoch 2
        run_info("run-03", "failed", checkpoint_epoch=4),
        run_info("run-04", "preparing"),
    ]
    ended = [run_info("run-05", "finished", checkpoint_epoch=5), run_info("run-06", "stopped")]
    pruned = run_storage.runs_to_prune(kept + ended, keep=1)
    assert [r.label for r in pruned] == ["run-05"]  # all 5 epochs done: its checkpoint resumes nothing
    assert run_storage.runs_to_prune(kept, keep=1) == []


def test_the_count_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(run_storage.KEEP_RUNS_ENV, raising=False)
    assert run_storage.keep_runs_from_env() == run_storage.DEFAULT_KEEP_RUNS
    monkeypatch.setenv(run_storage.KEEP_RUNS_ENV, "0")
    assert run_storage.keep_runs_from_env() == 0
    monkeypatch.setenv(run_storage.KEEP_RUNS_ENV, "-3")
    assert run_storage.keep_runs_from_env() == 0
    monkeypatch.setenv(run_storage.KEEP_RUNS_ENV, "many")
    assert run_storage.keep_runs_from_env() == run_storage.DEFAULT_KEEP_RUNS


def write_run(path, status: str) -> None:
    path.mkdir(parents=True)
    (path / run_storage.RUN_FILE).write_text(
        json.dumps(
            {
                "label": path.name,
                "status": status,
                "created": f"2026-12-01T10:00:{path.name[-2:]}",
                "dataset": {"name": "mnist", "source": "bundled"},
                "model_config": run_storage.model_config_to_dict(ModelConfig()),
                "training": {"epochs": 3},
            }
        )
    )
    (path / run_storage.FINAL_MODEL).write_bytes(b"PK")


def test_pruning_removes_the_folders_with_their_models(tmp_path):
    for i in range(4):
        write_run(tmp_path / f"20261201-1000{i:02d}-run-{i:02d}", "finished")
    write_run(tmp_path / "20261201-095900-going-99", "running")
    (tmp_path / "20261201-100500-new").mkdir()  # the new run's folder: no run.json yet
    assert run_storage.prune_runs(tmp_path, keep=2) == ["20261201-100000-run-00", "20261201-100001-run-01"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "20261201-095900-going-99",
        "20261201-100002-run-02",
        "20261201-100003-run-03",
        "20261201-100500-new",
    ]
    assert len(run_storage.list_runs(tmp_path)) == 3  # the listing forgets the removed ones


def test_removing_a_run_says_in_a_sentence_when_it_cannot(tmp_path):
    run = tmp_path / "20261201-100000-run-00"
    write_run(run, "finished")
    run_storage.remove_run(run)
    assert not run.exists()
    with pytest.raises(ValueError, match="'20261201-100000-run-00' is already gone"):
        run_storage.remove_run(run)
    (tmp_path / "not-a-run").mkdir()
    with pytest.raises(ValueError, match="already gone"):  # only a folder with a run.json is removed
        run_storage.remove_run(tmp_path / "not-a-run")
    assert (tmp_path / "not-a-run").exists()
