"""Predictions and insight (tutorial § 1.3.6): what the trained network answers, and why.

A thin script: read widgets -> call cnn_core (evaluation, plots, drawing, insight) -> draw.
On a first visit the page shows the pretrained network shipped for the session's dataset
(cnn_core.pretrained): loaded once per process, shared read-only by every session, used under its
lock, and its predictions computed once per process for each test set (ui.common). A model of the
session's own (trained or uploaded) has its predictions computed once and kept in session state.
Either way a filter or grid-size change only re-filters numpy arrays and redraws one figure.
Only the open tab runs (lazy tabs): the feature maps are not recomputed while the grid changes.

Instructor links: SETTINGS travel in the URL (ui/url_state). They apply at once to the
pretrained network; with no model (an upload not made yet) they wait in session state.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import streamlit as st

from cnn_core import datasets, drawn_digit, evaluation, insight, models, pretrained, shapes, training_config
from cnn_core.figures import insight as insight_figures
from cnn_core.figures import mpl
from cnn_core.figures import predictions as predictions_figures
from cnn_core.jobs import Job, ordinal, wait_words
from ui import jobs, url_state
from ui.common import (
    QUICK_MODEL_KEY,
    QUICK_OUTCOME_KEY,
    TRAINED_MODEL_KEY,
    TrainedModel,
    current_dataset,
    current_dataset_name,
    collect_quick_run,
    dataset_identity,
    load_shared_dataset,
    model_lock,
    pretrained_network,
    pretrained_predictions,
)
from ui.server import keras_ready

QUICK_KEY = QUICK_MODEL_KEY  # a TrainedModel trained on this page (collected by ui.common)
PRETRAINED_ID = "pretrained:"  # model ids of the shipped networks start with this, e.g. "pretrained:mnist"
UPLOADED_KEY = "predictions_uploaded_model"  # (sha1 of the file, keras.Model) of the last good upload
CACHE_KEY = "predictions_cache"  # {(model id, data id): (weakref to model, Predictions)}
DRAWING_KEY = "predictions_drawing"  # the 28×28 uint8 the network last saw from the canvas/photo
TABS = ["Prediction grid", "Confusion matrix", "Draw a digit", "Look inside"]
GRID_FILTERS = ["all", "mistakes", "true_class", "confident_mistakes", "unsure_correct"]
PHOTO_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp"]
CONFIDENT = 0.9  # "confidently wrong" means at least this probability
HEAT_METHODS = {"grad-cam": "Grad-CAM", "saliency": "Saliency (gradient)"}
QUICK_EPOCHS = [1, 2, 3]
QUICK_REFRESH_S = 1.0  # how often the quick run's place or progress redraws while it goes
PAGE_PATH = "app_pages/predictions.py"  # where the sidebar's line for a quick run leads
LINK_MAX = 999_999  # the largest grid page or test-image index a link may name (clamped to the data)


@dataclass(frozen=True)
class Word(url_state.Param):
    """A choice that travels as a short word: ``?pred_tab=inside``, not ``?pred_tab=Look+inside``."""

    words: tuple[tuple[str, Any], ...] = ()

    def parse(self, text: str) -> Any:
        for word, value in self.words:
            if word == text:
                return value
        raise ValueError(f"{text!r} is not one of {', '.join(w for w, _ in self.words)}")

    def format(self, value: Any) -> str:
        return next((w for w, v in self.words if v == value), str(value))


# The grid's page, the confusion cell and the image to look inside start unset (None): the page
# then picks them from the model (page 1, its most frequent confusion, the filter's first image).
SETTINGS: dict[str, url_state.Param] = {
    "pred_tab": Word(TABS[0], tuple(zip(["grid", "confusion", "draw", "inside"], TABS))),
    "pred_filter": url_state.Choice("all", GRID_FILTERS),
    "pred_class": url_state.Int(0, 0, datasets.NUM_CLASSES - 1),
    "pred_rows": url_state.Int(5, 1, predictions_figures.MAX_GRID_ROWS),
    "pred_cols": url_state.Int(3, 1, predictions_figures.MAX_GRID_COLS),
    "pred_page": url_state.Int(1, 1, LINK_MAX),
    "pred_cell_true": url_state.Int(None, 0, datasets.NUM_CLASSES - 1),
    "pred_cell_pred": url_state.Int(None, 0, datasets.NUM_CLASSES - 1),
    "pred_inside_index": url_state.Int(None, 0, LINK_MAX),
    "pred_heat_method": url_state.Choice("grad-cam", list(HEAT_METHODS)),
    "pred_quick_epochs": url_state.Choice(2, QUICK_EPOCHS),
}
LABELS = {
    "pred_tab": "Tabs (the link's tab only)", "pred_filter": "Grid: show", "pred_class": "Grid: true class",
    "pred_rows": "Grid: rows", "pred_cols": "Grid: columns", "pred_page": "Grid: page",
    "pred_cell_true": "Confusion: true class", "pred_cell_pred": "Confusion: predicted class",
    "pred_inside_index": "Look inside: test image", "pred_heat_method": "Look inside: method",
    "pred_quick_epochs": "Quick training: epochs",
}


def main() -> None:
    st.title("Predictions and insight")
    st.markdown(
        "The tutorial ends by asking the trained network about **test images it never saw in "
        "training** and drawing each answer next to the truth. Here you can filter those "
        "answers, see which classes it confuses, test it on your own handwriting, and look "
        "inside to see what its layers respond to."
    )
    url_state.bind(SETTINGS)
    chosen = choose_model()
    if chosen is None:
        waiting_settings()
    else:
        explore(*chosen)
    url_state.share_box(SETTINGS, LABELS)
    url_state.sync(SETTINGS)  # the page may have settled a bound key (page, cell, image) after bind


def explore(model: Any, model_id: str, data: datasets.Dataset, label: str) -> None:
    """The summary and the four sections, for a model that exists.

    ``model`` is None for the pretrained network: the grid and the confusion matrix need only
    its predictions, so TensorFlow is loaded when Draw or Look inside first needs the network.
    """
    preds = predictions_for(model, model_id, data)
    if preds is None:
        return
    draw_summary(preds, data, label)

    def with_model(section: Any) -> None:
        network = model if model is not None else shared_network(model_id[len(PRETRAINED_ID):])
        if network is not None:
            section(network)

    sections = {
        TABS[0]: lambda: grid_tab(preds, data, model_id),
        TABS[1]: lambda: confusion_tab(preds, data),
        TABS[2]: lambda: with_model(lambda m: draw_tab(m, data)),
        TABS[3]: lambda: with_model(lambda m: inside_tab(m, preds, data)),
    }
    if not url_state.shown("pred_tab"):  # a lesson link that hides the tabs shows only its own section
        name = st.session_state["pred_tab"]
        st.subheader(name)
        sections[name]()
        return
    tabs = st.tabs(TABS, key="pred_tab", on_change="rerun")
    for tab, name in zip(tabs, TABS):
        if tab.open:
            with tab:
                sections[name]()


def waiting_settings() -> None:
    """With no model yet, say that the link's settings are kept for when one exists."""
    chosen = [
        {"pred_tab": "Tab"}.get(k, LABELS[k]) for k, p in SETTINGS.items()
        if k != "pred_quick_epochs" and st.session_state.get(k, p.default) != p.default
    ]
    if chosen:
        st.caption(
            f":material/link: This link's settings ({', '.join(chosen)}) apply as soon "
            "as there is a model to look at."
        )


