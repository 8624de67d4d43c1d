"""The Convolution page's "Transposed convolution" section: the lesson's upsampling question.

A Conv2DTranspose runs a convolution backwards: each input pixel stamps the K×K kernel onto
the output, S pixels further on for each step in the input, and overlapping stamps add up.
The explorer is drawn in the browser (``ui/explorers/transposed.js``, its arithmetic checked
against :mod:`cnn_core.shapes`); Python writes the Keras line of the settled settings. Never
loads TensorFlow.
"""

from __future__ import annotations

import functools
from typing import Any

import streamlit as st

from cnn_core import shapes
from cnn_core.figures import vega
from cnn_core.figures.convolution import COVER_RANGE, ROLE_COLOURS, STAMP_COLOUR
from ui import explorers, url_state

MAX_SIZE = 8  # the largest output (7·3 + 5 + 2 = 28) still fits a phone at 8 px a cell
OUTPUT_PADDINGS = ["none", 0, 1, 2]  # "none": Keras's default (output_padding=None)
# Each setting's key is also its URL parameter; the explorer's key holds its report, the
# section's names its container (a CSS class).
SIZE_KEY = "tconv_size"
KERNEL_KEY = "tconv_kernel"
STRIDE_KEY = "tconv_stride"
PADDING_KEY = "tconv_padding"
OUTPUT_PADDING_KEY = "tconv_output_padding"
PIXEL_KEY = "tconv_pixel"
EXPLORER_KEY = "tconv_explorer"
SECTION_KEY = "transposed"

SETTINGS: dict[str, url_state.Param] = {
    SIZE_KEY: url_state.Int(7, 1, MAX_SIZE),
    KERNEL_KEY: url_state.Int(3, 1, 5),
    STRIDE_KEY: url_state.Int(2, 1, 3),
    PADDING_KEY: url_state.Choice("same", ["valid", "same"]),
    OUTPUT_PADDING_KEY: url_state.Choice("none", OUTPUT_PADDINGS),
    PIXEL_KEY: url_state.Int(0, 0, MAX_SIZE * MAX_SIZE - 1),
}
LABELS = {
    # Names of their own: the browser names a slider by its label, and a search for the
    # convolution's "Input size I", "Kernel size K" or "Stride S" must find those sliders alone.
    SIZE_KEY: "Input width I",
    KERNEL_KEY: "Kernel width K",
    STRIDE_KEY: "Stamp spacing S (stride)",
    PADDING_KEY: "Padding",
    OUTPUT_PADDING_KEY: "Output padding",
    PIXEL_KEY: "Input pixel (number, in reading order)",
}
HELP = {
    SIZE_KEY: "Width = height of the small input, in pixels.",
    KERNEL_KEY: "The stamp is K×K.",
    STRIDE_KEY: "How far apart two neighbouring input pixels' stamps land on the output.",
    OUTPUT_PADDING_KEY: "Keras's output_padding: extra rows at the end, to pick one of the sizes a strided "
    "Conv2D maps back to I. It must be smaller than the stride.",
}


def transposed_section() -> None:
    """Heading and the idea in two sentences, then the explorer (a fragment of its own), in a
    container keyed ``transposed`` (class ``st-key-transposed`` in the browser)."""
    with st.container(key=SECTION_KEY):
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
    """The explorer, drawn in the browser; then the Keras layer of its settled settings."""
    explorers.explorer("transposed", EXPLORER_KEY, SETTINGS, explorer_data)
    state = st.session_state
    output_padding = state[OUTPUT_PADDING_KEY]
    st.markdown("**The same layer in Keras** (it follows the controls once they rest):")
    st.code(
        shapes.transposed_layer_code(
            state[KERNEL_KEY],
            state[STRIDE_KEY],
            state[PADDING_KEY],
            None if output_padding == "none" else int(output_padding),
        ),
        language="python",
        wrap_lines=True,
    )
    url_state.sync(SETTINGS)  # a fragment run does not pass through bind()


def explorer_data() -> dict[str, Any]:
    """What the browser draws from: labels, hidden controls, bounds, help texts and colours."""
    return {
        "labels": LABELS,
        "hidden": sorted(url_state.hidden_keys()),
        "exact": url_state.exact_entry(),
        **_fixed_data(),
    }


@functools.cache
def _fixed_data() -> dict[str, Any]:
    return {
        "bounds": explorers.bounds(SETTINGS),
        "help": HELP,
        "output_paddings": OUTPUT_PADDINGS,
        "colours": {
            "window": vega.WINDOW_COLOUR,
            "pixel": ROLE_COLOURS["image pixel"],
            "stamp": STAMP_COLOUR,
            "cover": COVER_RANGE,
        },
    }
