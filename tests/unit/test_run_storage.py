"""What a run leaves in its folder: run.json, checkpoints every N epochs, the saved model; and
what a run resumed from that folder gets back (nothing before the checkpoint lost)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from cnn_core import run_storage
from cnn_core.models import ModelConfig
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