# --- Which model ---------------------------------------------------------------------------


def choose_model() -> tuple[Any, str, datasets.Dataset, str] | None:
    """The model to look at, an id for caching, the dataset to test it on, and a label.

    The pretrained network comes first, so the page works on a first visit with no training;
    a model handed over by the Training page is chosen first when there is one (the learner
    trained it to look at it here).
    """
    trained: TrainedModel | None = st.session_state.get(TRAINED_MODEL_KEY)
    quick: TrainedModel | None = st.session_state.get(QUICK_KEY)
    options = ["pretrained"] + (["trained"] if trained is not None else []) + ["quick", "upload"]
    labels = {
        "pretrained": "Pretrained: the tutorial's network",
        "trained": "The model from the Training page",
        "quick": "The tutorial's network, trained here",
        "upload": "Upload a .keras file",
    }
    source = st.radio(
        "Which model?", options, format_func=labels.get, key="pred_source", horizontal=True,
        index=options.index("trained" if trained is not None else "pretrained"), persist_state="session",
    )
    if source == "pretrained":
        return pretrained_model()
    keras_ready()  # before any other model exists: keeps Streamlit's per-run Keras cleanup cheap
    if source == "upload":
        return uploaded_model()
    if source == "trained":
        return handed_over(trained, "trained")
    return quick_model(quick)


def pretrained_model() -> tuple[None, str, datasets.Dataset, str] | None:
    """The network shipped for the session's dataset, with a caption that says which network it
    is and how it was trained. The model itself is None here: see :func:`shared_network`."""
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
    return None, f"{PRETRAINED_ID}{data.name}", data, label


def shared_network(name: str) -> Any:
    """The pretrained keras.Model every session shares (loads TensorFlow the first time), or
    None after saying why it cannot be loaded. Use it under ``model_lock``."""
    try:
        network = pretrained_network(name)
    except ValueError as exc:
        st.error(f"The pretrained network cannot be loaded: {exc}", icon=":material/error:")
        return None
    if network is None:
        st.info(f"No pretrained network is shipped for {name}.", icon=":material/info:")
        return None
    return network[0]


def handed_over(tm: TrainedModel, kind: str) -> tuple[Any, str, datasets.Dataset, str] | None:
    """A TrainedModel (from the Training page, or trained here), tested on its own dataset."""
    try:
        evaluation.check_model(tm.model)
    except ValueError as exc:
        st.error(f"This model cannot be used here: {exc}")
        return None
    data = dataset_named(tm.dataset_name)
    if data.name != current_dataset_name():
        st.info(
            f"This model was trained on **{data.title}**, so it is tested on {data.title}'s test "
            f"images (the Dataset page has {datasets.DATASET_TITLES[current_dataset_name()]} "
            "selected).",
            icon=":material/info:",
        )
    return tm.model, f"{kind}:{id(tm.model)}:{tm.label}", data, tm.label


