"""Pooling: max and average pooling on a grid of numbers and on a real image. Never loads TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import streamlit as st

from cnn_core import formulas, kernels, shapes
from cnn_core.datasets import CLASS_NAMES, DATASET_NAMES, DATASET_TITLES, IMAGE_SIZE
from cnn_core.figures import pooling as pooling_figures
from cnn_core.figures import vega
from ui import dataset_upload, quiz, url_state
from ui.common import current_dataset_name

SOURCES = {"random": "random numbers 0–9", "digit": "a shrunken image (0–255)"}
PADDINGS = ["valid", "same"]
EXAMPLES = 10  # how many test images of each class the example slider offers

SETTINGS: dict[str, url_state.Param] = {
    "pool_mode": url_state.Choice("max", list(kernels.POOL_MODES)),
    "pool_size": url_state.Int(2, 1, 5),
    "pool_keras_stride": url_state.Bool(True),
    "pool_stride": url_state.Int(2, 1, 5),
    "pool_padding": url_state.Choice("valid", PADDINGS),
    "pool_grid": url_state.Int(6, 3, 10),
    "pool_source": url_state.Choice("random", list(SOURCES)),
    "pool_seed": url_state.Int(0, 0, 999),
    "pool_window": url_state.Int(0, 0, 99),
    "pool_dataset": url_state.Choice(current_dataset_name(), list(DATASET_NAMES)),
    "pool_class": url_state.Int(0, 0, 9),
    "pool_example": url_state.Int(0, 0, EXAMPLES - 1),
}
LABELS = {
    "pool_mode": "Pooling", "pool_size": "Pool size F", "pool_keras_stride": "Stride = pool size (Keras default)",
    "pool_stride": "Stride S", "pool_padding": "Padding", "pool_grid": "Grid size I",
    "pool_source": "Numbers", "pool_seed": "Random seed", "pool_window": "Window",
    "pool_dataset": "Dataset", "pool_class": "Class", "pool_example": "Example",
}


@dataclass(frozen=True)
class Pool:
    """The pooling the controls describe; sizes in pixels (or grid cells)."""

    mode: str  # "max" or "average"
    pool: int
    stride: int
    padding: str  # "valid" or "same"
    grid_size: int


@dataclass(frozen=True)
class Picked:
    """The test image the class and example controls pick (None when its class has none)."""

    image: np.ndarray | None
    class_name: str
    class_names: Sequence[str]


def render() -> None:
    intro()
    if quiz.page_quiz("pooling"):
        return  # the quiz hides the explorer: nothing is worked out before the answer
    url_state.bind(SETTINGS)
    explorer()


def intro() -> None:
    st.title("Pooling: shrink, keep what matters")
    st.markdown(
        "Look at each **outlined window** of the grid: pooling replaces it with one number (its "
        "largest, or its mean), so the output is smaller and has learnt nothing: a pooling layer "
        "has no weights."
    )


@st.fragment
def explorer() -> None:
    """Everything the settings change, in one fragment: a slider reruns this part only, so the
    page's fixed text and the lesson's header and footer are not rebuilt on each move."""
    pooling = controls()
    picked = picked_image()  # it feeds both the shrunken grid (if chosen) and the before/after below
    values = grid_values(pooling.grid_size, picked.image)
    try:
        out, problem = shapes.pool_output_size(pooling.grid_size, pooling.pool, pooling.stride, pooling.padding), ""
    except ValueError as exc:
        out, problem = 0, str(exc)
    formula_col, grid_col = st.columns([1, 1.5], gap="large")
    with formula_col:
        size_formula(pooling, out, problem)
    with grid_col:
        windows(pooling, values, out, problem)
    before_and_after(pooling, picked)
    url_state.sync(SETTINGS)  # a fragment run does not pass through bind()
    url_state.share_box(SETTINGS, LABELS, lazy=True)  # built only while open: sliders rerun often


def controls() -> Pool:
    """The pooling's controls (each hidden when the link says so), and what they set."""
    with st.container(border=True):
        c1, c2, c3, c4 = st.columns([1, 1, 1.2, 1])
        with c1:
            if url_state.shown("pool_mode"):
                st.radio(LABELS["pool_mode"], kernels.POOL_MODES, key="pool_mode", horizontal=True, format_func=str.capitalize)
            if url_state.shown("pool_padding"):
                st.radio(LABELS["pool_padding"], PADDINGS, key="pool_padding", horizontal=True)
        with c2:
            url_state.slider(LABELS["pool_size"], "pool_size", SETTINGS, help="Each window is F×F numbers.")
        with c3:
            if url_state.shown("pool_keras_stride"):
                st.checkbox(LABELS["pool_keras_stride"], key="pool_keras_stride",
                            help="MaxPooling2D((2, 2)) moves 2 pixels at a time unless you pass strides.")
            if st.session_state["pool_keras_stride"]:
                st.session_state["pool_stride"] = st.session_state["pool_size"]  # show the stride in use
            url_state.slider(LABELS["pool_stride"], "pool_stride", SETTINGS, disabled=st.session_state["pool_keras_stride"])
        with c4:
            url_state.slider(LABELS["pool_grid"], "pool_grid", SETTINGS, help="The grid of numbers below is I×I.")
            if url_state.shown("pool_source"):
                st.radio(LABELS["pool_source"], list(SOURCES), key="pool_source", format_func=SOURCES.get)
    state = st.session_state
    return Pool(
        mode=state["pool_mode"], pool=state["pool_size"],
        stride=state["pool_size"] if state["pool_keras_stride"] else state["pool_stride"],
        padding=state["pool_padding"], grid_size=state["pool_grid"],
    )


