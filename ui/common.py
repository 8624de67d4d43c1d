"""What every page shares: the session keys the pages meet at, the datasets and figures held
once per process, and the device.

Datasets are held once per process as uint8 (``st.cache_resource``), their training images read
from disk as pages need them (:mod:`cnn_core.dataset_files`), and let go between lessons
(:func:`ui.server.release_between_lessons`); pages scale at the point of use. TensorFlow is the
worker's (:mod:`ui.worker`): nothing here imports it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

from cnn_core import accelerators, datasets, evaluation, pretrained
from cnn_core.figures import mpl
from cnn_core.protocol import ModelRef
from cnn_core.upload_cache import UploadCache
from ui import worker
from ui.server import release_between_lessons

# Session-state keys the pages share (pages never import each other; they meet here).
DATASET_KEY = "dataset_name"  # "mnist" or "fashion_mnist": the dataset this session works on
UPLOAD_KEY = "uploaded_dataset"  # a validated upload (a datasets.Dataset from read_upload), or absent
MODEL_CONFIG_KEY = "model_config"  # the models.ModelConfig chosen on the model page
MODEL_PRESET_KEY = "model_preset"  # its preset's short name, or "custom"
LOADED_KEY = "_loaded"  # + "_<dataset>": see loaded_key
TRAINED_MODEL_KEY = "trained_model"  # a TrainedModel, set by the training page when a run ends


@dataclass
class TrainedModel:
    """A finished model handed from the training page to the predictions page."""

    model: ModelRef  # its .keras file, which the worker loads
    dataset_name: str  # which dataset it was trained on
    label: str  # one line for the UI, e.g. "Tutorial · 10 epochs · test accuracy 0.910"


@st.cache_resource(show_spinner="Loading the dataset (the first time can take a few seconds)…")
def load_shared_dataset(name: str, source: str = "auto") -> datasets.Dataset:
    """One copy per process of a built-in dataset; its uint8 arrays are shared by all sessions,
    its training images read from the file the worker trains from. A Keras download not yet on
    this machine is fetched by the worker (Keras's own download)."""
    return worker.workers().keep_on_disk(datasets.load_dataset(name, source, download=worker.download))


release_between_lessons(load_shared_dataset.clear)  # test images in memory, a map of the training ones


@st.cache_resource
def shared_uploads() -> UploadCache:
    """The process-wide cache of uploaded datasets (weak references, keyed by content), each
    with its training images on disk as the built-in ones."""
    return UploadCache(keep=worker.workers().keep_on_disk)


def read_upload(data: bytes, name: str) -> datasets.Dataset:
    """An uploaded .npz as a Dataset, parsed once per process and shared by every session
    that sends the same bytes. The session keeps the result under ``UPLOAD_KEY``: that strong
    reference is what keeps the shared copy alive. Raises ValueError with a sentence."""
    return shared_uploads().get(data, name)


def bundled_test_images(name: str) -> tuple[Any, Any]:
    """Test images (uint8, N×28×28) and labels (N,) of the bundled sample, held once per process
    by :func:`load_shared_dataset`: enough to pick a digit to convolve or pool, and never the
    Keras download (which would import TensorFlow)."""
    data = load_shared_dataset(name, "bundled")
    return data.x_test, data.y_test


def gpu_accelerator() -> Any | None:
    """The worker's device when it is a GPU that mixed precision speeds up, else None.

    A machine without an NVIDIA driver is answered None at once (Community Cloud never starts a
    worker for the question); where a driver is found, the worker is asked (and started).
    """
    if not accelerators.nvidia_gpu_present():
        return None
    try:
        acc = worker.device() or worker.ask("device", "Looking for a TPU or GPU…")
    except (worker.WorkerError, ValueError):  # no answer: train as on a CPU
        return None
    return acc if acc.mixed_precision_useful else None


def dataset_identity(data: datasets.Dataset) -> str:
    """A key that names a test set's content: the shared copies by name and source, an upload
    by a hash of its test arrays (two sessions uploading the same file get the same key)."""
    if data.source != "file":
        return f"{data.name}:{data.source}:{len(data.y_test)}"
    known = _upload_keys.get(data)
    if known is None:  # hashed once per upload (tens of ms for 10,000 images), not on every rerun
        digest = pretrained.test_set_digest(data.x_test, data.y_test)
        known = _upload_keys[data] = f"{data.name}:file:{len(data.y_test)}:{digest}"
    return known


_upload_keys: "weakref.WeakKeyDictionary[datasets.Dataset, str]" = weakref.WeakKeyDictionary()


@st.cache_resource(
    show_spinner="Predicting the test images with the pretrained network (once for all)…", max_entries=8
)
def pretrained_predictions(name: str, data_key: str, _data: datasets.Dataset) -> evaluation.Predictions:
    """The pretrained network's predictions on ``_data``'s test set, computed once per process
    for each (network, test set) and shared: a class opening the page asks the worker once, not
    once per student. ``data_key`` is :func:`dataset_identity` of ``_data``. On the bundled
    sample's test images the shipped answers are read from the package: no TensorFlow needed."""
    shipped = pretrained.shipped_predictions(name, _data.x_test, _data.y_test)
    if shipped is not None:
        return shipped
    if not pretrained.available(name):
        raise ValueError(f"No pretrained network is shipped for {name!r}.")
    return worker.workers().call(
        "predict", model=worker.pretrained_model(name), images=_data.x_test, labels=_data.y_test
    )


def current_dataset_name() -> str:
    return st.session_state.get(DATASET_KEY, "mnist")


def current_dataset() -> datasets.Dataset:
    """The dataset this session chose: its upload when it has one, else the shared copy."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is not None:
        return upload
    name = current_dataset_name()
    data = load_shared_dataset(name)
    st.session_state[loaded_key(name)] = True  # the sidebar may now show its badge for free
    return data


def loaded_key(name: str) -> str:
    """The session key that says this session has loaded dataset ``name`` (so showing its badge
    costs nothing)."""
    return f"{LOADED_KEY}_{name}"


@st.cache_data(max_entries=64, show_spinner=False)
def cached_png(kind: str, key: str, _make: Callable[[], Any]) -> bytes:
    """The PNG of the matplotlib figure ``_make()`` builds, drawn once per (``kind``, ``key``): a
    click that changes one figure redraws only that one. 150 dpi, trimmed to the drawing."""
    return mpl.figure_png(_make(), dpi=150, tight=True)