def quick_model(quick: TrainedModel | None) -> tuple[Any, str, datasets.Dataset, str] | None:
    """The tutorial's network trained for this session, or a button that trains one.

    The training is a job in the server's registry, like any run (it may wait in line): a
    fragment shows its place or progress while it goes, and its model becomes this session's
    quick model when it ends, even if the learner changed pages meanwhile.
    """
    data = current_dataset()
    quick = collect_quick_run() or quick
    say_quick_outcome()
    job = quick_job()
    if quick is not None and quick.dataset_name == data.name:
        if job is not None and job.pending:
            quick_progress_panel(job)
        else:
            with st.expander("Train it again", icon=":material/replay:"):
                quick_train_form(data, again=True)
        return handed_over(quick, "quick")
    st.markdown(
        "There is no trained model in this session yet. Train one on the **Training** page, "
        "upload a `.keras` file, or train the tutorial's network right here for a minute: "
        f"a couple of epochs on {data.title}'s {len(data.y_train):,} training images."
    )
    if job is not None and job.pending:
        quick_progress_panel(job)
    else:
        quick_train_form(data, again=False)
    return None


def quick_job() -> Job | None:
    """This session's quick run in the registry, or None."""
    job = jobs.get_registry().get(st.session_state.get(jobs.QUICK_JOB_KEY))
    return job if job is not None and job.owner == jobs.owner_token() else None


def say_quick_outcome() -> None:
    """Once, after the quick run ended (wherever the learner was): trained, or why not."""
    outcome = st.session_state.pop(QUICK_OUTCOME_KEY, None)
    if outcome is None:
        return
    kind, sentence = outcome
    if kind == "trained":
        st.success(sentence, icon=":material/check_circle:")
    else:
        st.error(sentence)


def quick_progress_panel(job: Job) -> None:
    """The quick run's place in line or progress, redrawn every second while it goes."""
    st.fragment(draw_quick_progress, run_every=QUICK_REFRESH_S if job.pending else None)(job.id)


def draw_quick_progress(job_id: str) -> None:
    registry = jobs.get_registry()
    job = registry.get(job_id)
    if job is None or not job.pending:
        st.rerun()  # it ended (or left the line): the full page takes its model
    registry.touch(job_id, jobs.owner_token())
    if job.queued:
        place = registry.place(job_id) or 1
        st.info(
            f"Runs take turns on this server: yours is **{ordinal(place)} in line** and should "
            f"start in about **{wait_words(registry.estimated_start_s(job_id) or 0.0)}**. "
            "It starts by itself; you may change pages meanwhile.",
            icon=":material/hourglass_top:",
        )
        st.button("Leave the line", icon=":material/logout:", key="pred_quick_leave",
                  on_click=leave_quick_line, args=(job_id,))
        return
    snap = job.trainer.snapshot()
    st.progress(snap.progress, text=training_config.progress_text(snap))
    st.caption("It trains on the server: you may change pages, its model will be here when it ends.")


def leave_quick_line(job_id: str) -> None:
    if jobs.get_registry().leave(job_id, jobs.owner_token()):
        st.session_state.pop(jobs.QUICK_JOB_KEY, None)


def quick_train_form(data: datasets.Dataset, again: bool) -> bool:
    """Epochs and a Train button that asks the registry for the run. True when asked."""
    if url_state.shown("pred_quick_epochs"):
        st.segmented_control(
            "Epochs", QUICK_EPOCHS, key="pred_quick_epochs", required=True, persist_state="session",
            help="One epoch shows the network every training image once.",
        )
    epochs = st.session_state["pred_quick_epochs"] or 2
    span = f"{epochs} epoch{'s' * (epochs > 1)}"
    label = f"Train again ({span})" if again else f"Train the tutorial's network ({span})"
    if not st.button(label, type="primary", icon=":material/model_training:", key="pred_quick_train",
                     help="It trains on the server, like a run on the Training page."):
        return False
    config = replace(training_config.training_defaults("tutorial"), epochs=epochs, checkpoint_every=0,
                     validation_fraction=0.0)  # every training image trains; no files written
    try:
        trainer = jobs.make_trainer(data, models.PRESETS["tutorial"], config.check())
    except ValueError as exc:
        st.error(str(exc))
        return False
    job = jobs.get_registry().submit(
        jobs.owner_token(), trainer, trainer.label, data.name, owner_session=jobs.runtime_session_id(),
        work_images=epochs * len(data.y_train), front=bool(st.session_state.get(jobs.INSTRUCTOR_KEY)),
        page=PAGE_PATH,
    )
    st.session_state[jobs.QUICK_JOB_KEY] = job.id
    st.rerun()  # redraw with the run's place or progress in place of the button
    return True


