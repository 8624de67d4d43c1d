"""The Trainer: a run that keeps going in its own thread while someone watches and steers it.

Every run here trains the tutorial's network on a few hundred bundled images, so each takes a
second or two; what is checked is behaviour (what a watcher sees, what pause/stop/learning-rate
changes do), never speed. What a run leaves in its folder is in test_run_storage.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace

import numpy as np
import pytest

import cnn_core.worker.models as worker_models
from cnn_core.training_config import LearningRateChange, TrainingConfig
from cnn_core.worker.accelerators import detect_accelerator
from cnn_core.worker.data import flip_half
from cnn_core.worker.divergence import divergence_message
from cnn_core.worker.fit_loop import FitLoop
from cnn_core.worker.trainer import Trainer
from tests.unit.conftest import BATCH, FAST, batches_done, cpu_only_env, wait_until

# Two epochs on the 270 images of `small` (FAST), scored on its 100 test images: ten runs of
# each loop scored 0.47-0.64 (median 0.56; the initial weights are not seeded); chance is 0.10.
# Labels that come apart from their images, or weights that never move, stay near chance.
LEARNED_ACCURACY = 0.30

# ----- a run from start to finish, with either loop --------------------------------------------


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_a_run_reports_batches_epochs_validation_and_test_accuracy(small, loop):
    trainer = Trainer(small, config=replace(FAST, loop=loop)).start()
    seen = [trainer.snapshot().status]  # each status as it changes (a short one may be missed)
    while trainer.is_alive:
        status = trainer.wait(0.05).status
        if status != seen[-1]:
            seen.append(status)
    snap = trainer.snapshot()

    assert snap.status == "finished", snap.message
    lifecycle = ["preparing", "running", "evaluating", "finished"]
    assert "running" in seen and set(seen) <= set(lifecycle), seen
    assert seen == sorted(seen, key=lifecycle.index), seen  # never a step back
    assert (snap.train_images, snap.val_images) == (270, 30)
    assert snap.steps_per_epoch == math.ceil(270 / BATCH) == 9
    assert len(snap.batch_loss) == len(snap.batch_accuracy) == 2 * 9
    assert [r.epoch for r in snap.history] == [1, 2]
    assert snap.test_accuracy > LEARNED_ACCURACY and snap.test_loss > 0  # it learned
    assert snap.progress == 1.0 and snap.elapsed_seconds > 0
    assert snap.mean_images_per_second > 0
    assert snap.device == detect_accelerator().description and snap.loop == loop  # CPU, GPU or TPU
    # An untrained 10-class network scores about ln(10) on its first batch.
    assert 1.8 < snap.batch_loss[0] < 3.0
    for record in snap.history:
        assert record.val_loss is not None and 0 <= record.val_accuracy <= 1
        assert record.seconds > 0 and record.images_per_second > 0
        assert record.learning_rate == pytest.approx(1e-3)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_both_loops_report_each_batch_so_the_epoch_is_their_weighted_mean(small, loop):
    """fit's logs are running means; the trainer turns them back into per-batch values, so an
    epoch's loss is the image-weighted mean of its batches for both loops alike."""
    snap = Trainer(small, config=replace(FAST, loop=loop, epochs=1)).start().wait()
    sizes = [BATCH] * 8 + [270 - 8 * BATCH]
    record = snap.history[0]
    assert np.average(snap.batch_loss, weights=sizes) == pytest.approx(record.loss, rel=1e-4)
    assert np.average(snap.batch_accuracy, weights=sizes) == pytest.approx(record.accuracy, abs=1e-4)
    assert all(0 <= a <= 1 for a in snap.batch_accuracy)


def test_no_validation_images_means_no_validation_curve(small):
    snap = Trainer(small, config=replace(FAST, epochs=1, validation_fraction=0)).start().wait()
    assert snap.val_images == 0 and snap.train_images == 300
    assert snap.history[0].val_loss is None and snap.history[0].val_accuracy is None


