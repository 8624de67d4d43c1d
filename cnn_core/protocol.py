"""What crosses between the server and its TensorFlow worker: plain, picklable values.

The server never holds a Keras object. It names a model by its ``.keras`` file (:class:`ModelRef`)
and a dataset by where the worker can read it (:class:`DataRef`); it sends a :class:`TrainRequest`
to start a run. Requests travel as ``(request id, operation, arguments)``; the worker answers
``(REPLY, request id, ok, value)`` and pushes ``(SNAPSHOT, job id, Snapshot)`` while a run goes,
then ``(FINAL, job id, Snapshot, model path)`` once its model is written. Pure Python: both sides
import it (:mod:`cnn_core.client` and :mod:`cnn_core.worker.serve`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .models import ModelConfig
from .training_config import TrainingConfig

REPLY, SNAPSHOT, FINAL = "reply", "snapshot", "final"
AUTHKEY_ENV = "CNN_EXPLORER_WORKER_KEY"  # the connection's shared secret, hex, given to the worker


@dataclass(frozen=True)
class DataRef:
    """A dataset the worker reads for itself: the ``.npz`` at ``path``, which the server wrote
    once for exactly the images it holds (a built-in set or a learner's upload), read as dataset
    ``name`` and reported as coming from ``source`` ("keras", "bundled" or "file")."""

    name: str
    source: str
    path: str


@dataclass(frozen=True)
class ModelRef:
    """A Keras model by its ``.keras`` file; ``stamp`` (the file's modification time) tells the
    worker's cache when a file was written again."""

    path: str
    stamp: float = 0.0

    @classmethod
    def of(cls, path: str | os.PathLike) -> "ModelRef":
        path = Path(path)
        return cls(str(path), path.stat().st_mtime)


@dataclass(frozen=True)
class TrainRequest:
    """A run for the worker: train ``model_config`` on ``data`` with ``config``, checkpointing into
    ``run_dir`` (None: no files but the final model at ``model_out``), or continue ``resume_from``."""

    job_id: str
    data: DataRef
    model_config: ModelConfig
    config: TrainingConfig
    run_dir: str | None
    model_out: str
    resume_from: str | None = None
    label: str = ""


class WorkerError(RuntimeError):
    """The worker failed on a request for a reason that is not the learner's to fix."""


class WorkerDied(WorkerError):
    """The worker process stopped (killed, crashed) before it answered."""