def uploaded_model() -> tuple[Any, str, datasets.Dataset, str] | None:
    """A .keras upload, loaded once in Keras safe mode and checked, tested on a chosen dataset."""
    file = st.file_uploader(
        "A Keras model saved with `model.save('model.keras')`", type=["keras", "h5"],
        key="pred_model_file",
        help="Loaded in Keras safe mode (no Python code runs). It must take 28×28×1 images "
        "and give 10 class scores.",
    )
    if file is None:
        st.info("Upload a `.keras` model to test it on MNIST or Fashion-MNIST.", icon=":material/upload_file:")
        return None
    content = file.getvalue()
    digest = hashlib.sha1(content).hexdigest()
    cached = st.session_state.get(UPLOADED_KEY)
    if cached is not None and cached[0] == digest:
        model = cached[1]
    else:
        with st.spinner("Loading the model in Keras safe mode…"):
            try:
                model = evaluation.load_model_file(content)
            except ValueError as exc:
                st.error(f"**{file.name}** cannot be used: {exc}", icon=":material/error:")
                return None
        st.session_state[UPLOADED_KEY] = (digest, model)
    names = list(datasets.DATASET_NAMES)
    name = st.radio(
        "Test it on", names, index=names.index(current_dataset_name()),
        format_func=datasets.DATASET_TITLES.get, horizontal=True, key="pred_upload_dataset",
    )
    return model, f"upload:{digest}", dataset_named(name), f"{file.name} (uploaded)"


def dataset_named(name: str) -> datasets.Dataset:
    """The session's dataset when it has this name (it may be the user's own .npz), else the shared one."""
    if name == current_dataset_name() or name not in datasets.DATASET_NAMES:
        return current_dataset()
    return load_shared_dataset(name)


# --- Predictions, once per model and dataset ---------------------------------------------------


def predictions_for(model: Any, model_id: str, data: datasets.Dataset) -> evaluation.Predictions | None:
    """The model's predictions on the whole test set, computed once: for a pretrained network
    once per process (shared by every session), else once per session (kept in session state)."""
    if model_id.startswith(PRETRAINED_ID):
        try:
            return pretrained_predictions(model_id[len(PRETRAINED_ID):], dataset_identity(data), data)
        except Exception as exc:  # never a traceback on the page
            st.error(f"The pretrained network failed on the test images ({type(exc).__name__}: {str(exc)[:300]}).")
            return None
    key = (model_id, f"{data.name}:{data.source}:{len(data.y_test)}:{id(data.x_test)}")
    cache: dict = st.session_state.setdefault(CACHE_KEY, {})
    hit = cache.get(key)
    if hit is not None and hit[0]() is model:  # same key, and truly the same model object
        return hit[1]
    bar = st.progress(0.0, text=f"Predicting all {len(data.y_test):,} test images (once per model)…")
    try:
        with model_lock(model):
            preds = evaluation.predict(
                model, data.x_test, data.y_test,
                on_progress=lambda done: bar.progress(done, text=f"Predicting the test images… {done:.0%}"),
            )
    except ValueError as exc:
        bar.empty()
        st.error(f"The model cannot predict these images: {exc}")
        return None
    except Exception as exc:  # a user's model can fail inside Keras in many ways; say so, no traceback
        bar.empty()
        st.error(f"The model failed on the test images ({type(exc).__name__}: {str(exc)[:300]}).")
        return None
    bar.empty()
    while len(cache) >= 2:  # keep memory flat: this model and at most one other
        cache.pop(next(iter(cache)))
    try:
        ref = weakref.ref(model)
    except TypeError:
        ref = lambda: model  # noqa: E731  (not weak-referenceable: keep it)
    cache[key] = (ref, preds)
    return preds


def draw_summary(preds: evaluation.Predictions, data: datasets.Dataset, label: str) -> None:
    n, right = len(preds), preds.n_correct
    st.caption(f"**Model:** {label} · **tested on** {data.title}, {data.source_label}")
    c1, c2, c3 = st.columns(3)
    c1.metric("Test accuracy", f"{preds.accuracy:.1%}")
    c2.metric("Right", f"{right:,}")
    c3.metric("Wrong", f"{n - right:,}")
    st.latex(
        rf"\text{{accuracy}} = \frac{{\text{{right answers}}}}{{\text{{test images}}}}"
        rf" = \frac{{{_tex_int(right)}}}{{{_tex_int(n)}}} = {100 * preds.accuracy:.1f}\%"
    )
    if preds.from_logits:
        st.info(
            "This model gives raw scores (no softmax at the end), so the app turns them into "
            "probabilities with softmax, p_k = e^{z_k} / Σ_j e^{z_j}.",
            icon=":material/functions:",
        )


# --- The tutorial's grid -----------------------------------------------------------------------