# ----- steering a run: pause, resume, stop, learning rate --------------------------------------


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_pause_holds_the_run_and_its_clock_until_resume(small, loop):
    trainer = Trainer(small, config=replace(FAST, loop=loop, epochs=30)).start()
    wait_until(lambda: batches_done(trainer) >= 3)
    trainer.pause()
    wait_until(lambda: trainer.snapshot().status == "paused")
    held = trainer.snapshot()
    time.sleep(0.4)
    later = trainer.snapshot()
    assert len(later.batch_loss) == len(held.batch_loss)
    assert later.elapsed_seconds == pytest.approx(held.elapsed_seconds, abs=0.05)
    assert later.eta_seconds is None or later.eta_seconds >= 0

    trainer.resume()
    wait_until(lambda: batches_done(trainer) > len(held.batch_loss))
    assert trainer.snapshot().status in ("running", "evaluating", "finished")
    trainer.stop()
    assert trainer.wait().status == "stopped"


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_stop_starts_no_further_batch_and_keeps_the_model(small, loop):
    trainer = Trainer(small, config=replace(FAST, loop=loop, epochs=50)).start()
    wait_until(lambda: batches_done(trainer) >= 12)  # into the second epoch
    trainer.pause()  # hold it between two batches, so "the next batch" is well defined
    wait_until(lambda: trainer.snapshot().status == "paused")  # every batch run so far recorded
    before = batches_done(trainer)
    trainer.stop()
    snap = trainer.wait(60)

    assert snap.status == "stopped"
    assert len(snap.batch_loss) == before  # not one batch more
    assert "Stopped" in snap.message and "of 50 epochs" in snap.message
    assert len(snap.history) == before // 9  # only whole epochs have an epoch row
    assert snap.test_accuracy is not None and trainer.model is not None


def test_paused_means_every_batch_run_so_far_is_recorded_even_when_keras_reports_late(small, monkeypatch):
    """Keras reports fit's batch ends from a worker thread where its backend allows it (the
    Trainer's callback says it may): a batch's record can then arrive after the next batch
    began. TensorFlow's backend reports in the training thread today, so a late report is
    simulated: the third batch's, with a pause asked while that batch ran."""
    report = FitLoop.batch_end

    def third_reported_late(self: FitLoop, epoch: int, batch: int, logs: dict) -> None:
        if (epoch, batch) != (0, 2):
            return report(self, epoch, batch, logs)
        self.trainer.pause()
        threading.Timer(0.3, report, (self, epoch, batch, logs)).start()

    monkeypatch.setattr(FitLoop, "batch_end", third_reported_late)
    trainer = Trainer(small, config=replace(FAST, epochs=50)).start()
    wait_until(lambda: trainer.snapshot().status == "paused")
    assert batches_done(trainer) == 3  # the late record is in before the run says "paused"
    trainer.stop()
    assert len(trainer.wait(60).batch_loss) == 3


