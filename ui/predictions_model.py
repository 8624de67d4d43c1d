"""Which model the Predictions page looks at, its predictions (computed once), and what they
say: the test accuracy, and one sentence per grid filter with the learner's numbers.

The shipped (pretrained) network of the session's dataset comes first, so a first visit needs no
training: its predictions are computed once per process for each test set (ui.common), and read
from the package for the bundled test images. A model of the session's own (handed over by
Training, trained here in a quick run, or uploaded) is a ``.keras`` file the worker runs
(:mod:`ui.worker`); its predictions are computed once and kept in session state.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnn_core import datasets, evaluation, pretrained
from cnn_core.figures import mpl
from cnn_core.figures import predictions as predictions_figures
from cnn_core.protocol import ModelRef, WorkerError
from ui import quick_run, worker
from ui.common import (
    TRAINED_MODEL_KEY,
    TrainedModel,
    current_dataset,
    current_dataset_name,
    dataset_identity,
    load_shared_dataset,
    pretrained_predictions,
)

PRETRAINED_ID = "pretrained:"  # model ids of the shipped networks start with this, e.g. "pretrained:mnist"
UPLOADED_KEY = "predictions_uploaded_model"  # (upload id, sha1 of the file, ModelRef) of the last good upload
CACHE_KEY = "predictions_cache"  # {(model id, data id): (ModelRef, Predictions)}
GRID_KEY = (
    "predictions_grid_png"  # this session's last grid: (weakref to its Predictions, images, rows, cols, PNG)
)
CONFIDENT = 0.9  # "confidently wrong" means at least this probability
SOURCE_KEY = "pred_source"  # which model the page studies
MODEL_FILE_KEY = "pred_model_file"  # the .keras uploader
UPLOAD_DATASET_KEY = "pred_upload_dataset"  # the dataset an uploaded model is read with
# The grid's filter and true class: drawn by the Predictions page, read by Look inside; URL parameters.
FILTER_KEY = "pred_filter"
CLASS_KEY = "pred_class"


@dataclass(frozen=True, eq=False)
class Chosen:
    """The model to look at, an id for caching, the dataset to test it on, and a label."""

    model: ModelRef | None  # its .keras file; None for a shipped network (see network)
    model_id: str
    data: datasets.Dataset
    label: str

    @property
    def shipped(self) -> str | None:
        """The dataset name of a shipped network, else None."""
        return self.model_id[len(PRETRAINED_ID) :] if self.model_id.startswith(PRETRAINED_ID) else None


# --- Which model ---------------------------------------------------------------------------


def choose_model() -> Chosen | None:
    """The model the learner picks, with a caption or a form for it; None when there is none yet.

    The pretrained network comes first, so the page works on a first visit with no training;
    a model handed over by the Training page is chosen first when there is one (the learner
    trained it to look at it here).
    """
    trained: TrainedModel | None = st.session_state.get(TRAINED_MODEL_KEY)
    quick: TrainedModel | None = st.session_state.get(quick_run.QUICK_MODEL_KEY)
    options = ["pretrained"] + (["trained"] if trained is not None else []) + ["quick", "upload"]
    labels = {
        "pretrained": "Pretrained: the tutorial's network",
        "trained": "The model from the Training page",
        "quick": "The tutorial's network, trained here",
        "upload": "Upload a .keras file",
    }
    source = st.radio(
        "Which model?",
        options,
        format_func=labels.get,
        key=SOURCE_KEY,
        horizontal=True,
        index=options.index("trained" if trained is not None else "pretrained"),
        persist_state="session",
    )
    if source == "pretrained":
        return pretrained_model()
    if source == "upload":
        return uploaded_model()
    if source == "trained":
        return handed_over(trained, "trained")
    quick = quick_run.quick_model(quick)
    return handed_over(quick, "quick") if quick is not None else None


def pretrained_model() -> Chosen | None:
    """The network shipped for the session's dataset, with a caption that says which network it
    is and how it was trained. The model itself is None here: see :func:`network`."""
    data = current_dataset()
    if not pretrained.available(data.name):
        st.info(
            f"No pretrained network is shipped for {data.title}: train one on the **Training** page "
            "or here, or upload a `.keras` file.",
            icon=":material/info:",
        )
        return None
    try:
        prov = pretrained.provenance(data.name)
    except ValueError as exc:  # a damaged file in the package: say so, the other choices still work
        st.error(f"The pretrained network for {data.title} cannot be used: {exc}", icon=":material/error:")
        return None
    st.caption(f":material/verified: {pretrained.describe(prov)}", help=pretrained.details(prov))
    label = f"pretrained tutorial network · {prov.epochs} epochs on {prov.train_images:,} {prov.title} images"
    return Chosen(None, f"{PRETRAINED_ID}{data.name}", data, label)


def network(chosen: Chosen) -> ModelRef:
    """The model's file, for the worker to run: the session's own, or the shipped network's."""
    return chosen.model if chosen.model is not None else worker.pretrained_model(chosen.shipped)