def grid_tab(preds: evaluation.Predictions, data: datasets.Dataset, model_id: str) -> None:
    names = data.class_names
    st.markdown(
        "Each pair is one test image and the network's ten output probabilities. Under the "
        "image: the **predicted class, its probability, and (the true class)**, in "
        f"<span style='color:{predictions_figures.RIGHT}'>blue when right</span> and "
        f"<span style='color:{predictions_figures.WRONG}'>red when wrong</span>. In the bars the answer is "
        "red and the truth blue, so a right answer is a single blue bar.",
        unsafe_allow_html=True,
    )
    c1, c2, c3 = st.columns([2, 1, 1])
    if url_state.shown("pred_filter"):
        c1.selectbox(
            "Show", GRID_FILTERS, format_func=evaluation.FILTERS.get, key="pred_filter",
            persist_state="session", on_change=_new_selection,
        )
    if url_state.shown("pred_rows"):
        c2.slider("Rows", 1, predictions_figures.MAX_GRID_ROWS, key="pred_rows", persist_state="session", on_change=_first_page)
    if url_state.shown("pred_cols"):
        c3.slider("Columns", 1, predictions_figures.MAX_GRID_COLS, key="pred_cols", persist_state="session", on_change=_first_page)
    how = st.session_state["pred_filter"]
    rows, cols = st.session_state["pred_rows"], st.session_state["pred_cols"]
    true_class = None
    if how == "true_class":
        if url_state.shown("pred_class"):
            st.selectbox(
                "True class", range(len(names)), format_func=lambda k: f"{k} · {names[k]}",
                key="pred_class", persist_state="session", on_change=_new_selection,
            )
        true_class = st.session_state["pred_class"]
    indices = evaluation.select(preds, how, true_class)
    st.markdown(filter_lesson(preds, how, true_class, names))
    if len(indices) == 0:
        st.success("Nothing to show: the network made no mistake here.", icon=":material/celebration:")
        return
    per_page = rows * cols
    pages = -(-len(indices) // per_page)
    # A link's page may be past the end for this model (fewer mistakes): show the last one.
    # (Written only then: a write on every run would override the page the user just clicked.)
    if st.session_state["pred_page"] > pages:
        st.session_state["pred_page"] = pages
    if pages > 1 and url_state.shown("pred_page"):
        st.pagination(pages, key="pred_page", max_visible_pages=9, persist_state="session")
    page = st.session_state["pred_page"]
    shown = indices[(page - 1) * per_page : page * per_page]
    st.caption(
        f"Showing {(page - 1) * per_page + 1:,}–{(page - 1) * per_page + len(shown):,} of "
        f"{len(indices):,} · the number above each image is its index in the test set"
    )
    if model_id.startswith(PRETRAINED_ID):  # the same picture for a whole class: drawn once
        png = shared_grid_png(model_id, dataset_identity(data), tuple(int(i) for i in shown), rows, cols, data, preds)
    else:
        png = grid_png(data, preds, shown, rows, cols)
    st.image(png, width="stretch" if cols >= 3 else "content")
    first = int(shown[0])
    p = preds.probabilities[first]
    k = int(np.argmax(p))
    st.latex(
        rf"p_k = \frac{{e^{{z_k}}}}{{\sum_{{j=0}}^{{9}} e^{{z_j}}}}\qquad \#{first}:\ "
        rf"p_{{{k}}} = {p[k]:.3f}\ \text{{is the largest of the ten, so the answer is}}\ "
        rf"\text{{{_tex_text(names[k])}}}\ ({100 * p[k]:.0f}\%)"
    )


@st.cache_data(max_entries=64, show_spinner=False)
def shared_grid_png(
    model_id: str, data_id: str, shown: tuple[int, ...], rows: int, cols: int,
    _data: datasets.Dataset, _preds: evaluation.Predictions,
) -> bytes:
    """The grid's PNG for a shipped network, kept per (network, test set, images, size): a class
    opening Predictions asks for the same few pictures, and Matplotlib drawing each one again
    took CPU the instructor's live training needs."""
    return grid_png(_data, _preds, np.asarray(shown), rows, cols)


def grid_png(data: datasets.Dataset, preds: evaluation.Predictions, shown: np.ndarray, rows: int, cols: int) -> bytes:
    """The tutorial's prediction grid for the test images ``shown``, as PNG bytes."""
    return mpl.figure_png(predictions_figures.prediction_grid(
        data.x_test, preds.probabilities, preds.labels, shown, data.class_names, rows, cols,
    ))


def _first_page() -> None:
    """Another grid size: back to its first page."""
    st.session_state["pred_page"] = 1


def _new_selection() -> None:
    """Another filter or class: its first page, and Look inside studies its first image."""
    st.session_state["pred_page"] = 1
    st.session_state["pred_inside_index"] = None


def filter_lesson(preds: evaluation.Predictions, how: str, true_class: int | None, names: tuple) -> str:
    """One sentence with the learner's numbers in it: what this filter shows, and what to notice."""
    n, wrong = len(preds), len(preds) - preds.n_correct
    if how == "all":
        return (
            f"All {n:,} test images in test-set order. Count the red captions: about "
            f"{100 * (1 - preds.accuracy):.0f} in every 100 should be red."
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


# --- Confusion matrix ----------------------------------------------------------------------------


def confusion_tab(preds: evaluation.Predictions, data: datasets.Dataset) -> None:
    names = data.class_names
    matrix = evaluation.confusion_matrix(preds.labels, preds.predicted)
    confused = evaluation.most_confused(matrix, top=3)
    t0, p0 = confused[0][:2] if confused else (0, 0)
    for key, first in (("pred_cell_true", t0), ("pred_cell_pred", p0)):
        if st.session_state.get(key) is None:  # start on the most frequent confusion
            st.session_state[key] = int(first)
    st.markdown(
        "Row **M[t, p]** counts the test images of true class t that the network answered p. "
        "The diagonal (blue) holds the right answers; every red cell is a confusion. "
        "**Click a cell** (or pick it below) to see its images."
    )
    st.latex(
        rf"\text{{accuracy}} = \frac{{\sum_c M_{{cc}}}}{{\sum_{{t,p}} M_{{tp}}}} = "
        rf"\frac{{{_tex_int(int(np.trace(matrix)))}}}{{{_tex_int(int(matrix.sum()))}}}"
    )
    t = int(st.session_state["pred_cell_true"])
    p = int(st.session_state["pred_cell_pred"])
    st.altair_chart(
        predictions_figures.confusion_chart(matrix, names, selected=(t, p)),
        key="pred_cm_chart", on_select=_on_cell_click, selection_mode="cell",
    )
    if confused:
        st.markdown(
            "Most confused: "
            + "; ".join(f"**{names[a]}** read as **{names[b]}** ({c}×)" for a, b, c in confused)
            + ". These pairs look alike at 28×28 pixels."
        )
    c1, c2 = st.columns(2)
    fmt = lambda k: f"{k} · {names[k]}"  # noqa: E731
    for column, key, label in ((c1, "pred_cell_true", "True class"), (c2, "pred_cell_pred", "Predicted class")):
        if url_state.shown(key):
            column.selectbox(label, range(len(names)), format_func=fmt, key=key, persist_state="session")
    t, p = int(st.session_state["pred_cell_true"]), int(st.session_state["pred_cell_pred"])
    indices = evaluation.select(preds, "cell", t, p)
    kind = "right answers" if t == p else "mistakes"
    st.caption(
        f"Cell M[{t}, {p}]: {len(indices):,} image{'s' * (len(indices) != 1)} of {names[t]} "
        f"answered {names[p]} ({kind})."
    )
    if len(indices):
        fig = predictions_figures.prediction_grid(
            data.x_test, preds.probabilities, preds.labels, indices[:12], names, 3, 4
        )
        st.image(mpl.figure_png(fig), width="stretch" if len(indices) >= 3 else "content")
        if len(indices) > 12:
            st.caption(f"The first 12 of {len(indices):,}.")

    accuracy = evaluation.per_class_accuracy(matrix)
    worst = int(np.nanargmin(accuracy))
    st.altair_chart(predictions_figures.per_class_chart(accuracy, names, preds.accuracy))
    st.latex(
        rf"\text{{accuracy of class }} c = \frac{{M_{{cc}}}}{{\sum_p M_{{cp}}}}:\quad "
        rf"\text{{{_tex_text(names[worst])}}} = \frac{{{int(matrix[worst, worst])}}}{{{int(matrix[worst].sum())}}}"
        rf" = {100 * accuracy[worst]:.0f}\%"
    )
    st.markdown(
        f"The weakest class is **{names[worst]}**: overall accuracy hides how uneven the "
        "classes are."
    )


def _on_cell_click() -> None:
    """A click on the confusion matrix selects that cell in the two selectboxes."""
    cell = predictions_figures.clicked_cell(st.session_state.get("pred_cm_chart") or {})
    if cell is not None:
        st.session_state["pred_cell_true"], st.session_state["pred_cell_pred"] = cell


# --- Draw your own -------------------------------------------------------------------------------


def draw_tab(model: Any, data: datasets.Dataset) -> None:
    names = data.class_names
    what = "a digit" if data.name == "mnist" else "a piece of clothing (a trouser, a bag, a shoe…)"
    st.markdown(
        f"Draw {what} with the mouse, or upload a photo. The network only understands pictures "
        "prepared as MNIST's were, so yours is prepared the same way first: **grey, ink on "
        "black, cropped to the ink, scaled to fit 20×20, centred by mass in 28×28**."
    )
    if data.name != "mnist":
        st.caption(
            "Fashion-MNIST's pictures were prepared differently (the garment fills the frame), "
            "so expect rougher answers for clothes drawn here."
        )
    left, right = st.columns([1, 1.5], gap="large")
    with left:
        st.space("small")  # the canvas's toolbar floats above it: keep it off the text
        drawn = canvas_image()
        photo = st.file_uploader(
            "…or upload a photo of one", type=PHOTO_TYPES, key="pred_photo",
            max_upload_size=int(drawn_digit.MAX_FILE_BYTES / 2**20),
            help="Dark ink on light paper, or light on dark: both work. Crop it roughly to the digit.",
        )
    source, what_read = (photo.getvalue(), "your photo") if photo is not None else (drawn, "your drawing")
    with right:
        if source is None:
            st.info("Draw on the black square (the picture updates when you lift the mouse).", icon=":material/draw:")
            return
        try:
            prepared = drawn_digit.prepare_digit(source)
            naive = drawn_digit.naive_28(source)
            with model_lock(model):  # the pretrained network is shared by every session
                probs = evaluation.predict_image(model, prepared.image)
                naive_probs = evaluation.predict_image(model, naive)
        except ValueError as exc:
            (st.info if "empty" in str(exc) else st.error)(str(exc), icon=":material/error:")
            return
        st.session_state[DRAWING_KEY] = prepared.image
        k = int(np.argmax(probs))
        runner = int(np.argsort(probs)[-2])
        st.markdown(
            f"The network reads {what_read} as **{names[k]}** (p = {probs[k]:.0%}); "
            f"runner-up {names[runner]} ({probs[runner]:.0%})."
        )
        st.image(mpl.figure_png(insight_figures.digit_figure(prepared.image, probs, names)), width="content")
        top, left_, bottom, right_ = prepared.box
        h, w = bottom - top, right_ - left_
        cy, cx = drawn_digit.center_of_mass(prepared.image)
        st.image(mpl.figure_png(insight_figures.preparation_figure(prepared)), width="stretch")
        st.latex(rf"\text{{scale}} = \frac{{20}}{{\max(\text{{width}}, \text{{height}})}} = \frac{{20}}{{\max({w}, {h})}} = {20 / max(w, h):.3f}")
        st.latex(
            rf"\text{{centre of mass}} = \frac{{\sum_{{ij}} x_{{ij}}\,(i, j)}}{{\sum_{{ij}} x_{{ij}}}}"
            rf" = ({cy:.2f},\ {cx:.2f})"
        )
        # What the centring aims at, and how close it got: it moves the patch by whole pixels.
        middle = (drawn_digit.FIELD - 1) / 2
        off = max(abs(cy - middle), abs(cx - middle))
        st.caption(
            f"The centring aims the centre of mass at the field's centre ({middle}, {middle}), "
            "moving the patch by whole pixels so nothing is blurred: "
            + (f"it lands within half a pixel of it, here {cy - middle:+.2f} rows and "
               f"{cx - middle:+.2f} columns off." if off <= 0.5 + 1e-9 else
               f"here the patch meets the field's edge first and stays {cy - middle:+.2f} rows and "
               f"{cx - middle:+.2f} columns off.")
        )
        nk = int(np.argmax(naive_probs))
        if nk != k:
            st.markdown(
                f"Without this preparation (the whole picture squeezed to 28×28) the network "
                f"would answer **{names[nk]}** ({naive_probs[nk]:.0%}) instead of {names[k]}."
            )
        else:
            st.markdown(
                f"Without this preparation (the whole picture squeezed to 28×28) it would still "
                f"answer {names[nk]} ({naive_probs[nk]:.0%} sure, against {probs[k]:.0%} "
                "prepared). Draw small, in a corner, and the unprepared picture fools it."
            )


def canvas_image() -> np.ndarray | None:
    """The canvas drawing as an RGBA array, or None when nothing has been drawn yet."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # not installed, or its frontend failed to register
        st.warning(
            "The drawing canvas is not available (pip install streamlit-drawable-canvas); "
            "upload a photo instead.",
            icon=":material/warning:",
        )
        return None
    result = st_canvas(
        stroke_width=18, stroke_color="#FFFFFF", background_color="#000000",
        width=280, height=280, drawing_mode="freedraw", return_image_data=True, key="pred_canvas",
    )
    return result.image_data


# --- Look inside ---------------------------------------------------------------------------------


def inside_tab(model: Any, preds: evaluation.Predictions, data: datasets.Dataset) -> None:
    names = data.class_names
    drawn = st.session_state.get(DRAWING_KEY)
    options = ["test"] + (["drawing"] if drawn is not None else [])
    which = st.radio(
        "Look at", options, horizontal=True, key="pred_inside_source",
        format_func={"test": "A test image", "drawing": "Your drawing"}.get,
    )
    if which == "drawing":
        image, true_label = drawn, None
    else:
        # The images of the grid's current filter, so "most confident mistakes" can be studied.
        how = st.session_state.get("pred_filter", "all")
        true_class = st.session_state.get("pred_class", 0) if how == "true_class" else None
        candidates = evaluation.select(preds, how, true_class)[:500]
        if len(candidates) == 0:
            candidates = np.arange(min(len(preds), 500))
        options = [int(c) for c in candidates]
        chosen = st.session_state.get("pred_inside_index")
        if chosen is not None and chosen not in options:
            if chosen < len(preds):  # a link's image outside this filter (or this model's mistakes)
                options.insert(0, chosen)
            else:
                st.warning(
                    f"This link asks for test image #{chosen:,}, but there are {len(preds):,} "
                    f"test images (#0–#{len(preds) - 1:,}); showing #{options[0]} instead.",
                    icon=":material/link_off:",
                )
                chosen = None
        if chosen is None:  # the first image of the grid's filter
            st.session_state["pred_inside_index"] = options[0]
        if url_state.shown("pred_inside_index"):
            st.selectbox(
                f"Test image (from the grid's filter: {evaluation.FILTERS[how].lower()})",
                options, key="pred_inside_index", persist_state="session",
                format_func=lambda c: (
                    f"#{c} · true {names[preds.labels[c]]} · answered {names[preds.predicted[c]]} "
                    f"({preds.confidence[c]:.0%})"
                ),
            )
        i = st.session_state["pred_inside_index"]
        image, true_label = data.x_test[i], int(preds.labels[i])
    try:
        with model_lock(model):  # the pretrained network is shared by every session
            probs = evaluation.predict_image(model, image)
            infos = insight.describe_conv_layers(model)
            maps = insight.feature_maps(model, image)
            kernels = insight.first_layer_filters(model)
    except ValueError as exc:
        st.warning(f"Cannot look inside this model: {exc}", icon=":material/visibility_off:")
        return
    top_left, top_right = st.columns([1, 2])
    top_left.image(mpl.figure_png(insight_figures.digit_figure(image, probs, names, true_label)), width="content")

    with top_right:
        st.markdown("#### Where the network looked")
        if url_state.shown("pred_heat_method"):
            st.segmented_control(
                "Method", list(HEAT_METHODS), key="pred_heat_method", required=True, persist_state="session",
                format_func=HEAT_METHODS.get,
            )
        method = st.session_state["pred_heat_method"] or "grad-cam"
        k = int(np.argmax(probs))
        target = st.selectbox(
            "Explain the score of", range(len(names)), index=k, key="pred_heat_class",
            format_func=lambda c: f"{c} · {names[c]}" + (" (the answer)" if c == k else ""),
        )
        try:
            with model_lock(model):
                heat = (insight.grad_cam if method == "grad-cam" else insight.saliency)(model, image, target)
        except ValueError as exc:
            st.warning(str(exc))
            return
        title = f"Grad-CAM at {heat.layer}" if method == "grad-cam" else "saliency |∂y/∂x|"
        st.image(mpl.figure_png(insight_figures.heatmap_figure(image, heat.heat, title)), width="stretch")
    if method == "grad-cam":
        h, w = heat.coarse.shape
        last = next(info for info in infos if info.name == heat.layer)
        st.latex(
            rf"\alpha_k = \frac{{1}}{{{h}\cdot{w}}}\sum_{{i,j}}\frac{{\partial y_c}}{{\partial A^k_{{ij}}}},"
            rf"\qquad L = \mathrm{{ReLU}}\Big(\sum_{{k=1}}^{{{last.filters}}} \alpha_k A^k\Big)"
            rf"\ \ ({h}\times{w}\ \to\ 28\times 28)"
        )
        n = datasets.IMAGE_SIZE
        st.markdown(
            f"Each of **{heat.layer}**'s {last.filters} maps Aᵏ is weighted by αₖ: how much it "
            f"raises the score of **{names[target]}** (the logit, before any softmax), averaged "
            f"over its {h}×{w} positions; where the weighted sum is negative it is cut to 0. "
            "**What it tells:** where in this image the maps that raise this score fire. "
            f"**What it cannot:** it is coarse, one value per cell of about {n / h:.0f}×{n / w:.0f} "
            f"pixels smoothed up to {n}×{n}, so a hot spot is a neighbourhood, not a stroke; αₖ "
            "weighs a whole map, so a map lights every place it fires, whether or not the class "
            "reads that place; and it belongs to this model: train again, or at another η, and it "
            "moves. A hot spot off the object in one image proves no shortcut: look at many "
            "images, and at the saliency map."
        )
    else:
        st.latex(r"S_{ij} = \left|\frac{\partial y_c}{\partial x_{ij}}\right|")
        st.markdown(
            f"Bright pixels are those whose change would move the score of **{names[target]}** "
            "most. Saliency is sharp but noisy; Grad-CAM is coarse but steadier."
        )

    st.markdown("#### What each convolution layer sees")
    for info, (name, fmap) in zip(infos, maps):
        st.markdown(conv_lesson(info))
        st.image(mpl.figure_png(insight_figures.feature_maps_figure(fmap, name)), width="stretch")
    if any(info.filters > 48 for info in infos):
        st.caption("Layers with more than 48 filters show their first 48 maps.")

    first = infos[0]
    kh, kw = first.kernel_size
    st.markdown("#### What the first layer's filters look for")
    st.latex(
        rf"\text{{parameters}} = K \cdot K \cdot C_{{in}} \cdot C_{{out}} + C_{{out}} = "
        rf"{kh}\cdot{kw}\cdot{first.input_shape[2]}\cdot{first.filters}"
        + (rf" + {first.filters}" if first.use_bias else "")
        + rf" = {first.params:,}".replace(",", "{,}")
    )
    st.image(mpl.figure_png(insight_figures.filters_figure(kernels)), width="stretch")
    st.markdown(
        f"Each {kh}×{kw} grid is one filter's weights: it responds where the image looks like "
        "red minus blue, e.g. a dark-to-bright edge in one direction. Its response over the "
        f"whole image is the matching map of **{first.name}** above."
    )


def conv_lesson(info: insight.ConvLayerInfo) -> str:
    """The layer's output size from formula (1.1), with its own numbers."""
    size, k, s = info.input_shape[0], info.kernel_size[0], info.strides[0]
    before, after = shapes.padding_amounts(size, k, s, info.padding)
    out = shapes.conv_output_size(size, k, s, info.padding)
    return (
        f"**{info.name}**: {info.filters} filters of {k}×{k}×{info.input_shape[2]}, "
        f"padding '{info.padding}' (P = {before}+{after}): O = ⌊({size} − {k} + {before + after})/{s}⌋"
        f" + 1 = **{out}**, so {size}×{size}×{info.input_shape[2]} → "
        f"{out}×{out}×{info.filters}: one {out}×{out} map per filter (yellow = strong response)."
    )


def _tex_int(n: int) -> str:
    return f"{n:,}".replace(",", "{,}")


def _tex_text(text: str) -> str:
    return "".join("\\" + ch if ch in "#$%&_{}" else ch for ch in text)


main()