def picked_image() -> Picked:
    """The test image of the chosen dataset, class and example (the session's upload if it is that dataset)."""
    x_test, y_test = dataset_upload.test_images(st.session_state["pool_dataset"])
    class_names = CLASS_NAMES[st.session_state["pool_dataset"]]
    label = st.session_state["pool_class"]
    candidates = np.flatnonzero(y_test == label)
    image = x_test[candidates[st.session_state["pool_example"] % len(candidates)]] if len(candidates) else None
    return Picked(image, class_names[label], class_names)


def grid_values(grid_size: int, image: np.ndarray | None) -> np.ndarray:
    """The numbers to pool: the picked image shrunk to the grid, or random digits from the seed."""
    if st.session_state["pool_source"] == "digit" and image is not None:
        return np.round(kernels.downsample(image, grid_size))
    return np.random.default_rng(st.session_state["pool_seed"]).integers(0, 10, (grid_size, grid_size)).astype(float)


def size_formula(p: Pool, out: int, problem: str) -> None:
    """The output size worked out with the learner's numbers, what it means, and the Keras layer."""
    st.subheader("How big is the output?")
    if problem:
        st.error(problem, icon=":material/block:")
        st.latex(formulas.pool_no_output(p.grid_size, p.pool, p.stride))
        st.markdown("No window fits inside the grid, so there is no output. 'Same' padding always gives at least one.")
        return
    st.latex(formulas.pool_formula(p.grid_size, p.pool, p.stride, p.padding))
    m1, m2, m3 = st.columns(3)
    m1.metric("Output", f"{out}×{out}")
    m2.metric("Parameters", "0", help="Pooling has nothing to learn: max and mean need no weights.")
    m3.metric("Values out", f"{out * out}", help="Numbers after pooling (the grid holds I² numbers).")
    st.caption(formulas.pool_values_caption(p.grid_size, out))
    floor = formulas.pool_floor_note(p.grid_size, p.pool, p.stride) if p.padding == "valid" else ""
    notes = [floor] if floor else []
    if p.padding == "same":
        before, after = shapes.same_padding(p.grid_size, p.pool, p.stride)
        if before + after:
            notes.append(formulas.pool_same_note(before, after))
    if p.stride < p.pool:
        notes.append("The stride is smaller than the pool: windows **overlap**, so one number can win several windows.")
    elif p.stride > p.pool:
        notes.append(
            "The stride is larger than the pool: the numbers between windows are **skipped** "
            "entirely. Keras allows it (`tf.nn.pool` refuses it)."
        )
    for note in notes:
        st.info(note, icon=":material/info:")
    st.code(shapes.pool_layer_code(p.pool, p.stride, p.padding, p.mode), language="python", wrap_lines=True)