def test_stop_while_running_ends_within_a_batch(small):
    trainer = Trainer(small, config=replace(FAST, epochs=50)).start()
    wait_until(lambda: batches_done(trainer) >= 3)
    asked = batches_done(trainer)
    trainer.stop()
    snap = trainer.wait(60)
    # At most the batch in flight when stop was asked (and, with fit, the one whose record was
    # still on its way from Keras's worker thread) completes.
    assert snap.status == "stopped" and len(snap.batch_loss) <= asked + 2


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_the_learning_rate_changes_while_training_without_a_restart(small, loop):
    trainer = Trainer(small, config=replace(FAST, loop=loop, epochs=30, learning_rate=1e-3)).start()
    wait_until(lambda: batches_done(trainer) >= 2)
    trainer.set_learning_rate(2.5e-4)
    wait_until(lambda: trainer.snapshot().learning_rate == pytest.approx(2.5e-4))
    at_change = batches_done(trainer)
    wait_until(lambda: len(trainer.snapshot().history) >= 2)
    trainer.stop()
    snap = trainer.wait()
    assert float(trainer.model.optimizer.learning_rate) == pytest.approx(2.5e-4)
    assert snap.history[-1].learning_rate == pytest.approx(2.5e-4)
    assert len(snap.batch_loss) > at_change  # the same run went on: no restart
    assert snap.batch_loss[0] > 1.8  # its history still starts at the untrained network


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_a_live_learning_rate_change_is_recorded_where_it_took_effect_and_kept_by_a_checkpoint(
    small, tmp_path, loop
):
    run = tmp_path / "run"
    config = replace(FAST, loop=loop, epochs=30, learning_rate=1e-2, checkpoint_every=1)
    trainer = Trainer(small, config=config, run_dir=run).start()
    wait_until(lambda: batches_done(trainer) >= 12)  # into epoch 2 (9 steps per epoch)
    trainer.pause()  # between two batches, so the batch that first uses the new η is known
    wait_until(lambda: trainer.snapshot().status == "paused")  # every batch run so far recorded
    before = batches_done(trainer)
    trainer.set_learning_rate(3e-2)
    trainer.resume()
    wait_until(lambda: batches_done(trainer) > before)
    trainer.set_learning_rate(3e-2)  # the same η again is no change
    epoch = before // 9 + 1
    wait_until(lambda: len(trainer.snapshot().history) >= epoch)  # a checkpoint after the change
    trainer.stop()
    snap = trainer.wait()
    assert snap.learning_rate_changes == (
        LearningRateChange(step=before, epoch=epoch, learning_rate=3e-2, previous=1e-2),
    )
    assert snap.last_checkpoint_epoch == len(snap.history) >= epoch
    resumed = Trainer.from_checkpoint(run, small, epochs=31)
    assert resumed.snapshot().learning_rate_changes == snap.learning_rate_changes
    assert resumed.snapshot().last_checkpoint_epoch == snap.last_checkpoint_epoch


def test_a_bad_learning_rate_is_refused_with_a_sentence(small):
    trainer = Trainer(small, config=FAST)
    for bad in (0, -1e-3, float("nan"), "fast"):
        with pytest.raises(ValueError, match="learning rate"):
            trainer.set_learning_rate(bad)


def test_settings_are_checked_before_anything_starts(small):
    for bad, match in [
        (replace(FAST, epochs=0), "epochs"),
        (replace(FAST, batch_size=2.5), "batch size"),
        (replace(FAST, loop="eager"), "loop"),
        (replace(FAST, optimizer="adagrad"), "optimizer"),
        (replace(FAST, validation_fraction=0.7), "validation"),
        (replace(FAST, checkpoint_every=-1), "checkpoint"),
        (replace(FAST, augment="rotate"), "augmentation"),
    ]:
        with pytest.raises(ValueError, match=match):
            Trainer(small, config=bad)


def test_flip_augmentation_mirrors_about_half_of_each_batch_and_keeps_the_labels():
    import tensorflow as tf

    x = np.zeros((1000, 28, 28, 1), np.float32)
    x[:, :, 0, :] = 1.0  # a bar on the left edge: mirrored, it is on the right
    y = np.arange(1000) % 10
    fx, fy = flip_half(tf.constant(x), tf.constant(y))
    mirrored = fx.numpy()[:, :, -1, 0].max(axis=1) == 1.0
    assert 400 < mirrored.sum() < 600
    assert np.array_equal(fx.numpy()[~mirrored], x[~mirrored])
    assert np.array_equal(fy.numpy(), y)


def test_a_run_with_flip_augmentation_trains(small):
    snap = Trainer(small, config=replace(FAST, epochs=1, augment="flip")).start().wait()
    assert snap.status == "finished" and len(snap.batch_loss) == 9


# ----- when things go wrong ---------------------------------------------------------------------


