"""Pooling: max and average pooling on a grid of numbers and on a real digit. Never loads TensorFlow.

Sliders -> cnn_core.shapes / cnn_core.kernels (numpy pooling, as TensorFlow does it) ->
cnn_core.grids (the figures) -> drawn here. A slider change reruns in well under 0.1 s.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn_core import kernels, shapes
from cnn_core.figures import pooling as pooling_figures
from cnn_core.figures import vega
from cnn_core.datasets import CLASS_NAMES, DATASET_NAMES, DATASET_TITLES
from ui import url_state
from ui.common import UPLOAD_KEY, bundled_test_images, current_dataset_name

SOURCES = {"random": "random numbers 0–9", "digit": "a shrunken image (0–255)"}
EXAMPLES = 10

SETTINGS: dict[str, url_state.Param] = {
    "pool_mode": url_state.Choice("max", list(kernels.POOL_MODES)),
    "pool_size": url_state.Int(2, 1, 5),
    "pool_keras_stride": url_state.Bool(True),
    "pool_stride": url_state.Int(2, 1, 5),
    "pool_padding": url_state.Choice("valid", ["valid", "same"]),
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


def same_note(before: int, after: int) -> str:
    """What 'same' padding adds, in words: an even total splits evenly, an odd one puts the extra after."""
    if before == after:
        split = f"'Same' adds {before} on each side (the total, {before + after}, splits evenly)."
    else:
        split = (f"'Same' adds {before} before and {after} after: the total, {before + after}, is odd, "
                 "so the extra one goes after (bottom and right).")
    return split + " The padding is not a number: it never wins a max and is not counted in a mean."


def values_caption(size: int, out: int) -> str:
    """The grid's numbers before and after pooling, too long for a metric's narrow box."""
    return f"{size}×{size} = {size * size} values in, {out}×{out} = {out * out} out: {size * size / (out * out):.3g}× fewer."


def size_formula(size: int, pool: int, stride: int, padding: str) -> str:
    """LaTeX for the output size with the numbers in it."""
    out = shapes.pool_output_size(size, pool, stride, padding)
    if padding == "same":
        return rf"O = \left\lceil \dfrac{{I}}{{S}} \right\rceil = \left\lceil \dfrac{{{size}}}{{{stride}}} \right\rceil = \mathbf{{{out}}}"
    return (
        rf"O = \left\lfloor \dfrac{{I - F}}{{S}} \right\rfloor + 1 = "
        rf"\left\lfloor \dfrac{{{size} - {pool}}}{{{stride}}} \right\rfloor + 1 = \mathbf{{{out}}}"
    )


st.title("Pooling: shrink, keep what matters")
st.markdown(
    "Look at each **outlined window** of the grid: pooling replaces it with one number (its "
    "largest, or its mean), so the output is smaller and has learnt nothing: a pooling layer "
    "has no weights."
)
url_state.bind(SETTINGS)

# One fragment holds everything the settings change: a slider reruns this part only, so the
# page's fixed text and the lesson's header and footer are neither rebuilt nor redrawn on each move
# (bench/browser_latency.py measures what a student waits for).


@st.fragment
def explorer() -> None:
    """The controls, the size formula, the windows and the before/after image: all the settings drive."""
    with st.container(border=True):
        c1, c2, c3, c4 = st.columns([1, 1, 1.2, 1])
        with c1:
            if url_state.shown("pool_mode"):
                st.radio(LABELS["pool_mode"], kernels.POOL_MODES, key="pool_mode", horizontal=True, format_func=str.capitalize)
            if url_state.shown("pool_padding"):
                st.radio(LABELS["pool_padding"], ["valid", "same"], key="pool_padding", horizontal=True)
        with c2:
            if url_state.shown("pool_size"):
                st.slider(LABELS["pool_size"], 1, 5, key="pool_size", help="Each window is F×F numbers.")
        with c3:
            if url_state.shown("pool_keras_stride"):
                st.checkbox(LABELS["pool_keras_stride"], key="pool_keras_stride",
                            help="MaxPooling2D((2, 2)) moves 2 pixels at a time unless you pass strides.")
            if st.session_state["pool_keras_stride"]:
                st.session_state["pool_stride"] = st.session_state["pool_size"]  # show the stride in use
            if url_state.shown("pool_stride"):
                st.slider(LABELS["pool_stride"], 1, 5, key="pool_stride", disabled=st.session_state["pool_keras_stride"])
        with c4:
            if url_state.shown("pool_grid"):
                st.slider(LABELS["pool_grid"], 3, 10, key="pool_grid", help="The grid of numbers below is I×I.")
            if url_state.shown("pool_source"):
                st.radio(LABELS["pool_source"], list(SOURCES), key="pool_source", format_func=SOURCES.get)

    pool_mode = st.session_state["pool_mode"]
    pool = st.session_state["pool_size"]
    stride = pool if st.session_state["pool_keras_stride"] else st.session_state["pool_stride"]
    padding = st.session_state["pool_padding"]
    grid_size = st.session_state["pool_grid"]

    # The picked image feeds both the shrunken grid (if chosen) and the before/after below.
    dataset_name = st.session_state["pool_dataset"]
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is not None and upload.name == dataset_name:
        x_test, y_test = upload.x_test, upload.y_test
    else:
        x_test, y_test = bundled_test_images(dataset_name)
    class_names = CLASS_NAMES[dataset_name]
    candidates = np.flatnonzero(y_test == st.session_state["pool_class"])
    image = x_test[candidates[st.session_state["pool_example"] % len(candidates)]] if len(candidates) else None

    if st.session_state["pool_source"] == "digit" and image is not None:
        values = np.round(kernels.downsample(image, grid_size))
    else:
        values = np.random.default_rng(st.session_state["pool_seed"]).integers(0, 10, (grid_size, grid_size)).astype(float)

    try:
        out = shapes.pool_output_size(grid_size, pool, stride, padding)
        problem = ""
    except ValueError as exc:
        out, problem = 0, str(exc)

    formula_col, grid_col = st.columns([1, 1.5], gap="large")
    with formula_col:
        st.subheader("How big is the output?")
        if problem:
            st.error(problem, icon=":material/block:")
            st.latex(
                rf"O = \left\lfloor \dfrac{{{grid_size} - {pool}}}{{{stride}}} \right\rfloor + 1 = "
                rf"{(grid_size - pool) // stride + 1}"
            )
            st.markdown("No window fits inside the grid, so there is no output. 'Same' padding always gives at least one.")
        else:
            st.latex(size_formula(grid_size, pool, stride, padding))
            m1, m2, m3 = st.columns(3)
            m1.metric("Output", f"{out}×{out}")
            m2.metric("Parameters", "0", help="Pooling has nothing to learn: max and mean need no weights.")
            m3.metric("Values out", f"{out * out}", help="Numbers after pooling (the grid holds I² numbers).")
            st.caption(values_caption(grid_size, out))
            notes = []
            if padding == "valid" and (grid_size - pool) % stride:
                dropped = (grid_size - pool) % stride
                notes.append(
                    f"{grid_size - pool} / {stride} is not whole: the floor drops the last {dropped} "
                    f"row{'s' * (dropped > 1)} and column{'s' * (dropped > 1)}, which no window reaches."
                )
            if padding == "same":
                before, after = shapes.same_padding(grid_size, pool, stride)
                if before + after:
                    notes.append(same_note(before, after))
            if stride < pool:
                notes.append("The stride is smaller than the pool: windows **overlap**, so one number can win several windows.")
            elif stride > pool:
                notes.append(
                    "The stride is larger than the pool: the numbers between windows are **skipped** "
                    "entirely. Keras allows it (`tf.nn.pool` refuses it)."
                )
            for note in notes:
                st.info(note, icon=":material/info:")
            code = f"layers.{'MaxPooling2D' if pool_mode == 'max' else 'AveragePooling2D'}(({pool}, {pool})"
            if stride != pool:
                code += f", strides=({stride}, {stride})"
            if padding == "same":
                code += ', padding="same"'
            st.code(code + ")", language="python", wrap_lines=True)

    with grid_col:
        st.subheader("Every window, and what it keeps")
        if not problem:
            windows = out * out
            st.session_state["pool_window"] = min(st.session_state["pool_window"], windows - 1)
            if windows > 1 and url_state.shown("pool_window"):
                st.slider(LABELS["pool_window"] + " (reading order)", 0, windows - 1, key="pool_window")
            selected = st.session_state["pool_window"]
            pooled = kernels.pool2d(values, pool, stride, padding, pool_mode)
            row, col = divmod(selected, out)
            rows = shapes.pool_window_positions(grid_size, pool, stride, padding)[row]
            cols = shapes.pool_window_positions(grid_size, pool, stride, padding)[col]
            members = values[np.ix_(rows, cols)].ravel()
            listed = ", ".join(f"{v:g}" for v in members)
            if pool_mode == "max":
                what = f"max({listed}) = **{pooled[row, col]:g}**"
            else:
                what = f"({' + '.join(f'{v:g}' for v in members)}) / {len(members)} = **{pooled[row, col]:.2f}**"
            st.markdown(
                f"Window {selected} covers rows {rows[0]}–{rows[-1]}, columns {cols[0]}–{cols[-1]}: {what}"
                + (f" (only {len(members)} real numbers: the rest is padding)" if len(members) < pool * pool else "")
            )
            spec = pooling_figures.pool_grid_chart(values, pool, stride, padding, pool_mode, selected, width=470)
            st.vega_lite_chart(spec, width="content")
            notes = []
            if pool_mode == "max":
                notes.append("Rings mark each window's winner (orange: the selected window's). Grey outlines are the other windows.")
            if not any(layer["mark"]["type"] == "text" for layer in spec["hconcat"][0]["layer"]):
                notes.append("The cells are too small for their numbers: hover a cell to read it.")
            elif pool_mode == "average" and np.abs(pooled).max() >= 100:
                notes.append("Means of 0–255 values are rounded to whole numbers in the cells; hover a cell for the exact value.")
            if notes:
                st.caption(" ".join(notes))
        else:
            st.info("Fix the settings on the left to see the windows.", icon=":material/grid_off:")
        if st.session_state["pool_source"] == "random" and url_state.shown("pool_seed"):
            st.number_input(LABELS["pool_seed"], 0, 999, key="pool_seed", help="Another seed, other numbers.", width=200)

    st.subheader("A real image, before and after")
    p1, p2, p3 = st.columns([1, 1, 1.4])
    with p1:
        if url_state.shown("pool_dataset"):
            st.radio(LABELS["pool_dataset"], list(DATASET_NAMES), key="pool_dataset", format_func=DATASET_TITLES.get, horizontal=True)
    with p2:
        if url_state.shown("pool_class"):
            st.selectbox(LABELS["pool_class"], range(10), key="pool_class", format_func=lambda c: class_names[c])
    with p3:
        if url_state.shown("pool_example"):
            st.slider(LABELS["pool_example"], 0, EXAMPLES - 1, key="pool_example")

    if image is None:
        st.warning("This dataset has no test image of that class.")
    else:
        try:
            after = kernels.pool2d(image, pool, stride, padding, pool_mode)
        except ValueError as exc:  # cannot happen for 28×28 and F ≤ 5, but never show a traceback
            st.error(str(exc))
        else:
            o = after.shape[0]
            # Two charts, not one: "before" stays as it is (nothing to redraw) when only the pooling changes.
            with st.container(horizontal=True, gap="large"):
                st.vega_lite_chart(
                    vega.image_chart(image, f"Before (“{class_names[st.session_state['pool_class']]}”): 28×28×1", name="before", signed=False),
                    width="content",
                )
                st.vega_lite_chart(
                    vega.framed_map_chart(after, f"After {pool_mode} pooling: {o}×{o}×1", frame=28, name="after", signed=False),
                    width="content",
                )
            shrink = (28 * 28) / (o * o)
            if o >= 28:
                how_much = (
                    f"Shape (28, 28, 1) → ({o}, {o}, 1): **no shrinking at all** with stride 1 and "
                    "'same' padding; the pooling only "
                    + ("thickens the strokes" if pool_mode == "max" else "blurs the image")
                    + ", with **0 parameters**. "
                )
            else:
                how_much = (
                    f"Shape (28, 28, 1) → ({o}, {o}, 1): {28 * 28:,} values become {o * o:,}, "
                    f"**{shrink:.3g}× fewer** ({1 - 1 / shrink:.0%} less data), with **0 parameters**. "
                )
            st.markdown(
                how_much
                + ("Max pooling keeps the strongest ink of each window, so strokes survive. " if pool_mode == "max"
                   else "Average pooling blurs: thin strokes fade into grey. ")
                + "In the tutorial, the first 2×2 pooling turns 28×28×24 = 18,816 values into "
                "14×14×24 = 4,704: 4× fewer, channel by channel."
            )

    url_state.sync(SETTINGS)  # a fragment run does not pass through bind() above
    url_state.share_box(SETTINGS, LABELS, lazy=True)  # built only while open: sliders rerun often


explorer()
