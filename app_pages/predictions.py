"""Predictions and insight (tutorial § 1.3.6): what the trained network answers, and why.

The model and its predictions come from ui.predictions_model (computed once per model and test
set); a filter or grid-size change only re-filters numpy arrays and redraws one figure. Only the
open tab runs, so the Draw and Look inside tabs (ui.inside_tabs) cost nothing while the grid
changes. A link's settings apply at once, or wait in session state until there is a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from cnn_core import datasets, evaluation
from cnn_core.figures import palette, prediction_charts
from cnn_core.figures import predictions as predictions_figures
from ui import inside_tabs, predictions_model, quick_run, url_state
from ui.inside_tabs import HEAT_METHOD_KEY, INSIDE_INDEX_KEY
from ui.predictions_model import CLASS_KEY, FILTER_KEY, Chosen, tex_int
from ui.quick_run import QUICK_EPOCHS_KEY

TABS = ["Prediction grid", "Confusion matrix", "Draw a digit", "Look inside"]
GRID_FILTERS = ["all", "mistakes", "true_class", "confident_mistakes", "unsure_correct"]
LINK_MAX = 999_999  # the largest grid page or test-image index a link may name (clamped to the data)
# Keys of this page's widgets; those in SETTINGS are also their URL parameters.
TAB_KEY = "pred_tab"
ROWS_KEY = "pred_rows"
COLS_KEY = "pred_cols"
PAGE_KEY = "pred_page"  # the grid's page
CELL_TRUE_KEY = "pred_cell_true"  # the confusion cell's true class
CELL_PRED_KEY = "pred_cell_pred"  # the confusion cell's predicted class
CM_CHART_KEY = "pred_cm_chart"  # the confusion matrix (its selection is the clicked cell)
CELL_ROWS, CELL_COLS = 3, 4  # the grid of a confusion cell's images
STRETCH_COLS = (
    3  # a grid at least this many columns wide fills the page's width; a narrower one keeps its size
)


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
    TAB_KEY: Word(TABS[0], tuple(zip(["grid", "confusion", "draw", "inside"], TABS))),
    FILTER_KEY: url_state.Choice("all", GRID_FILTERS),
    CLASS_KEY: url_state.Int(0, 0, datasets.NUM_CLASSES - 1),
    ROWS_KEY: url_state.Int(5, 1, predictions_figures.MAX_GRID_ROWS),
    COLS_KEY: url_state.Int(3, 1, predictions_figures.MAX_GRID_COLS),
    PAGE_KEY: url_state.Int(1, 1, LINK_MAX),
    CELL_TRUE_KEY: url_state.Int(None, 0, datasets.NUM_CLASSES - 1),
    CELL_PRED_KEY: url_state.Int(None, 0, datasets.NUM_CLASSES - 1),
    INSIDE_INDEX_KEY: url_state.Int(None, 0, LINK_MAX),
    HEAT_METHOD_KEY: inside_tabs.HEAT_METHOD,
    QUICK_EPOCHS_KEY: quick_run.QUICK_EPOCHS,
}
LABELS = {
    TAB_KEY: "Tabs (the link's tab only)",
    FILTER_KEY: "Grid: show",
    CLASS_KEY: "Grid: true class",
    ROWS_KEY: "Grid: rows",
    COLS_KEY: "Grid: columns",
    PAGE_KEY: "Grid: page",
    CELL_TRUE_KEY: "Confusion: true class",
    CELL_PRED_KEY: "Confusion: predicted class",
    INSIDE_INDEX_KEY: "Look inside: test image",
    HEAT_METHOD_KEY: "Look inside: method",
    QUICK_EPOCHS_KEY: "Quick training: epochs",
}


def render() -> None:
    intro()
    url_state.bind(SETTINGS)
    chosen = predictions_model.choose_model()
    if chosen is None:
        waiting_settings()
    else:
        explore(chosen)
    url_state.share_box(SETTINGS, LABELS)
    url_state.sync(SETTINGS)  # the page may have settled a bound key (page, cell, image) after bind


def intro() -> None:
    st.title("Predictions and insight")
    st.markdown(
        "The tutorial ends by asking the trained network about **test images it never saw in "
        "training** and drawing each answer next to the truth. Here you can filter those "
        "answers, see which classes it confuses, test it on your own handwriting, and look "
        "inside to see what its layers respond to."
    )


def explore(chosen: Chosen) -> None:
    """The summary and the four tabs, for a model that exists. The worker (and TensorFlow) is
    asked only when Draw or Look inside first needs the network itself."""
    preds = predictions_model.predictions_for(chosen)
    if preds is None:
        return
    data = chosen.data
    predictions_model.summary(preds, chosen)

    def with_model(section: Any) -> None:
        section(predictions_model.network(chosen))

    sections = {
        TABS[0]: lambda: grid_tab(preds, chosen),
        TABS[1]: lambda: confusion_tab(preds, chosen),
        TABS[2]: lambda: with_model(lambda m: inside_tabs.draw_tab(m, data)),
        TABS[3]: lambda: with_model(lambda m: inside_tabs.inside_tab(m, preds, data)),
    }
    if not url_state.shown(TAB_KEY):  # a lesson link that hides the tabs shows only its own section
        name = st.session_state[TAB_KEY]
        st.subheader(name)
        sections[name]()
        return
    tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
    for tab, name in zip(tabs, TABS):
        if tab.open:
            with tab:
                sections[name]()


def waiting_settings() -> None:
    """With no model yet, say that the link's settings are kept for when one exists."""
    chosen = [
        {TAB_KEY: "Tab"}.get(k, LABELS[k])
        for k, p in SETTINGS.items()
        if k != QUICK_EPOCHS_KEY and st.session_state.get(k, p.default) != p.default
    ]
    if chosen:
        st.caption(
            f":material/link: This link's settings ({', '.join(chosen)}) apply as soon "
            "as there is a model to look at."
        )


