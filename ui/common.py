"""Helpers every page may use: the cached dataset and device, and the sidebar status line.

Datasets are held once per process as uint8 (``st.cache_resource``); pages scale at the point
of use. TensorFlow is the worker's (:mod:`ui.worker`): nothing here imports it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

from cnn_core import accelerators, datasets, evaluation, formulas, pretrained
from cnn_core.figures import mpl
from cnn_core.protocol import ModelRef
from cnn_core.upload_cache import UploadCache
from ui import worker

# Session-state keys the pages share (pages never import each other; they meet here).
DATASET_KEY = "dataset_name"  # "mnist" or "fashion_mnist": the dataset this session works on
UPLOAD_KEY = "uploaded_dataset"  # a validated upload (a datasets.Dataset from read_upload), or absent
MODEL_CONFIG_KEY = "model_config"  # the models.ModelConfig chosen on the model page
MODEL_PRESET_KEY = "model_preset"  # its preset's short name, or "custom"
TRAINED_MODEL_KEY = "trained_model"  # a TrainedModel, set by the training page when a run ends
QUICK_MODEL_KEY = "predictions_quick_model"  # a TrainedModel from this session's quick run
QUICK_OUTCOME_KEY = "_quick_outcome"  # ("trained" | "stopped" | "failed", sentence) once, for the page to say


@dataclass
class TrainedModel:
    """A finished model handed from the training page to the predictions page."""

    model: ModelRef  # its .keras file, which the worker loads
    dataset_name: str  # which dataset it was trained on
    label: str  # one line for the UI, e.g. "Tutorial · 10 epochs · test accuracy 0.910"


@st.cache_resource(show_spinner="Loading the dataset (the first time can take a few seconds)…")
def load_shared_dataset(name: str, source: str = "auto") -> datasets.Dataset:
    """One copy per process of a built-in dataset; its uint8 arrays are shared by all sessions.
    A Keras download not yet on this machine is fetched by the worker (Keras's own download)."""
    return datasets.load_dataset(name, source, download=worker.download)


@st.cache_resource
def shared_uploads() -> UploadCache:
    """The process-wide cache of uploaded datasets (weak references, keyed by content)."""
    return UploadCache()


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
    st.session_state[f"_loaded_{name}"] = True  # the sidebar may now show its badge for free
    return data


SIDEBAR_REFRESH_S = 2.0  # how often the sidebar's run line redraws while a run goes or waits


def draw_sidebar_status(container: Any, page_path: str | None = None) -> None:
    """The run this session owns or watches (while it goes or waits, unless ``page_path``, the
    page being shown, shows it already), the data source of this session and, once TensorFlow
    is loaded, the device."""
    with container:
        collect_quick_run()  # a quick run that ended while the learner was elsewhere
        draw_run_line(page_path)
        name = current_dataset_name()
        upload = st.session_state.get(UPLOAD_KEY)
        if upload is not None:
            st.caption(f"**Data:** {upload.title} · {upload.source_label}")
        elif _is_cached(name):
            data = load_shared_dataset(name)
            st.caption(f"**Data:** {data.title} · {data.source_label}")
        else:
            st.caption(f"**Data:** {datasets.DATASET_TITLES[name]} · not loaded yet")
        acc = worker.device()
        if acc is not None:
            unused = acc.kind == "CPU" and accelerators.nvidia_gpu_present()
            st.caption(
                f"**Device:** {acc.description}"
                + (
                    " · an NVIDIA GPU is here but TensorFlow does not use it: run "
                    "`python -m cnn_core devices`"
                    if unused
                    else ""
                )
            )
        else:
            st.caption("**Device:** TensorFlow not started yet (it starts for training and predictions)")


def collect_quick_run() -> TrainedModel | None:
    """Once this session's quick run (Predictions) has ended, on whatever page the learner is:
    its model becomes the session's quick model, and the outcome waits in session state for the
    Predictions page to say. None while there is nothing new (no TensorFlow, two dict reads)."""
    from ui import jobs

    job_id = st.session_state.get(jobs.QUICK_JOB_KEY)
    if not job_id:
        return None
    job = jobs.get_registry().get(job_id)
    if job is not None and (job.pending or job.owner != st.session_state.get(jobs.OWNER_KEY)):
        return None
    st.session_state.pop(jobs.QUICK_JOB_KEY, None)
    snap = job.trainer.snapshot() if job is not None else None
    if snap is None or snap.status not in ("finished", "stopped") or job.trainer.model is None:
        reason = (
            (job.stop_reason or snap.message) if job is not None else "That run is no longer on this server."
        )
        st.session_state[QUICK_OUTCOME_KEY] = ("failed", reason or "The training ended without a model.")
        return None
    epochs = len(snap.history)  # the epochs it finished: a stopped run's model has fewer
    if not epochs:
        reason = (
            job.stop_reason or "It was stopped before its first epoch ended, so there is no model to show."
        )
        st.session_state[QUICK_OUTCOME_KEY] = ("failed", reason)
        return None
    title = datasets.DATASET_TITLES.get(job.dataset_name, job.dataset_name)
    quick = TrainedModel(
        job.trainer.model,
        job.dataset_name,
        f"Tutorial network · {epochs} {formulas.plural(epochs, 'epoch')} on this page · {title}",
    )
    st.session_state[QUICK_MODEL_KEY] = quick
    if snap.status == "finished":
        outcome = ("trained", "Trained. Its predictions on the test images are below.")
    else:
        outcome = (
            "stopped",
            " ".join(
                filter(
                    None,
                    [
                        job.stop_reason,
                        f"Stopped after {epochs} of {snap.epochs} epochs: the model as it was then "
                        "predicts the test images below.",
                    ],
                )
            ),
        )
    st.session_state[QUICK_OUTCOME_KEY] = outcome
    return quick


def run_line_jobs(page_path: str | None = None) -> list[tuple[str, Any]]:
    """(who, job) for each run this session owns or watches that is going or waiting: "Your
    run", "Quick run", "Watching"; not those the page ``page_path`` shows itself. Reads session
    state and the registry only, never TensorFlow; with nothing in session state it returns at
    once (it runs on every rerun)."""
    from ui import jobs

    keys = (("Your run", jobs.JOB_KEY), ("Quick run", jobs.QUICK_JOB_KEY), ("Watching", jobs.WATCHED_KEY))
    ids = [(who, st.session_state.get(key)) for who, key in keys]
    if not any(job_id for _, job_id in ids):
        return []
    registry = jobs.get_registry()
    owner = st.session_state.get(jobs.OWNER_KEY)
    found = []
    for who, job_id in ids:
        job = registry.get(job_id)
        mine = who != "Watching"
        if job is None or not job.pending or (job.owner == owner) != mine or job.page == page_path:
            continue
        found.append((who, job))
    return found


def draw_run_line(page_path: str | None = None) -> None:
    """A small line per run this session owns or watches, with its progress, linking to the
    page that shows it; redrawn every ``SIDEBAR_REFRESH_S`` while one goes or waits. Not on the
    page that shows the run: that page polls it already, and a second fragment ticking in the
    same session can swallow a click on the first one's buttons."""
    if run_line_jobs(page_path):
        st.fragment(_draw_run_lines, run_every=SIDEBAR_REFRESH_S)(page_path)


def _draw_run_lines(page_path: str | None) -> None:
    from cnn_core.job_words import progress_words, start_words
    from ui import jobs
    from ui.navigation import PAGES

    found = run_line_jobs(page_path)
    if not found:
        st.rerun()  # the runs ended: one full rerun shows their results and stops this polling
    registry = jobs.get_registry()
    listed = {p.path for p in PAGES}
    for who, job in found:
        words = f"{who}: {progress_words(job, registry)}"
        if job.page in listed:
            st.page_link(
                job.page,
                label=words,
                icon=":material/model_training:",
                help=start_words(job, registry) or job.title,
            )
        else:
            st.caption(words)


def _is_cached(name: str) -> bool:
    """Whether the dataset is already in memory, so showing its badge costs nothing."""
    return bool(st.session_state.get(f"_loaded_{name}"))


@st.cache_data(max_entries=64, show_spinner=False)
def cached_png(kind: str, key: str, _make: Callable[[], Any]) -> bytes:
    """The PNG of the matplotlib figure ``_make()`` builds, drawn once per (``kind``, ``key``): a
    click that changes one figure redraws only that one. 150 dpi, trimmed to the drawing."""
    return mpl.figure_png(_make(), dpi=150, tight=True)