def handed_over(tm: TrainedModel, kind: str) -> Chosen | None:
    """A TrainedModel (from the Training page, or trained here), tested on its own dataset."""
    data = dataset_named(tm.dataset_name)
    if data.name != current_dataset_name():
        st.info(
            f"This model was trained on **{data.title}**, so it is tested on {data.title}'s test "
            f"images (the Dataset page has {datasets.DATASET_TITLES[current_dataset_name()]} "
            "selected).",
            icon=":material/info:",
        )
    return Chosen(tm.model, f"{kind}:{tm.model.path}:{tm.label}", data, tm.label)


def uploaded_model() -> Chosen | None:
    """A .keras upload, checked once by the worker (Keras safe mode), tested on a chosen dataset."""
    n = datasets.IMAGE_SIZE
    file = st.file_uploader(
        "A Keras model saved with `model.save('model.keras')`",
        type=["keras", "h5"],
        key=MODEL_FILE_KEY,
        help=f"Loaded in Keras safe mode (no Python code runs). It must take {n}×{n}×1 images "
        f"and give {datasets.NUM_CLASSES} class scores.",
    )
    if file is None:
        st.info(
            "Upload a `.keras` model to test it on MNIST or Fashion-MNIST.", icon=":material/upload_file:"
        )
        return None
    cached = st.session_state.get(UPLOADED_KEY)
    if cached is not None and cached[0] == file.file_id:  # the same upload: hashed once, not every rerun
        _, digest, model = cached
    else:
        content = file.getvalue()
        digest = hashlib.sha1(content).hexdigest()
        if cached is not None and cached[1] == digest:  # the same file uploaded again
            model = cached[2]
        else:
            try:
                model = worker.model_file(content, digest)
            except (ValueError, WorkerError) as exc:
                st.error(f"**{file.name}** cannot be used: {exc}", icon=":material/error:")
                return None
        st.session_state[UPLOADED_KEY] = (file.file_id, digest, model)
    names = list(datasets.DATASET_NAMES)
    name = st.radio(
        "Test it on",
        names,
        index=names.index(current_dataset_name()),
        format_func=datasets.DATASET_TITLES.get,
        horizontal=True,
        key=UPLOAD_DATASET_KEY,
    )
    return Chosen(model, f"upload:{digest}", dataset_named(name), f"{file.name} (uploaded)")


def dataset_named(name: str) -> datasets.Dataset:
    """The session's dataset when it has this name (it may be the user's own .npz), else the shared one."""
    if name == current_dataset_name() or name not in datasets.DATASET_NAMES:
        return current_dataset()
    return load_shared_dataset(name)


# --- Predictions, once per model and dataset ---------------------------------------------------


def predictions_for(chosen: Chosen) -> evaluation.Predictions | None:
    """The model's predictions on the whole test set, computed once: for a pretrained network
    once per process (shared by every session), else once per session (kept in session state)."""
    model, model_id, data = chosen.model, chosen.model_id, chosen.data
    if chosen.shipped:
        try:
            return pretrained_predictions(chosen.shipped, dataset_identity(data), data)
        except Exception as exc:  # never a traceback on the page
            st.error(
                f"The pretrained network failed on the test images ({type(exc).__name__}: {str(exc)[:300]})."
            )
            return None
    key = (model_id, dataset_identity(data))
    cache: dict = st.session_state.setdefault(CACHE_KEY, {})
    hit = cache.get(key)
    if hit is not None and hit[0] == model:  # same key, and truly the same model file
        return hit[1]
    try:
        preds = worker.ask(
            "predict",
            f"Predicting all {len(data.y_test):,} test images (once per model)…",
            model=model,
            images=data.x_test,
            labels=data.y_test,
        )
    except ValueError as exc:
        st.error(f"The model cannot predict these images: {exc}")
        return None
    except WorkerError as exc:  # a user's model can fail inside Keras in many ways; say so, no traceback
        st.error(f"The model failed on the test images ({str(exc)[:300]}).")
        return None
    while len(cache) >= 2:  # keep memory flat: this model and at most one other
        cache.pop(next(iter(cache)))
    cache[key] = (model, preds)
    return preds


