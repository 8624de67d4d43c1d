"""The Trainer: a run trained in a background thread of the worker (or of the command line),
watched through :meth:`Trainer.snapshot` (an immutable copy taken under a lock, which the worker
sends to the server) and steered with pause, resume, stop and set_learning_rate, flags the thread
reads between batches. Its two loops, Keras ``fit`` (:mod:`~cnn_core.worker.fit_loop`) and the
GradientTape step (:mod:`~cnn_core.worker.custom_loop`), report through the same hooks
(:class:`~cnn_core.worker.loop_hooks.LoopHooks`). TensorFlow is imported inside the thread, never
when this module is imported.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import traceback
from collections import deque
from pathlib import Path
from typing import Any

from .. import run_storage
from ..datasets import Dataset
from ..formulas import plural
from ..models import MIXED_POLICY, ModelConfig
from ..process_memory import release_free_memory
from ..training_config import (
    ACTIVE_STATUSES,
    EpochRecord,
    LearningRateChange,
    Snapshot,
    TrainingConfig,
    check_learning_rate,
    check_replica_batch,
    describe_run,
    recent_images_per_second,
    schedule_factor,
    steps_per_epoch,
    validation_split,
)
from .accelerators import AcceleratorSource, resolve_accelerator
from .custom_loop import run_custom_loop
from .data import run_datasets
from .divergence import EXPLODED_WINDOW, divergence_message
from .fit_loop import FitLoop, StopFit
from .models import dtype_policy_scope, training_model
from .run_folder import RunFolder


class Trainer:
    """Train ``model_config`` on ``dataset`` in a background thread. Never calls Streamlit.

    ``accelerator`` is a :class:`cnn_core.accelerators.Accelerator`, a plain function returning
    one (called in the thread; never a Streamlit-cached one), or None to detect it. ``run_dir`` is the
    folder for checkpoints and the final model (None: no files, except what :meth:`save` writes).
    Raises ``ValueError`` at once for bad settings; everything that fails later becomes the
    snapshot's ``status == "failed"`` with a ``message``.
    """

    def __init__(
        self,
        dataset: Dataset,
        model_config: ModelConfig = ModelConfig(),
        config: TrainingConfig = TrainingConfig(),
        *,
        accelerator: AcceleratorSource = None,
        run_dir: str | os.PathLike | None = None,
        label: str = "",
    ) -> None:
        self.config = config.check()
        self.dataset = dataset
        self.model_config = model_config
        self.label = label or describe_run(model_config, dataset, config)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self._folder = RunFolder(self.run_dir, self.label, dataset, model_config, self.config)
        self._accelerator_source = accelerator
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()
        self._thread: threading.Thread | None = None
        self._model: Any = None
        self._start_epoch = 0  # epochs already done before this thread (resume)
        self._resume_checkpoint: Path | None = None
        n_train, n_val = validation_split(len(dataset.y_train), config.validation_fraction)
        self._steps = steps_per_epoch(n_train, config.batch_size)
        self._pending_lr: float | None = None
        self._base_lr = config.learning_rate
        self._lr_now = config.learning_rate
        # Everything below is shared with watchers and guarded by _lock.
        self._status = "preparing"
        self._message = ""
        self._device = ""
        self._epoch = 1
        self._batch = 0
        self._n_train, self._n_val = n_train, n_val
        self._batch_loss: list[float] = []
        self._batch_acc: list[float] = []
        self._history: list[EpochRecord] = []
        self._recent: deque[tuple[float, int]] = deque(maxlen=64)  # (time, images) per batch
        self._elapsed_before = 0.0  # from an earlier session of a resumed run
        self._t_start: float | None = None
        self._paused_total = 0.0
        self._pause_began: float | None = None
        self._val_seconds = 0.0
        self._test: tuple[float, float] | None = None
        self._last_checkpoint: str | None = None
        self._last_checkpoint_epoch = 0
        self._lr_changes: list[LearningRateChange] = []
        # Per-epoch state used by the training thread only.
        self._epoch_t0 = 0.0
        self._epoch_paused0 = 0.0

    # ----- construction from a checkpoint -------------------------------------------------

    @classmethod
    def from_checkpoint(
        cls,
        run_dir: str | os.PathLike,
        dataset: Dataset,
        *,
        accelerator: AcceleratorSource = None,
        epochs: int | None = None,
        loop: str | None = None,
    ) -> "Trainer":
        """A trainer that continues the run in ``run_dir`` from its last checkpoint.

        The history up to that checkpoint is restored; ``epochs`` may raise the total and
        ``loop`` switch between "fit" and "custom" (both read the same checkpoint). Raises
        ``ValueError`` when the folder holds no usable checkpoint.
        """
        info, training = run_storage.resume_plan(run_dir, epochs, loop)
        trainer = cls(dataset, info.model_config, training, accelerator=accelerator, run_dir=run_dir)
        saved = run_storage.read_checkpoint_state(info.checkpoint)
        trainer._start_epoch = info.checkpoint_epoch
        trainer._resume_checkpoint = Path(info.checkpoint)
        trainer._history = [EpochRecord(**r) for r in saved["history"]]
        trainer._batch_loss = list(saved["batch_loss"])
        trainer._batch_acc = list(saved["batch_accuracy"])
        trainer._elapsed_before = float(saved.get("elapsed_seconds", 0.0))
        trainer._epoch = info.checkpoint_epoch + 1
        trainer._last_checkpoint = info.checkpoint
        trainer._last_checkpoint_epoch = info.checkpoint_epoch
        trainer._lr_changes = [LearningRateChange(**c) for c in saved.get("learning_rate_changes", [])]
        # The learning rate as it was (a class may have changed it live), not the initial one.
        trainer._base_lr = float(saved.get("base_learning_rate", training.learning_rate))
        trainer._lr_now = trainer._base_lr
        return trainer

    # ----- control (any thread) --------------------------------------------------------------

    def start(self) -> "Trainer":
        """Start the background thread (once) and return self."""
        if self._thread is not None:
            raise RuntimeError("This run has already been started.")
        self._thread = threading.Thread(target=self._run, name=f"trainer:{self.label}", daemon=True)
        self._thread.start()
        return self

    def pause(self) -> None:
        """Hold the run before its next batch (the clock stops too)."""
        self._unpaused.clear()

    def resume(self) -> None:
        """Continue a paused run."""
        self._unpaused.set()

    def stop(self) -> None:
        """Stop before the next batch; the model so far is kept and evaluated on the test set."""
        self._stop.set()
        self._unpaused.set()

    def set_learning_rate(self, learning_rate: float) -> None:
        """Change η from the next batch on, without restarting (a schedule keeps its shape)."""
        self._pending_lr = check_learning_rate(learning_rate)

    def wait(self, timeout: float | None = None) -> Snapshot:
        """Block until the thread ends (or ``timeout`` seconds pass); return a snapshot."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.snapshot()

    @property
    def active(self) -> bool:
        """Still working (cheaper than a snapshot: reads one field)."""
        return self._status in ACTIVE_STATUSES

    @property
    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def model(self) -> Any:
        """The Keras model (None until the thread built it). Only use it once the run is done."""
        return self._model

    @property
    def steps_per_epoch(self) -> int:
        return self._steps

    @property
    def start_epoch(self) -> int:
        """Epochs done before this thread started (non-zero for a resumed run)."""
        return self._start_epoch

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    @property
    def stopping(self) -> bool:
        """Whether the run was asked to stop (or diverged)."""
        return self._stop.is_set()

    def snapshot(self) -> Snapshot:
        """A consistent copy of the run's state, cheap enough to take every second."""
        now = time.monotonic()
        with self._lock:
            elapsed = self._elapsed_before
            if self._t_start is not None:
                paused = self._paused_total + (now - self._pause_began if self._pause_began else 0.0)
                elapsed += now - self._t_start - paused
            ips = recent_images_per_second(self._recent)
            done = len(self._batch_loss)
            total = self.config.epochs * self._steps
            eta = None
            if self._status in ("running", "paused") and ips > 0:
                remaining_images = max(total - done, 0) * self.config.batch_size
                remaining_epochs = self.config.epochs - len(self._history)
                eta = remaining_images / ips + remaining_epochs * self._val_seconds
            return Snapshot(
                status=self._status,
                message=self._message,
                epoch=self._epoch,
                epochs=self.config.epochs,
                batch=self._batch,
                steps_per_epoch=self._steps,
                train_images=self._n_train,
                val_images=self._n_val,
                batch_loss=tuple(self._batch_loss),
                batch_accuracy=tuple(self._batch_acc),
                history=tuple(self._history),
                images_per_second=ips,
                elapsed_seconds=elapsed,
                eta_seconds=eta,
                learning_rate=self._lr_now,
                device=self._device,
                loop=self.config.loop,
                test_loss=self._test[0] if self._test else None,
                test_accuracy=self._test[1] if self._test else None,
                last_checkpoint=self._last_checkpoint,
                run_dir=str(self.run_dir) if self.run_dir else None,
                resumed_from_epoch=self._start_epoch,
                learning_rate_changes=tuple(self._lr_changes),
                last_checkpoint_epoch=self._last_checkpoint_epoch,
            )

    def save(self, path: str | os.PathLike) -> Path:
        """Save the trained model as a ``.keras`` file (architecture, weights, optimizer state)."""
        if self._model is None:
            raise ValueError("There is no model to save yet: the run has not built it.")
        path = Path(path)
        if path.suffix != ".keras":
            raise ValueError(f"A Keras model file must end in .keras, not {path.name!r}.")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._model.save(path)
        return path

    def model_bytes(self) -> bytes:
        """The trained model as the bytes of a ``.keras`` file (for a download button)."""
        final = self._folder.final_model
        if final is not None and final.exists() and self.snapshot().done:
            return final.read_bytes()
        with tempfile.TemporaryDirectory() as tmp:
            return self.save(Path(tmp) / "model.keras").read_bytes()

    # ----- the thread ---------------------------------------------------------------------

    def _set(self, **values: Any) -> None:
        with self._lock:
            for key, value in values.items():
                setattr(self, f"_{key}", value)

    def _run(self) -> None:
        try:
            # Keras keeps its dtype policy per thread: this run's policy never reaches another
            # run or page, and the thread's previous policy is back even after a failure.
            with dtype_policy_scope(MIXED_POLICY if self.config.mixed_precision else None):
                self._prepare_and_train()
        except StopFit:
            pass
        except Exception as exc:  # a dying thread must leave a message, never die silently
            detail = traceback.format_exc(limit=3)
            self._set(status="failed", message=f"Training failed: {type(exc).__name__}: {exc}")
            self._write_run_status("failed", detail)
        finally:
            # The tf.data pipelines hold a copy of the images: drop them, keep only the model.
            self._datasets = None
            release_free_memory()
            with self._lock:
                if self._status in ACTIVE_STATUSES:  # never leave a watcher waiting forever
                    self._status = "failed"
                    self._message = self._message or "Training ended unexpectedly."
                self._pause_began = None

    def _prepare_and_train(self) -> None:
        acc = resolve_accelerator(self._accelerator_source)
        self._set(device=acc.description)
        strategy = acc.strategy
        check_replica_batch(self.config.batch_size, strategy.num_replicas_in_sync, self.config.loop)
        train_ds, val_ds, test_ds = run_datasets(
            self.dataset, self.config, self._n_val, strategy.num_replicas_in_sync
        )
        self._datasets = (train_ds, val_ds, test_ds)
        with strategy.scope():
            model = training_model(self.model_config, self.config, self._resume_checkpoint)
        self._model = model
        self._folder.write_run_file("running")
        self._apply_learning_rate(len(self._batch_loss), force=True)
        self._set(status="running", t_start=time.monotonic())
        if self.config.loop == "fit":
            FitLoop(self).run(model, train_ds, val_ds)
        else:
            run_custom_loop(self, model, strategy, train_ds, val_ds)
        stopped = self._stop.is_set()
        with self._lock:
            if self._status == "failed":  # diverged: no test score for a broken network
                return
            self._status = "evaluating"
        test = model.evaluate(test_ds, verbose=0, return_dict=True)
        self._test = (float(test["loss"]), float(test["accuracy"]))
        self._folder.save_final_model(model)
        status = "stopped" if stopped else "finished"
        done = len(self._history)
        message = (
            f"Stopped by request after {done} of {self.config.epochs} {plural(self.config.epochs, 'epoch')} "
            f"({len(self._batch_loss) - done * self._steps} batches into the next); the model so far "
            "was evaluated on the test set."
            if stopped
            else f"Finished {self.config.epochs} {plural(self.config.epochs, 'epoch')}."
        )
        self._set(status=status, message=message, batch=self._batch)
        self._write_run_status(status)

    # Both loops call these hooks, so they report and obey the same way.

    def before_batch(self, step_in_run: int) -> bool:
        """Pause, stop and learning-rate changes, between batches. False: leave the loop."""
        if not self._unpaused.is_set() and not self._stop.is_set():
            with self._lock:
                self._status = "paused"
                self._pause_began = time.monotonic()
                self._recent.clear()  # images/s after a pause must not count the pause
            self._unpaused.wait()
            with self._lock:
                self._paused_total += time.monotonic() - (self._pause_began or time.monotonic())
                self._pause_began = None
                if self._status == "paused":
                    self._status = "running"
        if self._stop.is_set():
            return False
        self._apply_learning_rate(step_in_run)
        return True

    def _apply_learning_rate(self, step_in_run: int, force: bool = False) -> None:
        pending, self._pending_lr = self._pending_lr, None
        if pending is not None and pending != self._base_lr:
            change = LearningRateChange(
                step_in_run, step_in_run // max(self._steps, 1) + 1, pending, self._base_lr
            )
            with self._lock:
                self._lr_changes.append(change)
        if pending is not None:
            self._base_lr = pending
        if pending is None and not force and self.config.schedule == "constant":
            return
        total = self.config.epochs * self._steps
        lr = self._base_lr * schedule_factor(self.config.schedule, step_in_run, total)
        if lr != self._lr_now or force or pending is not None:
            self._model.optimizer.learning_rate = lr
            with self._lock:
                self._lr_now = lr

    def record_batch(self, epoch: int, batch: int, loss: float, accuracy: float, images: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._batch_loss.append(loss)
            self._batch_acc.append(accuracy)
            self._epoch, self._batch = epoch + 1, batch + 1
            self._recent.append((now, images))
            recent = self._batch_loss[-EXPLODED_WINDOW:]
        problem = divergence_message(
            loss, recent, self._lr_now, f"epoch {epoch + 1}, batch {batch + 1}", self.model_config.num_classes
        )
        if problem is not None:
            self._set(status="failed", message=problem)
            self._write_run_status("failed")
            self._stop.set()

    def epoch_begin(self, epoch: int) -> None:
        self._epoch_t0 = time.monotonic()
        with self._lock:
            self._epoch_paused0 = self._paused_total
            self._epoch, self._batch = epoch + 1, 0

    def epoch_end(self, model: Any, epoch: int, loss: float, accuracy: float, val_ds: Any) -> None:
        """Record a finished epoch: validation, history, checkpoint."""
        with self._lock:
            seconds = time.monotonic() - self._epoch_t0 - (self._paused_total - self._epoch_paused0)
        val_loss = val_acc = None
        if val_ds is not None:
            t0 = time.monotonic()
            logs = model.evaluate(val_ds, verbose=0, return_dict=True)
            val_loss, val_acc = float(logs["loss"]), float(logs["accuracy"])
            self._val_seconds = time.monotonic() - t0
        record = EpochRecord(
            epoch=epoch + 1,
            loss=loss,
            accuracy=accuracy,
            val_loss=val_loss,
            val_accuracy=val_acc,
            seconds=seconds,
            images_per_second=self._n_train / seconds if seconds > 0 else 0.0,
            learning_rate=self._lr_now,
        )
        with self._lock:
            self._history.append(record)
        every = self.config.checkpoint_every
        if self.run_dir is not None and every and (epoch + 1) % every == 0:
            self._checkpoint(model, epoch + 1)
        release_free_memory()

    def batch_images(self, batch: int) -> int:
        if batch < self._steps - 1:
            return self.config.batch_size
        return self._n_train - self.config.batch_size * (self._steps - 1)

    # ----- files ------------------------------------------------------------------------

    def _checkpoint(self, model: Any, epoch: int) -> None:
        path = self._folder.save_checkpoint(model, epoch, self.snapshot(), self._base_lr)
        self._set(last_checkpoint=str(path), last_checkpoint_epoch=epoch)
        self._write_run_status("running")

    def _write_run_status(self, status: str, detail: str = "") -> None:
        with self._lock:
            history = list(self._history)
        self._folder.write_status(status, history, self._test, detail)