def test_a_diverging_run_stops_itself_and_says_to_lower_the_learning_rate(small):
    config = replace(FAST, optimizer="sgd", learning_rate=100.0, epochs=20)
    snap = Trainer(small, config=config).start().wait(120)
    assert snap.status == "failed"
    assert "learning rate" in snap.message and "lower" in snap.message and "10" in snap.message
    assert snap.test_accuracy is None
    assert len(snap.batch_loss) < 20 * 9  # it did not run to the end


def test_divergence_is_a_nan_an_infinity_or_a_loss_far_above_guessing():
    where = "epoch 1, batch 5"
    assert "NaN" in divergence_message(float("nan"), [2.3], 0.5, where)
    assert "infinite" in divergence_message(float("inf"), [2.3], 0.5, where)
    assert "exploded" in divergence_message(14.0, [14.0] * 10, 5.0, where)
    assert "0.5" in divergence_message(14.0, [14.0] * 10, 5.0, where)  # 10× lower
    assert divergence_message(2.4, [2.4] * 10, 0.01, where) is None
    assert divergence_message(9.0, [9.0] * 3, 0.01, where) is None  # a few bad batches


def test_an_exception_in_the_thread_becomes_a_message_not_a_silent_death(small, monkeypatch):
    def broken(config):
        raise RuntimeError("the model could not be built")

    monkeypatch.setattr(worker_models, "build_model", broken)
    snap = Trainer(small, config=FAST).start().wait(60)
    assert snap.status == "failed" and not snap.active
    assert "RuntimeError" in snap.message and "could not be built" in snap.message


# ----- two replicas: MirroredStrategy over two logical CPUs --------------------------------------
# Each runs in a fresh interpreter with the GPUs hidden: on a GPU build the accelerator would
# otherwise be the GPU, and these tests are about the multi-replica path, which two CPUs exercise.