def summary(preds: evaluation.Predictions, chosen: Chosen) -> None:
    """The chosen model, its test set, and its test accuracy with the learner's numbers."""
    data, label = chosen.data, chosen.label
    n, right = len(preds), preds.n_correct
    st.caption(f"**Model:** {label} · **tested on** {data.title}, {data.source_label}")
    c1, c2, c3 = st.columns(3)
    c1.metric("Test accuracy", f"{preds.accuracy:.1%}")
    c2.metric("Right", f"{right:,}")
    c3.metric("Wrong", f"{n - right:,}")
    st.latex(
        rf"\text{{accuracy}} = \frac{{\text{{right answers}}}}{{\text{{test images}}}}"
        rf" = \frac{{{tex_int(right)}}}{{{tex_int(n)}}} = {100 * preds.accuracy:.1f}\%"
    )
    if preds.from_logits:
        st.info(
            "This model gives raw scores (no softmax at the end), so the app turns them into "
            "probabilities with softmax, p_k = e^{z_k} / Σ_j e^{z_j}.",
            icon=":material/functions:",
        )


def filter_lesson(preds: evaluation.Predictions, how: str, true_class: int | None, names: tuple) -> str:
    """One sentence with the learner's numbers in it: what this filter shows, and what to notice."""
    n, wrong = len(preds), len(preds) - preds.n_correct
    if how == "all":
        return (
            f"All {n:,} test images in test-set order. Count the ✗ captions: about "
            f"{100 * (1 - preds.accuracy):.0f} in every 100 should be wrong."
        )
    if how == "mistakes":
        return (
            f"Mistakes = (1 − accuracy) × test images = (1 − {preds.accuracy:.3f}) × {n:,} = "
            f"**{wrong:,}**. Many are images a person would hesitate over too."
        )
    if how == "true_class":
        of_class = preds.labels == true_class
        right = int((of_class & preds.correct).sum())
        total = int(of_class.sum())
        share = right / total if total else 0.0
        return (
            f"Accuracy on class **{names[true_class]}** = right / images of the class = "
            f"{right} / {total} = **{share:.1%}** (overall {preds.accuracy:.1%})."
        )
    if how == "confident_mistakes":
        sure = int(((~preds.correct) & (preds.confidence >= CONFIDENT)).sum())
        return (
            f"Wrong answers, most confident first: **{sure:,}** of the {wrong:,} mistakes were "
            f"made with p ≥ {CONFIDENT:.0%}. A high probability is not a guarantee: softmax "
            "always sums to 1, even for an image unlike any it was trained on."
        )
    unsure = int((preds.correct & (preds.confidence < 0.5)).sum())
    return (
        f"Right answers, least confident first: **{unsure:,}** right answers had p < 50%, "
        "right by a narrow margin over the runner-up. These sit near a decision boundary."
    )


def tex_int(n: int) -> str:
    """``n`` with thousands separators that LaTeX keeps as one number: 12{,}345."""
    return f"{n:,}".replace(",", "{,}")


def grid_png_for(
    chosen: Chosen, preds: evaluation.Predictions, shown: np.ndarray, rows: int, cols: int
) -> bytes:
    """The tutorial's prediction grid as PNG bytes; a shipped network's is drawn once per process,
    any other model's once per change of the grid (a rerun that changes nothing draws nothing:
    drawing it holds Python's GIL ~0.2 s, which a class's server and a training run wait for)."""
    key = tuple(int(i) for i in shown)
    if chosen.shipped:  # the same picture for a whole class
        return shared_grid_png(
            chosen.model_id, dataset_identity(chosen.data), key, rows, cols, chosen.data, preds
        )
    kept = st.session_state.get(GRID_KEY)
    if kept is not None and kept[0]() is preds and kept[1:4] == (key, rows, cols):
        return kept[4]
    png = grid_png(chosen.data, preds, shown, rows, cols)
    st.session_state[GRID_KEY] = (weakref.ref(preds), key, rows, cols, png)
    return png


@st.cache_data(max_entries=64, show_spinner=False)
def shared_grid_png(
    model_id: str,
    data_id: str,
    shown: tuple[int, ...],
    rows: int,
    cols: int,
    _data: datasets.Dataset,
    _preds: evaluation.Predictions,
) -> bytes:
    """The grid's PNG for a shipped network, kept per (network, test set, images, size): a class
    opening the page asks for the same few pictures, drawn once instead of once per student."""
    return grid_png(_data, _preds, np.asarray(shown), rows, cols)


def grid_png(
    data: datasets.Dataset, preds: evaluation.Predictions, shown: np.ndarray, rows: int, cols: int
) -> bytes:
    """The tutorial's prediction grid for the test images ``shown``, as PNG bytes."""
    return mpl.figure_png(
        predictions_figures.prediction_grid(
            data.x_test,
            preds.probabilities,
            preds.labels,
            shown,
            data.class_names,
            rows,
            cols,
        )
    )
