"""The server's TensorFlow workers: start one when first needed, hand it work, and let it go when
idle.

The Streamlit server never imports TensorFlow. :class:`Workers` starts a worker process
(:class:`~cnn_core.worker_process.WorkerProcess`) on the first request that needs it and stops
it after ``$CNN_EXPLORER_WORKER_IDLE_S`` seconds without work (default 600), so a server between
lessons holds no TensorFlow. A run is a :class:`~cnn_core.remote_trainer.RemoteTrainer`. Each
concurrent run gets a worker of its own (they never share an interpreter lock); inference uses
the first one.

A worker that dies (killed for memory, a crash) loses nothing the server holds: requests waiting
on it raise :class:`~cnn_core.protocol.WorkerDied` with a sentence, each run it was training
becomes "interrupted" with its checkpoints on disk, runs waiting in line keep their place, and
the next request starts a new worker. Pure Python: no Streamlit, no TensorFlow.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from . import dataset_files, run_storage
from .datasets import Dataset
from .models import ModelConfig
from .protocol import DataRef, ModelRef
from .remote_trainer import RemoteTrainer
from .training_config import TrainingConfig, describe_run
from .worker_process import WorkerProcess

IDLE_ENV = "CNN_EXPLORER_WORKER_IDLE_S"
DEFAULT_IDLE_S = 600.0
WATCH_EVERY_S = 5.0  # how often idle workers are looked for


def idle_from_env() -> float:
    """Seconds a worker may sit idle before it is stopped, from ``$CNN_EXPLORER_WORKER_IDLE_S``."""
    try:
        return max(float(os.environ.get(IDLE_ENV, DEFAULT_IDLE_S)), 1.0)
    except ValueError:
        return DEFAULT_IDLE_S


def _handed_out(worker: WorkerProcess) -> WorkerProcess:
    """``worker``, marked as just used so the idle watch leaves it be."""
    worker.last_used = time.monotonic()
    return worker


class Workers:
    """The server's TensorFlow workers: started on demand, at most ``max_workers`` at once (one
    per concurrent run), stopped after ``idle_s`` seconds without work."""

    def __init__(self, max_workers: int = 1, idle_s: float | None = None, scratch: str | None = None) -> None:
        self.max_workers = max(1, max_workers)
        self.idle_s = idle_from_env() if idle_s is None else idle_s
        self.scratch = Path(scratch or tempfile.mkdtemp(prefix="cnn-explorer-"))
        for folder in ("data", "models", "uploads", "sockets"):
            (self.scratch / folder).mkdir(parents=True, exist_ok=True)
        self._workers: list[WorkerProcess] = []
        self._lock = threading.RLock()  # the list of workers: held for moments only
        self._start_lock = threading.Lock()  # one start at a time; others needing one wait for it
        self._starting = 0
        self._closed = False
        threading.Thread(target=self._watch, name="workers-idle", daemon=True).start()

    # ----- the processes ----------------------------------------------------------------------

    def _live(self) -> list[WorkerProcess]:
        with self._lock:
            self._workers = [w for w in self._workers if not w.dead]
            return list(self._workers)

    def _start(self) -> WorkerProcess:
        with self._lock:
            self._starting += 1
        try:
            worker = WorkerProcess(str(self.scratch / "sockets"))
        finally:
            with self._lock:
                self._starting -= 1
        with self._lock:
            self._workers.append(worker)
        return worker

    def _for_inference(self) -> WorkerProcess:
        with self._start_lock:
            live = self._live()
            return _handed_out(live[0] if live else self._start())

    def _for_training(self) -> WorkerProcess:
        """A worker with no run going (a new one while fewer than ``max_workers`` run)."""
        with self._start_lock:
            live = self._live()
            free = [w for w in live if not w.training]
            if free:
                return _handed_out(free[0])
            if len(live) < self.max_workers:
                return _handed_out(self._start())
            return _handed_out(min(live, key=lambda w: sum(t.active for t in w.trainers.values())))

    @property
    def starting(self) -> bool:
        """Whether a worker is being started now (a page may say so where the learner waits)."""
        return self._starting > 0

    @property
    def running(self) -> bool:
        return bool(self._live())

    def pids(self) -> list[int]:
        return [w.pid for w in self._live()]

    def call(self, op: str, **args: Any) -> Any:
        """Run ``op`` on the inference worker (started if none runs) and return its answer."""
        return self._for_inference().request(op, **args)

    def _watch(self) -> None:
        """Stop workers that have had nothing to do for ``idle_s`` seconds."""
        while not self._closed:
            time.sleep(min(WATCH_EVERY_S, self.idle_s))
            # Under the start lock, so a worker being handed out is never the one stopped, and a
            # new worker starts only once the idle one has exited: two TensorFlows never overlap.
            with self._start_lock:
                idle = [
                    w for w in self._live() if not w.busy and time.monotonic() - w.last_used > self.idle_s
                ]
                with self._lock:
                    self._workers = [w for w in self._workers if w not in idle]
                for worker in idle:
                    worker.stop()

    def close(self) -> None:
        """Stop every worker and remove the scratch folder (models of quick runs, uploads)."""
        self._closed = True
        for worker in self._live():
            worker.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)

    # ----- what the worker reads --------------------------------------------------------------

    def data_ref(self, data: Dataset) -> DataRef:
        """Where the worker reads ``data``: its file when it is kept on disk (every dataset the
        pages hold), else exactly these images written here once as a ``.npz`` named by a hash
        of the arrays."""
        path = data.file or str(dataset_files.write_once(data, self.scratch / "data"))
        return DataRef(data.name, data.source, path)

    def keep_on_disk(self, data: Dataset) -> Dataset:
        """``data`` with its training images read from the file a worker trains from, not held in
        this process's memory (:func:`cnn_core.dataset_files.kept_on_disk`)."""
        return dataset_files.kept_on_disk(data, self.scratch / "data")

    def model_file(self, content: bytes, digest: str | None = None) -> ModelRef:
        """An uploaded ``.keras`` file written here once (named by ``digest``, its sha1, which the
        caller may know already), for the worker to load."""
        path = self.scratch / "uploads" / f"{digest or hashlib.sha1(content).hexdigest()}.keras"
        if not path.exists():
            path.write_bytes(content)
        return ModelRef.of(path)

    # ----- runs -------------------------------------------------------------------------------

    def trainer(
        self,
        data: Dataset,
        model_config: ModelConfig,
        config: TrainingConfig,
        run_dir: str | os.PathLike | None = None,
        resume_from: str | None = None,
    ) -> "RemoteTrainer":
        """A run of ``model_config`` on ``data`` (or one that continues ``resume_from``), to be
        started by the job registry. Raises ``ValueError`` at once for settings it cannot run."""
        if resume_from is not None:
            info, config = run_storage.resume_plan(resume_from, config.epochs, config.loop)
            model_config, run_dir = info.model_config, resume_from
        return RemoteTrainer(
            self.start_run,
            self.scratch,
            self.data_ref(data),
            len(data.y_train),
            model_config,
            config.check(),
            describe_run(model_config, data, config),
            None if run_dir is None else str(run_dir),
            resume_from,
        )

    def start_run(self, trainer: RemoteTrainer) -> None:
        """Hand ``trainer`` to a worker for training (started if none is free)."""
        worker = self._for_training()
        worker.trainers[trainer.job_id] = trainer
        trainer.attach(worker)
        worker.request("train", request=trainer.request)
