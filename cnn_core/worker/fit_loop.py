"""Keras ``model.fit`` (the tutorial's way) with a callback that reports each batch to the run's
:class:`~cnn_core.worker.loop_hooks.LoopHooks` (the Trainer) and obeys its pause, stop and
learning-rate changes.

Keras reports a batch's end as the epoch's running means, possibly from its own worker thread
after the next batch began; :class:`FitLoop` turns them back into each batch's own loss and
accuracy, in step order. Keras is imported inside the run, never when this module is imported.
"""

from __future__ import annotations

import math
import time
from typing import Any

from .loop_hooks import LoopHooks


class StopFit(Exception):
    """Raised from the batch-begin callback to leave ``model.fit`` before the next batch."""


class FitLoop:
    """One run of ``model.fit`` for ``trainer``, with this epoch's batch records put in order."""

    def __init__(self, trainer: LoopHooks) -> None:
        self.trainer = trainer
        self._pending: dict[int, tuple[float, float, int]] = {}  # step: (mean loss, mean acc, images)
        self._cumulative = (0.0, 0.0, 0)  # (loss sum, correct, images) so far this epoch
        self._next_step = 0  # the first step of this epoch not recorded yet
        self._begun = 0  # the last step begun

    def run(self, model: Any, train_ds: Any, val_ds: Any) -> None:
        """Train the trainer's remaining epochs; validation on ``val_ds`` (or None) per epoch."""
        try:
            model.fit(
                train_ds,
                epochs=self.trainer.config.epochs,
                initial_epoch=self.trainer.start_epoch,
                verbose=0,
                callbacks=[self._callback(model, val_ds)],
                shuffle=False,  # tf.data already shuffles
            )
        except StopFit:
            # Keras's worker thread may still be recording the last batch that ran: wait for it.
            self.await_records(self._begun)

    def _callback(self, model: Any, val_ds: Any) -> Any:
        import keras

        loop, trainer = self, self.trainer

        class Hooks(keras.callbacks.Callback):
            # Batch ends may run on Keras's worker thread, overlapping the next batch: the
            # records are put back in order by step. Pause/stop/lr stay in the synchronous begin.
            async_safe = True

            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                loop.epoch_begin(epoch)
                self.epoch = epoch

            def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
                loop.batch_begin(self.epoch, batch)

            def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
                loop.batch_end(self.epoch, batch, logs or {})

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                logs = logs or {}
                trainer.epoch_end(model, epoch, float(logs["loss"]), float(logs["accuracy"]), val_ds)

        return Hooks()

    def epoch_begin(self, epoch: int) -> None:
        self.trainer.epoch_begin(epoch)
        self._pending = {}
        self._cumulative = (0.0, 0.0, 0)
        self._next_step = 0

    def batch_begin(self, epoch: int, batch: int) -> None:
        """Pause, stop and learning-rate changes before the batch; raises :class:`StopFit` to stop."""
        trainer = self.trainer
        self._begun = batch
        if trainer.paused:
            # "paused" tells a watcher every batch run so far is in the history: the
            # last one's record may still be on its way from Keras's worker thread.
            self.await_records(batch)
        if not trainer.before_batch(epoch * trainer.steps_per_epoch + batch):
            # Raising (rather than model.stop_training, which Keras reads only after
            # running this batch) means no batch starts once stop is asked for.
            raise StopFit()

    def batch_end(self, epoch: int, batch: int, logs: dict) -> None:
        """Turn Keras's running epoch means back into each batch's own loss and accuracy."""
        images = self.trainer.batch_images(batch)
        self._pending[batch] = (float(logs["loss"]), float(logs["accuracy"]), images)
        while self._next_step in self._pending:
            step = self._next_step
            mean_loss, mean_acc, n = self._pending.pop(step)
            loss_sum, correct, seen = self._cumulative
            total = seen + n
            batch_loss = (mean_loss * total - loss_sum) / n
            batch_acc = min(max((mean_acc * total - correct) / n, 0.0), 1.0)
            self._cumulative = (mean_loss * total, mean_acc * total, total)
            self._next_step = step + 1
            if not math.isfinite(mean_loss):
                batch_loss = mean_loss
            self.trainer.record_batch(epoch, step, batch_loss, batch_acc, n)

    def await_records(self, steps: int, timeout_s: float = 10.0) -> None:
        """Wait until this epoch's first ``steps`` batches are recorded (their batch ends run on
        Keras's worker thread); bounded, so a lost record cannot hang the run."""
        deadline = time.monotonic() + timeout_s
        while self._next_step < steps and time.monotonic() < deadline:
            time.sleep(0.005)
