"""The pages' one door to TensorFlow: the server's worker process, and what it is asked.

The Streamlit server never imports TensorFlow. Everything that needs it (training, a model's
answers, feature maps and heat maps, checking an uploaded model, the Keras download) is asked of a
worker process through :class:`cnn_core.client.Workers`, one per server process, started on the
first request (a spinner says so where the learner waits) and stopped after its idle time. A
request the worker cannot answer raises ``ValueError`` (a sentence for the learner) or
:class:`cnn_core.protocol.WorkerError` (the worker failed or died: a sentence too; a new worker
starts on the next request).
"""

from __future__ import annotations

import atexit
from typing import Any

import streamlit as st

from cnn_core import pretrained
from cnn_core.accelerators import Accelerator
from cnn_core.client import Workers
from cnn_core.datasets import Dataset
from cnn_core.jobs import max_jobs_from_env
from cnn_core.models import ModelConfig
from cnn_core.protocol import ModelRef, WorkerError
from cnn_core.remote_trainer import STARTING_MESSAGE, RemoteTrainer
from cnn_core.training_config import TrainingConfig

__all__ = ["WorkerError", "ask", "device", "download", "model_file", "pretrained_model", "trainer", "workers"]


@st.cache_resource(show_spinner=False)
def workers() -> Workers:
    """The server's workers: as many at once as runs may train at once (one each)."""
    pool = Workers(max_workers=max_jobs_from_env())
    atexit.register(pool.close)
    return pool


def ask(op: str, doing: str, **args: Any) -> Any:
    """Ask the worker for ``op`` (see :mod:`cnn_core.worker.serve`) under a spinner saying
    ``doing`` (after "Starting TensorFlow…" when no worker runs yet)."""
    pool = workers()
    with st.spinner(doing if pool.running else f"{STARTING_MESSAGE} {doing}"):
        return pool.call(op, **args)


def trainer(
    data: Dataset,
    model_config: ModelConfig,
    config: TrainingConfig,
    run_dir: Any = None,
    resume_from: str | None = None,
) -> RemoteTrainer:
    """A run for the job registry, trained by a worker once the registry starts it."""
    return workers().trainer(data, model_config, config, run_dir=run_dir, resume_from=resume_from)


def download(name: str) -> None:
    """Fill Keras's cache with the download of dataset ``name`` (the server then reads it)."""
    ask("download", f"Downloading {name} with Keras…", name=name)


def pretrained_model(name: str) -> ModelRef:
    """The network shipped for dataset ``name``, as the worker loads it."""
    return ModelRef.of(pretrained.model_path(name))


def model_file(content: bytes, digest: str) -> ModelRef:
    """An uploaded ``.keras`` file (``digest``: its sha1), checked by the worker (``ValueError``
    with a sentence when it is not a model for 28×28 images)."""
    ref = workers().model_file(content, digest)
    ask("check", "Checking the model…", model=ref)
    return ref


def device() -> Accelerator | None:
    """The device runs train on, as a worker found it (asked once); None while no worker has
    run (asking would start one, which a sidebar line is not worth)."""
    if "known" not in _device and workers().running:
        try:
            _device["known"] = workers().call("device")
        except (WorkerError, ValueError):
            return None
    return _device.get("known")


_device: dict[str, Accelerator] = {}  # the last answer: a worker stopped for idleness found the same
