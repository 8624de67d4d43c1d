"""The Convolution page's "Transposed convolution" section: the lesson's upsampling question.

A Conv2DTranspose runs a convolution backwards: each input pixel stamps the K×K kernel onto
the output, S pixels further on for each step in the input, and overlapping stamps add up.
The sizes come from :mod:`cnn_core.shapes`, the words from :mod:`cnn_core.formulas`, the
figure from :mod:`cnn_core.figures.convolution`. Never loads TensorFlow.
"""

from __future__ import annotations

import streamlit as st

from cnn_core import formulas, shapes
from cnn_core.figures import convolution as convolution_figures
from ui import url_state

MAX_SIZE = 8  # the largest output (7·3 + 5 + 2 = 28) still fits a phone at 8 px a cell
OUTPUT_PADDINGS = ["none", 0, 1, 2]  # "none": Keras's default (output_padding=None)

SETTINGS: dict[str, url_state.Param] = {
    "tconv_size": url_state.Int(7, 1, MAX_SIZE),
    "tconv_kernel": url_state.Int(3, 1, 5),
    "tconv_stride": url_state.Int(2, 1, 3),
    "tconv_padding": url_state.Choice("same", ["valid", "same"]),
    "tconv_output_padding": url_state.Choice("none", OUTPUT_PADDINGS),
    "tconv_pixel": url_state.Int(0, 0, MAX_SIZE * MAX_SIZE - 1),
}
LABELS = {
    # Names of their own: the browser names a slider by its label twice over, and a search for the
    # convolution's "Input size I", "Kernel size K" or "Stride S" must find those sliders alone.
    "tconv_size": "Input width I", "tconv_kernel": "Kernel width K", "tconv_stride": "Stamp spacing S (stride)",
    "tconv_padding": "Padding", "tconv_output_padding": "Output padding",
    "tconv_pixel": "Input pixel (number, in reading order)",
}


def transposed_section() -> None:
    """Heading and the idea in two sentences, then the live part (a fragment of its own), in a
    container keyed ``transposed`` (class ``st-key-transposed`` in the browser)."""
    with st.container(key="transposed"):
        st.subheader("Transposed convolution: the way back up")
        st.markdown(
            "A decoder, or a network that labels every pixel, must go back up from 7×7 to 28×28. "
            "`Conv2DTranspose` runs a convolution backwards: each **input pixel stamps the K×K kernel**, "
            "scaled by its value, onto the output, **S pixels further on** for each step in the input; "
            "where stamps overlap they **add up**."
        )
        url_state.bind(SETTINGS)
        transposed_explorer()


@st.fragment
def transposed_explorer() -> None:
    """Controls, the size formula with the learner's numbers, and the stamp picture."""
    size, kernel, stride, padding, output_padding = controls()
    formula_col, picture_col = st.columns([1, 1], gap="large")
    with formula_col:
        try:
            general, numbers = formulas.transposed_formula(size, kernel, stride, padding, output_padding)
        except ValueError as exc:
            st.error(str(exc), icon=":material/block:")
            st.code(shapes.transposed_layer_code(kernel, stride, padding, output_padding), language="python",
                    wrap_lines=True)
            url_state.sync(SETTINGS)
            return
        st.latex(general)
        st.latex(numbers)
        out = shapes.conv_transpose_output_size(size, kernel, stride, padding, output_padding=output_padding)
        st.metric("Transposed output", f"{out}×{out}", help="Keras's Conv2DTranspose output size.")
        st.markdown(formulas.transposed_consequence(size, kernel, stride, padding, output_padding))
        st.code(shapes.transposed_layer_code(kernel, stride, padding, output_padding), language="python",
                wrap_lines=True)
    with picture_col:
        picture(size, kernel, stride, padding, output_padding)
    url_state.sync(SETTINGS)  # a fragment run does not pass through bind()


def controls() -> tuple[int, int, int, str, int | None]:
    """The section's controls (each hidden when the link says so): (I, K, S, padding, output_padding)."""
    with st.container(border=True):
        c1, c2, c3, c4, c5 = st.columns([1, 1, 1, 1, 1])
        with c1:
            url_state.slider(LABELS["tconv_size"], "tconv_size", SETTINGS, help="Width = height of the small input, in pixels.")
        with c2:
            url_state.slider(LABELS["tconv_kernel"], "tconv_kernel", SETTINGS, help="The stamp is K×K.")
        with c3:
            url_state.slider(LABELS["tconv_stride"], "tconv_stride", SETTINGS,
                             help="How far apart two neighbouring input pixels' stamps land on the output.")
        with c4:
            if url_state.shown("tconv_padding"):
                st.radio(LABELS["tconv_padding"], ["valid", "same"], key="tconv_padding", horizontal=True)
        with c5:
            if url_state.shown("tconv_output_padding"):
                st.selectbox(
                    LABELS["tconv_output_padding"], OUTPUT_PADDINGS, key="tconv_output_padding",
                    format_func=lambda v: "none (default)" if v == "none" else str(v),
                    help="Keras's output_padding: extra rows at the end, to pick one of the sizes a "
                    "strided Conv2D maps back to I. It must be smaller than the stride.",
                )
    state = st.session_state
    op = state["tconv_output_padding"]
    return state["tconv_size"], state["tconv_kernel"], state["tconv_stride"], state["tconv_padding"], (
        None if op == "none" else int(op)
    )


def picture(size: int, kernel: int, stride: int, padding: str, output_padding: int | None) -> None:
    """The input pixel to follow, where its stamp lands, and the figure with the overlap counts."""
    try:
        patches = shapes.transposed_patches(size, kernel, stride, padding, output_padding)
    except ValueError as exc:  # Keras has a size, TensorFlow will not run it: say so, draw nothing
        st.warning(str(exc), icon=":material/block:")
        return
    # The input may have shrunk since the last run: keep the pixel inside it.
    st.session_state["tconv_pixel"] = min(st.session_state.get("tconv_pixel", 0), size * size - 1)
    if size > 1:
        url_state.slider(LABELS["tconv_pixel"], "tconv_pixel", SETTINGS, max_value=size * size - 1,
                         help="Which input pixel's stamp to outline on the output.")
    row, col = divmod(st.session_state["tconv_pixel"], size)
    st.markdown(formulas.transposed_pixel_sentence(row, col, patches[row], patches[col], kernel, stride))
    spec = convolution_figures.transposed_scatter_chart(size, kernel, stride, padding, row * size + col, output_padding)
    st.vega_lite_chart(spec, width="content")  # its "description" (a one-line summary) is the accessible name
    coverage = shapes.transposed_coverage(size, kernel, stride, padding, output_padding)
    st.caption(formulas.transposed_overlap_note(kernel, stride, coverage))