# --- The tutorial's grid -----------------------------------------------------------------------


def grid_tab(preds: evaluation.Predictions, chosen: Chosen) -> None:
    """The tutorial's grid of test images and probabilities, filtered and paged."""
    names = chosen.data.class_names
    st.markdown(
        "Each pair is one test image and the network's ten output probabilities. Under the "
        "image: the **predicted class, its probability, and (the true class)**, marked "
        f"{_swatch(palette.RIGHT)}**✓ right** (blue) or {_swatch(palette.WRONG)}"
        "**✗ wrong** (vermillion). In the bars the answer is vermillion and the truth blue, so a right "
        "answer is a single blue bar; ✓ or ✗ stands above the answer's bar.",
        unsafe_allow_html=True,
    )
    c1, c2, c3 = st.columns([2, 1, 1])
    if url_state.shown(FILTER_KEY):
        c1.selectbox(
            "Show",
            GRID_FILTERS,
            format_func=evaluation.FILTERS.get,
            key=FILTER_KEY,
            persist_state="session",
            on_change=_new_selection,
        )
    for column, key, label in ((c2, ROWS_KEY, "Rows"), (c3, COLS_KEY, "Columns")):
        with column:
            url_state.slider(label, key, SETTINGS, persist_state="session", on_change=_first_page)
    how = st.session_state[FILTER_KEY]
    rows, cols = st.session_state[ROWS_KEY], st.session_state[COLS_KEY]
    true_class = None
    if how == "true_class":
        if url_state.shown(CLASS_KEY):
            st.selectbox(
                "True class",
                range(len(names)),
                format_func=lambda k: f"{k} · {names[k]}",
                key=CLASS_KEY,
                persist_state="session",
                on_change=_new_selection,
            )
        true_class = st.session_state[CLASS_KEY]
    indices = evaluation.select(preds, how, true_class)
    st.markdown(predictions_model.filter_lesson(preds, how, true_class, names))
    if len(indices) == 0:
        st.success("Nothing to show: the network made no mistake here.", icon=":material/celebration:")
        return
    per_page = rows * cols
    pages = -(-len(indices) // per_page)
    # A link's page may be past the end for this model (fewer mistakes): show the last one.
    # (Written only then: a write on every run would override the page the user just clicked.)
    if st.session_state[PAGE_KEY] > pages:
        st.session_state[PAGE_KEY] = pages
    if pages > 1 and url_state.shown(PAGE_KEY):
        st.pagination(pages, key=PAGE_KEY, max_visible_pages=9, persist_state="session")
    page = st.session_state[PAGE_KEY]
    shown = indices[(page - 1) * per_page : page * per_page]
    st.caption(
        f"Showing {(page - 1) * per_page + 1:,}–{(page - 1) * per_page + len(shown):,} of "
        f"{len(indices):,} · the number above each image is its index in the test set"
    )
    png = predictions_model.grid_png_for(chosen, preds, shown, rows, cols)
    summary = predictions_figures.grid_description(preds.probabilities, preds.labels, shown, names)
    st.image(
        png,
        width="stretch" if cols >= STRETCH_COLS else "content",
        alt=f"The tutorial's grid of {len(shown)} test images with their ten probabilities: {summary}",
    )
    st.caption(summary)
    first = int(shown[0])
    p = preds.probabilities[first]
    k = int(np.argmax(p))
    st.latex(
        rf"p_k = \frac{{e^{{z_k}}}}{{\sum_{{j=0}}^{{{datasets.NUM_CLASSES - 1}}} e^{{z_j}}}}"
        rf"\qquad \#{first}:\ "
        rf"p_{{{k}}} = {p[k]:.3f}\ \text{{is the largest of the ten, so the answer is}}\ "
        rf"\text{{{_tex_text(names[k])}}}\ ({100 * p[k]:.0f}\%)"
    )


def _first_page() -> None:
    """Another grid size: back to its first page."""
    st.session_state[PAGE_KEY] = 1


def _new_selection() -> None:
    """Another filter or class: its first page, and Look inside studies its first image."""
    st.session_state[PAGE_KEY] = 1
    st.session_state[INSIDE_INDEX_KEY] = None


# --- Confusion matrix ----------------------------------------------------------------------------


def confusion_tab(preds: evaluation.Predictions, chosen: Chosen) -> None:
    """The confusion matrix, a cell's images, and the accuracy of each class."""
    names = chosen.data.class_names
    matrix = evaluation.confusion_matrix(preds.labels, preds.predicted)
    confused = evaluation.most_confused(matrix, top=3)
    t0, p0 = confused[0][:2] if confused else (0, 0)
    for key, first in ((CELL_TRUE_KEY, t0), (CELL_PRED_KEY, p0)):
        if st.session_state.get(key) is None:  # start on the most frequent confusion
            st.session_state[key] = int(first)
    st.markdown(
        "Row **M[t, p]** counts the test images of true class t that the network answered p. "
        "The diagonal (blue) holds the right answers; every orange cell off it is a confusion. "
        "**Click a cell** (or pick it below) to see its images."
    )
    st.latex(
        rf"\text{{accuracy}} = \frac{{\sum_c M_{{cc}}}}{{\sum_{{t,p}} M_{{tp}}}} = "
        rf"\frac{{{tex_int(int(np.trace(matrix)))}}}{{{tex_int(int(matrix.sum()))}}}"
    )
    t = int(st.session_state[CELL_TRUE_KEY])
    p = int(st.session_state[CELL_PRED_KEY])
    st.altair_chart(
        prediction_charts.confusion_chart(matrix, names, selected=(t, p)),
        key=CM_CHART_KEY,
        on_select=_on_cell_click,
        selection_mode="cell",
        alt=prediction_charts.confusion_description(matrix, names),
    )
    if confused:
        st.markdown(
            "Most confused: "
            + "; ".join(f"**{names[a]}** read as **{names[b]}** ({c}×)" for a, b, c in confused)
            + f". These pairs look alike at {datasets.IMAGE_SIZE}×{datasets.IMAGE_SIZE} pixels."
        )
    c1, c2 = st.columns(2)
    fmt = lambda k: f"{k} · {names[k]}"  # noqa: E731
    for column, key, label in (
        (c1, CELL_TRUE_KEY, "True class"),
        (c2, CELL_PRED_KEY, "Predicted class"),
    ):
        if url_state.shown(key):
            column.selectbox(label, range(len(names)), format_func=fmt, key=key, persist_state="session")
    t, p = int(st.session_state[CELL_TRUE_KEY]), int(st.session_state[CELL_PRED_KEY])
    indices = evaluation.select(preds, "cell", t, p)
    kind = "right answers" if t == p else "mistakes"
    st.caption(
        f"Cell M[{t}, {p}]: {len(indices):,} image{'s' * (len(indices) != 1)} of {names[t]} "
        f"answered {names[p]} ({kind})."
    )
    if len(indices):
        shown = CELL_ROWS * CELL_COLS
        # Drawn as the grid tab's pictures are: once per process for a shipped network, else
        # only when the cell changes (not on every rerun of this tab).
        png = predictions_model.grid_png_for(chosen, preds, indices[:shown], CELL_ROWS, CELL_COLS)
        summary = predictions_figures.grid_description(
            preds.probabilities, preds.labels, indices[:shown], names
        )
        st.image(
            png,
            width="stretch" if len(indices) >= STRETCH_COLS else "content",
            alt=f"Test images of cell M[{t}, {p}] with their probabilities: {summary}",
        )
        if len(indices) > shown:
            st.caption(f"The first {shown} of {len(indices):,}.")

    accuracy = evaluation.per_class_accuracy(matrix)
    worst = int(np.nanargmin(accuracy))
    st.altair_chart(
        prediction_charts.per_class_chart(accuracy, names, preds.accuracy),
        alt=prediction_charts.per_class_description(accuracy, names, preds.accuracy),
    )
    st.latex(
        rf"\text{{accuracy of class }} c = \frac{{M_{{cc}}}}{{\sum_p M_{{cp}}}}:\quad "
        rf"\text{{{_tex_text(names[worst])}}} = "
        rf"\frac{{{int(matrix[worst, worst])}}}{{{int(matrix[worst].sum())}}}"
        rf" = {100 * accuracy[worst]:.0f}\%"
    )
    st.markdown(
        f"The weakest class is **{names[worst]}**: overall accuracy hides how uneven the classes are."
    )


def _on_cell_click() -> None:
    """A click on the confusion matrix selects that cell in the two selectboxes."""
    cell = prediction_charts.clicked_cell(st.session_state.get(CM_CHART_KEY) or {})
    if cell is not None:
        st.session_state[CELL_TRUE_KEY], st.session_state[CELL_PRED_KEY] = cell


def _swatch(colour: str) -> str:
    """A small square of ``colour`` before a legend's words (decorative: the words carry it)."""
    return (
        f"<span aria-hidden='true' style='display:inline-block;width:0.75em;height:0.75em;"
        f"background:{colour};border-radius:2px;margin-right:0.25em'></span>"
    )


def _tex_text(text: str) -> str:
    return "".join("\\" + ch if ch in "#$%&_{}" else ch for ch in text)


render()
