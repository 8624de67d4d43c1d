"""A run trained by a worker process, read and steered from the server as if it trained here.

The job registry (:mod:`cnn_core.jobs`) starts, steers and reads a :class:`RemoteTrainer` as it
would a :class:`cnn_core.worker.trainer.Trainer`; its snapshots arrive from the worker
(:mod:`cnn_core.worker_process`). A run whose worker dies becomes "interrupted", resumable from
its last checkpoint. Pure Python: no Streamlit, no TensorFlow.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Callable

from .models import ModelConfig
from .protocol import DataRef, ModelRef, TrainRequest, WorkerDied, WorkerError
from .training_config import Snapshot, TrainingConfig, steps_per_epoch, validation_split
from .worker_process import WorkerProcess

STARTING_MESSAGE = "Starting TensorFlow (about 5 s, the first time)…"


class RemoteTrainer:
    """A run trained by a worker, read and steered like :class:`cnn_core.worker.trainer.Trainer`:
    ``start``, ``pause``, ``resume``, ``stop``, ``set_learning_rate``, ``snapshot``, ``active``,
    and once it has ended, ``model`` (a :class:`ModelRef`) and ``model_bytes``."""

    def __init__(
        self,
        launch: Callable[["RemoteTrainer"], None],
        scratch: Path,
        data: DataRef,
        train_images: int,
        model_config: ModelConfig,
        config: TrainingConfig,
        label: str,
        run_dir: str | None,
        resume_from: str | None,
    ) -> None:
        self._launch = launch  # hands the run to a worker (Workers.start_run)
        self.config, self.model_config, self.label = config, model_config, label
        self.job_id = uuid.uuid4().hex
        self.request = TrainRequest(
            self.job_id,
            data,
            model_config,
            config,
            run_dir,
            str(scratch / "models" / f"{self.job_id}.keras"),
            resume_from,
            label,
        )
        n_train, n_val = validation_split(train_images, config.validation_fraction)
        self._snap = Snapshot(
            status="preparing",
            message=STARTING_MESSAGE,
            epoch=1,
            epochs=config.epochs,
            batch=0,
            steps_per_epoch=steps_per_epoch(n_train, config.batch_size),
            train_images=n_train,
            val_images=n_val,
            batch_loss=(),
            batch_accuracy=(),
            history=(),
            images_per_second=0.0,
            elapsed_seconds=0.0,
            eta_seconds=None,
            learning_rate=config.learning_rate,
            device="",
            loop=config.loop,
            run_dir=run_dir or resume_from,
        )
        self._model: ModelRef | None = None
        self._worker: WorkerProcess | None = None  # the worker training it, once started
        self._started = False
        self._ended = threading.Event()
        self._lock = threading.Lock()

    # ----- what the registry and the pages call -----------------------------------------------

    def attach(self, worker: WorkerProcess) -> None:
        """The worker that trains this run, once it has one (controls go to it)."""
        self._worker = worker

    def start(self) -> "RemoteTrainer":
        if self._started:
            raise RuntimeError("This run has already been started.")
        self._started = True
        try:
            self._launch(self)
        except (WorkerError, ValueError) as exc:
            self._end(replace(self._snap, status="failed", message=str(exc)))
        return self

    def pause(self) -> None:
        self._control("pause")

    def resume(self) -> None:
        self._control("resume")

    def stop(self) -> None:
        if not self._started:  # still in line: it never trained
            self._end(replace(self._snap, status="stopped", message="Stopped before it started."))
            return
        self._control("stop")

    def set_learning_rate(self, learning_rate: float) -> None:
        self._control("learning_rate", learning_rate)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snap

    @property
    def active(self) -> bool:
        return self.snapshot().active

    @property
    def model(self) -> ModelRef | None:
        """The finished (or stopped) run's model, once the worker has written it."""
        return self._model

    def model_bytes(self) -> bytes:
        """The ``.keras`` file of the model, for a download."""
        if self._model is None:
            raise ValueError("This run has no model to download.")
        return Path(self._model.path).read_bytes()

    def wait(self, timeout: float | None = None) -> Snapshot:
        """The final snapshot, once the run has ended (or the snapshot so far after ``timeout`` s)."""
        self._ended.wait(timeout)
        return self.snapshot()

    # ----- what the worker's connection calls ---------------------------------------------------

    def _control(self, action: str, value: float | None = None) -> None:
        if self._worker is not None:
            try:
                self._worker.request("control", wait=False, job_id=self.job_id, action=action, value=value)
            except WorkerDied:
                pass  # its death is reported on the run itself

    def update(self, snap: Snapshot, model_path: str | None = None) -> None:
        if model_path is not None or not snap.active:
            if model_path is not None:
                self._model = ModelRef.of(model_path)
            self._end(snap)
            return
        with self._lock:
            self._snap = snap

    def _end(self, snap: Snapshot) -> None:
        with self._lock:
            self._snap = snap
        self._ended.set()

    def interrupt(self, cause: str) -> None:
        """The worker died: a run still going is interrupted, resumable from its last checkpoint."""
        snap = self.snapshot()
        if not snap.active:
            return
        kept = snap.last_checkpoint_epoch
        message = f"The TensorFlow worker stopped during epoch {snap.epoch}: {cause}. " + (
            f"Its checkpoints are kept: resume it from its checkpoint at epoch {kept}."
            if kept and snap.run_dir
            else "It had no checkpoint yet: start it again."
        )
        self._end(replace(snap, status="interrupted", message=message))