def test_both_loops_train_under_a_mirrored_strategy_on_two_logical_cpus():
    # Logical devices and TensorFlow's threads must be configured before TensorFlow starts:
    # a fresh interpreter, which also checks that the app's memory settings apply there.
    code = textwrap.dedent(
        """
        import json
        from dataclasses import replace
        import numpy as np
        from cnn_core import models
        from cnn_core.datasets import load_dataset
        from cnn_core.worker.accelerators import detect_accelerator
        from cnn_core.worker.process_setup import limit_memory_growth
        from cnn_core.worker.trainer import Trainer
        from cnn_core.training_config import TrainingConfig
        applied = limit_memory_growth()
        acc = detect_accelerator(cpu_replicas=2)
        data = load_dataset("fashion_mnist", "bundled")
        data = replace(data, x_train=data.x_train[::25], y_train=data.y_train[::25],
                       x_test=data.x_test[::10], y_test=data.y_test[::10])
        out = {"applied": applied}
        for loop in ("fit", "custom"):
            config = TrainingConfig(epochs=1, batch_size=32, learning_rate=1e-3, loop=loop)
            # The strong preset: batch normalisation must sync its statistics across replicas.
            t = Trainer(data, models.PRESETS["strong"], config, accelerator=acc).start()
            s = t.wait()
            out[loop] = [s.status, s.message, s.device, len(s.batch_loss), s.steps_per_epoch,
                         bool(np.isfinite(s.batch_loss).all()), s.test_accuracy]
        print(json.dumps(out))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=cpu_only_env()
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"pooled CPU allocator", "1 inter-op thread"} <= set(out["applied"])
    if sys.platform == "linux":
        assert "malloc arenas <= 2" in out["applied"]
    for loop in ("fit", "custom"):
        status, message, device, batches, steps, finite, test_accuracy = out[loop]
        assert status == "finished", message
        assert "2 replicas" in device
        assert batches == steps == math.ceil(216 / 32)
        assert finite and 0 <= test_accuracy <= 1


def test_two_replicas_take_the_same_step_as_one_device_on_the_same_global_batch():
    # The learner's batch is the global batch: split over two replicas (26 + 25 images), one
    # step must move the weights exactly as one device does with all 51 (fit: 25 + 25 of 50).
    code = textwrap.dedent(
        """
        import json
        from dataclasses import replace
        import numpy as np
        import tensorflow as tf
        from cnn_core import models
        from cnn_core.worker.accelerators import detect_accelerator
        from cnn_core.worker.models import build_model, compile_model
        from cnn_core.worker.custom_loop import custom_train_step
        from cnn_core.worker.trainer import Trainer
        from cnn_core.training_config import TrainingConfig
        acc = detect_accelerator(cpu_replicas=2)
        one = tf.distribute.OneDeviceStrategy("/cpu:0")
        config = models.ModelConfig(dropout=0.0)  # nothing random in a step
        rng = np.random.default_rng(0)
        x = rng.random((51, 28, 28, 1), dtype=np.float32)
        y = (np.arange(51) % 10).astype(np.int64)

        def pair():
            models_ = []
            for strategy in (acc.strategy, one):
                with strategy.scope():
                    m = compile_model(build_model(config), 0.1, "sgd")
                    m.optimizer.build(m.trainable_variables)
                models_.append(m)
            models_[1].set_weights(models_[0].get_weights())
            return models_

        def custom_step(model, strategy, global_batch):
            ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(51)
            step = custom_train_step(model, strategy)
            step(iter(strategy.experimental_distribute_dataset(ds)), tf.constant(global_batch, tf.int32))

        def gap(a, b):
            return max(float(np.abs(u - v).max()) for u, v in zip(a.get_weights(), b.get_weights()))

        def moved(a, before):
            return max(float(np.abs(u - v).max()) for u, v in zip(a.get_weights(), before))

        out = {"replicas": acc.strategy.num_replicas_in_sync}
        two, single = pair()
        start = two.get_weights()
        custom_step(two, acc.strategy, 51)
        custom_step(single, one, 51)
        out["custom"] = [gap(two, single), moved(single, start)]
        two, single = pair()
        custom_step(two, acc.strategy, 26)  # a replica's share taken for the batch: wrong
        custom_step(single, one, 51)
        out["per_replica_mean"] = gap(two, single)
        two, single = pair()
        even = tf.data.Dataset.from_tensor_slices((x[:50], y[:50])).batch(50)  # 25 + 25
        two.fit(even, epochs=1, verbose=0)
        single.fit(even, epochs=1, verbose=0)
        out["fit"] = gap(two, single)
        # A whole run with a batch of 33 (17 + 16): the custom loop splits it, fit says why not.
        from cnn_core.datasets import load_dataset
        data = load_dataset("fashion_mnist", "bundled")
        data = replace(data, x_train=data.x_train[:99], y_train=data.y_train[:99],
                       x_test=data.x_test[:40], y_test=data.y_test[:40])
        for loop in ("custom", "fit"):
            run = TrainingConfig(epochs=1, batch_size=33, learning_rate=1e-3, loop=loop)
            snap = Trainer(data, config=run, accelerator=acc).start().wait()
            out[loop + "_33"] = [snap.status, snap.message, len(snap.batch_loss), snap.test_accuracy]
        # Mixed precision on two replicas: the loss scaling's all-replica path.
        run = TrainingConfig(epochs=1, batch_size=32, learning_rate=1e-3, loop="custom",
                             validation_fraction=0, mixed_precision=True)
        t = Trainer(data, config=run, accelerator=acc).start()
        snap = t.wait()
        out["mixed"] = [snap.status, snap.message, bool(np.isfinite(snap.batch_loss).all()),
                        type(t.model.optimizer).__name__]
        print(json.dumps(out))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=cpu_only_env()
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2
    gap, moved = out["custom"]
    assert moved > 1e-3  # the step did move the weights...
    assert gap < 1e-5 * max(moved, 1)  # ...and by the same amount on two replicas as on one
    assert out["per_replica_mean"] > 100 * gap + 1e-4  # dividing by a replica's share would not
    assert out["fit"] < 1e-5
    status, message, batches, test_accuracy = out["custom_33"]
    assert status == "finished" and batches == math.ceil(89 / 33), message  # 10 validation images
    assert 0 <= test_accuracy <= 1
    status, message, batches, _ = out["fit_33"]
    assert status == "failed" and batches == 0
    assert "cannot split a batch of 33 over 2 replicas" in message and "32 or 34" in message
    status, message, finite, optimizer = out["mixed"]
    assert status == "finished" and finite and optimizer == "LossScaleOptimizer", message


# ----- mixed precision ------------------------------------------------------------------------


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_a_mixed_precision_run_computes_in_float16_with_a_float32_output_and_loss_scaling(small, loop):
    import keras

    tiny = replace(
        small,
        x_train=small.x_train[:64],
        y_train=small.y_train[:64],
        x_test=small.x_test[:32],
        y_test=small.y_test[:32],
    )
    config = TrainingConfig(
        epochs=1, batch_size=32, learning_rate=1e-3, validation_fraction=0, loop=loop, mixed_precision=True
    )
    before = keras.config.dtype_policy().name
    trainer = Trainer(tiny, config=config).start()
    snap = trainer.wait()
    assert snap.status == "finished", snap.message
    model = trainer.model
    assert model.get_layer("fc1").dtype_policy.name == "mixed_float16"
    assert model.get_layer("block1_conv1").compute_dtype == "float16"
    assert model.get_layer("predictions").compute_dtype == "float32"
    assert model.get_layer("fc1").kernel.dtype == "float32"  # the weights stay float32
    assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    assert np.isfinite(snap.batch_loss).all() and 0 <= snap.test_accuracy <= 1
    # The policy was the training thread's own: this thread's is untouched.
    assert keras.config.dtype_policy().name == before == "float32"


def test_the_dtype_policy_is_restored_after_the_block_even_when_it_fails():
    import keras

    from cnn_core import models
    from cnn_core.worker.models import dtype_policy_scope

    assert keras.config.dtype_policy().name == "float32"
    with dtype_policy_scope(models.MIXED_POLICY):
        assert keras.config.dtype_policy().name == "mixed_float16"
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(RuntimeError):
        with dtype_policy_scope(models.MIXED_POLICY):
            raise RuntimeError("the run failed")
    assert keras.config.dtype_policy().name == "float32"
    with dtype_policy_scope(None):  # no mixed precision: nothing changes
        assert keras.config.dtype_policy().name == "float32"


def test_a_failing_mixed_precision_run_leaves_its_thread_with_the_previous_policy(small, monkeypatch):
    import keras

    seen = {}

    def broken(self):
        seen["during"] = keras.config.dtype_policy().name
        raise RuntimeError("the GPU fell over")

    original = Trainer._run

    def run_then_look(self):
        original(self)
        seen["after"] = keras.config.dtype_policy().name  # the same thread, after the run

    monkeypatch.setattr(Trainer, "_prepare_and_train", broken)
    monkeypatch.setattr(Trainer, "_run", run_then_look)
    snap = Trainer(small, config=replace(FAST, mixed_precision=True)).start().wait()
    assert snap.status == "failed" and "the GPU fell over" in snap.message
    assert seen == {"during": "mixed_float16", "after": "float32"}


def test_two_runs_at_once_keep_their_own_precision(small):
    tiny = replace(
        small,
        x_train=small.x_train[:64],
        y_train=small.y_train[:64],
        x_test=small.x_test[:32],
        y_test=small.y_test[:32],
    )
    config = TrainingConfig(epochs=1, batch_size=32, learning_rate=1e-3, validation_fraction=0)
    mixed = Trainer(tiny, config=replace(config, mixed_precision=True)).start()
    plain = Trainer(tiny, config=config).start()
    assert mixed.wait().status == plain.wait().status == "finished"
    assert {layer.dtype_policy.name for layer in mixed.model.layers[1:-1]} == {"mixed_float16"}
    assert {layer.dtype_policy.name for layer in plain.model.layers} == {"float32"}
    assert type(plain.model.optimizer).__name__ == "Adam"