def windows(p: Pool, values: np.ndarray, out: int, problem: str) -> None:
    """The grid with every window outlined, the selected one's arithmetic, and the seed."""
    st.subheader("Every window, and what it keeps")
    if problem:
        st.info("Fix the settings on the left to see the windows.", icon=":material/grid_off:")
    else:
        count = out * out
        st.session_state["pool_window"] = min(st.session_state["pool_window"], count - 1)
        if count > 1:
            url_state.slider(LABELS["pool_window"] + " (reading order)", "pool_window", SETTINGS, max_value=count - 1)
        selected = st.session_state["pool_window"]
        pooled = kernels.pool2d(values, p.pool, p.stride, p.padding, p.mode)
        row, col = divmod(selected, out)
        positions = shapes.pool_window_positions(p.grid_size, p.pool, p.stride, p.padding)
        rows, cols = positions[row], positions[col]
        members = values[np.ix_(rows, cols)].ravel()
        st.markdown(formulas.pool_window_sentence(p.mode, selected, rows, cols, members, pooled[row, col], p.pool))
        spec = pooling_figures.pool_grid_chart(values, p.pool, p.stride, p.padding, p.mode, selected, width=470)
        st.vega_lite_chart(spec, width="content", alt=pooling_figures.pool_grid_description(
            values, p.pool, p.stride, p.padding, p.mode, selected))
        notes = []
        if p.mode == "max":
            notes.append("Rings mark each window's winner (orange: the selected window's). Grey outlines are the other windows.")
        if not any(layer["mark"]["type"] == "text" for layer in spec["hconcat"][0]["layer"]):
            notes.append("The cells are too small for their numbers: hover a cell to read it.")
        elif p.mode == "average" and np.abs(pooled).max() >= 100:
            notes.append("Means of 0–255 values are rounded to whole numbers in the cells; hover a cell for the exact value.")
        if notes:
            st.caption(" ".join(notes))
    if st.session_state["pool_source"] == "random":
        url_state.number_input(LABELS["pool_seed"], "pool_seed", SETTINGS, help="Another seed, other numbers.", width=200)


def before_and_after(p: Pool, picked: Picked) -> None:
    """The same pooling on a real test image: before, after, and how much smaller it is."""
    st.subheader("A real image, before and after")
    p1, p2, p3 = st.columns([1, 1, 1.4])
    with p1:
        if url_state.shown("pool_dataset"):
            st.radio(LABELS["pool_dataset"], list(DATASET_NAMES), key="pool_dataset", format_func=DATASET_TITLES.get, horizontal=True)
    with p2:
        if url_state.shown("pool_class"):
            st.selectbox(LABELS["pool_class"], range(10), key="pool_class", format_func=lambda c: picked.class_names[c])
    with p3:
        url_state.slider(LABELS["pool_example"], "pool_example", SETTINGS)
    if picked.image is None:
        st.warning("This dataset has no test image of that class.")
        return
    try:
        after = kernels.pool2d(picked.image, p.pool, p.stride, p.padding, p.mode)
    except ValueError as exc:  # cannot happen for 28×28 and F ≤ 5, but never show a traceback
        st.error(str(exc))
        return
    o = after.shape[0]
    # Two charts, not one: "before" stays as it is (nothing to redraw) when only the pooling changes.
    with st.container(horizontal=True, gap="large"):
        st.vega_lite_chart(
            vega.image_chart(picked.image, f"Before (“{picked.class_name}”): {IMAGE_SIZE}×{IMAGE_SIZE}×1",
                              name="before", signed=False),
            width="content", alt=vega.map_description(picked.image, f"Before pooling, a {picked.class_name}"),
        )
        st.vega_lite_chart(
            vega.framed_map_chart(after, f"After {p.mode} pooling: {o}×{o}×1", frame=IMAGE_SIZE, name="after", signed=False),
            width="content", alt=vega.map_description(after, f"After {p.mode} pooling"),
        )
    st.markdown(formulas.pool_shrink_sentence(IMAGE_SIZE, o, p.mode))


render()
