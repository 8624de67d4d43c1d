"""Convolution: formula (1.1) with the learner's own numbers. Never loads TensorFlow.

The explorer (the controls, the formula, the window sliding, a real feature map) is drawn in the
browser (``ui/explorers/convolution.js``): a slider step costs the server nothing. Python sends
what it draws from, and writes what follows from the settled settings: the Keras line and the link.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import streamlit as st

from cnn_core import formulas, kernels, layer_shapes, shapes, size_formulas
from cnn_core.datasets import DATASET_NAMES, IMAGE_SIZE, NUM_CLASSES
from cnn_core.figures import vega
from cnn_core.figures.convolution import IMAGE_EDGE_COLOUR, ROLE_COLOURS
from ui import explorers, quiz, transposed, url_state
from ui.common import current_dataset_name

PADDING_LABELS = {"valid": "valid (no zeros)", "same": "same", "explicit": "explicit P"}
PLAY_SPEEDS = (1, 2, 5, 10, 25, 50)  # windows per second offered to Play (50: a 28×28 input in 14 s)
MAX_KERNEL = 7  # the largest kernel the explorer offers
# Each setting's key is also its URL parameter; the explorer's key holds its report.
SIZE_KEY = "conv_size"
KERNEL_KEY = "conv_kernel"
STRIDE_KEY = "conv_stride"
PADDING_MODE_KEY = "conv_padding_mode"
PAD_KEY = "conv_pad"
DILATION_KEY = "conv_dilation"
STEP_KEY = "conv_step"
FILTER_KEY = "conv_filter"
DATASET_KEY = "conv_dataset"
CLASS_KEY = "conv_class"
EXAMPLE_KEY = "conv_example"
EXPLORER_KEY = "conv_explorer"

SETTINGS: dict[str, url_state.Param] = {
    SIZE_KEY: url_state.Int(7, 3, IMAGE_SIZE),
    KERNEL_KEY: url_state.Int(3, 1, MAX_KERNEL),
    STRIDE_KEY: url_state.Int(1, 1, 4),
    PADDING_MODE_KEY: url_state.Choice("valid", list(PADDING_LABELS)),
    PAD_KEY: url_state.Int(1, 0, 4),
    DILATION_KEY: url_state.Int(1, 1, 4),
    STEP_KEY: url_state.Int(0, 0, IMAGE_SIZE * IMAGE_SIZE * 4),  # room for every window position
    FILTER_KEY: url_state.Choice(kernels.KERNEL_NAMES[0], list(kernels.KERNEL_NAMES)),
    DATASET_KEY: url_state.Choice(current_dataset_name(), list(DATASET_NAMES)),
    CLASS_KEY: url_state.Int(0, 0, NUM_CLASSES - 1),
    EXAMPLE_KEY: url_state.Int(0, 0, explorers.EXAMPLES_PER_CLASS - 1),
}
LABELS = {
    SIZE_KEY: "Input size I",
    KERNEL_KEY: "Kernel size K",
    STRIDE_KEY: "Stride S",
    PADDING_MODE_KEY: "Padding",
    PAD_KEY: "Explicit P",
    DILATION_KEY: "Dilation D",
    STEP_KEY: "Window position",
    FILTER_KEY: "Kernel",
    DATASET_KEY: "Dataset",
    CLASS_KEY: "Class",
    EXAMPLE_KEY: "Example",
}
HELP = {
    SIZE_KEY: "Width = height of the input, in pixels.",
    KERNEL_KEY: "The kernel is K×K weights.",
    STRIDE_KEY: "How many pixels the window moves per step.",
    PAD_KEY: "Rows (and columns) of zeros added on every side; used when Padding is 'explicit P'.",
    DILATION_KEY: "Gaps between the kernel's taps: D = 1 is a normal kernel.",
    EXAMPLE_KEY: "Which test image of that class.",
}


@dataclass(frozen=True)
class Conv:
    """The convolution the learner settled on; sizes in pixels."""

    size: int
    kernel: int
    stride: int
    dilation: int
    padding: shapes.Padding  # as shapes takes it: "valid", "same" or P

    @property
    def args(self) -> tuple[int, int, int, shapes.Padding, int]:
        """(size, kernel, stride, padding, dilation), the order cnn_core.shapes takes them in."""
        return self.size, self.kernel, self.stride, self.padding, self.dilation


def render() -> None:
    intro()
    if quiz.page_quiz("convolution"):
        return  # the quiz hides the explorer: nothing is worked out before the answer
    url_state.bind(SETTINGS)
    explorer()
    chain_col, slip_col = st.columns([1.3, 1], gap="large")
    with chain_col:
        tutorial_network()
    with slip_col:
        tutorial_slip()
    transposed.transposed_section()


def intro() -> None:
    st.title("Convolution: how big is the output?")
    st.markdown(
        "Move the sliders and watch the **kernel window** slide over the padded input: each "
        "position it stops at makes one output pixel, so the number of positions is the output size "
        "of formula (1.1)."
    )


@st.fragment
def explorer() -> None:
    """The explorer, drawn in the browser; then what its settled settings give: the Keras layer
    and the link. Its report reruns this fragment only."""
    explorers.explorer("convolution", EXPLORER_KEY, SETTINGS, explorer_data)
    st.markdown("**The same layer in Keras** (it follows the sliders once they rest):")
    # Where Keras refuses the settings, the code says so under the line (never a line to copy).
    st.code(shapes.conv_layer_code(*settled().args), language="python", wrap_lines=True)
    url_state.sync(SETTINGS)  # a fragment run does not pass through bind()
    # The link carries the transposed section's settings too.
    url_state.share_box({**SETTINGS, **transposed.SETTINGS}, {**LABELS, **transposed.LABELS}, lazy=True)


def settled() -> Conv:
    """The convolution in the session's settings (the explorer's last report, or the link's)."""
    state = st.session_state
    mode = state[PADDING_MODE_KEY]
    return Conv(
        size=state[SIZE_KEY],
        kernel=state[KERNEL_KEY],
        stride=state[STRIDE_KEY],
        dilation=state[DILATION_KEY],
        padding=state[PAD_KEY] if mode == "explicit" else mode,
    )


def explorer_data() -> dict[str, Any]:
    """What the browser draws from: the shared part (labels, hidden controls, images), the bounds,
    help texts, every kernel at every size, and the figure's colours."""
    return {**explorers.shared_data(LABELS), **_fixed_data()}


@functools.cache
def _fixed_data() -> dict[str, Any]:
    return {
        "bounds": explorers.bounds(SETTINGS),
        "help": HELP,
        "padding_labels": list(PADDING_LABELS.items()),
        "play_speeds": list(PLAY_SPEEDS),
        "kernel_names": list(kernels.KERNEL_NAMES),
        "kernel_notes": dict(kernels.KERNEL_NOTES),
        "kernels": {
            name: {str(k): kernels.named_kernel(name, k).tolist() for k in range(1, MAX_KERNEL + 1)}
            for name in kernels.KERNEL_NAMES
        },
        "colours": {"roles": ROLE_COLOURS, "window": vega.WINDOW_COLOUR, "image_edge": IMAGE_EDGE_COLOUR},
    }


def tutorial_network() -> None:
    """The tutorial's network as a table of shapes, each with its arithmetic."""
    st.subheader("The tutorial's network, shape by shape")
    chain = layer_shapes.shape_chain()
    st.table(formulas.shape_chain_table(chain))
    st.caption(formulas.shape_chain_caption(chain))


def set_case(pad: int) -> None:
    """Put the tutorial's example (K = 3, stride 1, explicit padding ``pad``) on the sliders."""
    st.session_state.update(
        {
            SIZE_KEY: IMAGE_SIZE,
            KERNEL_KEY: 3,
            STRIDE_KEY: 1,
            DILATION_KEY: 1,
            PADDING_MODE_KEY: "explicit",
            PAD_KEY: pad,
        }
    )


def tutorial_slip() -> None:
    """The tutorial's "padding 2 keeps the size" put in its own formula, and buttons that show both."""
    st.subheader("A slip in the tutorial")
    with st.container(border=True):
        st.markdown(
            "The tutorial says a 3×3 kernel with **padding 2** keeps the size. Put its numbers "
            "in its own formula:"
        )
        st.latex(size_formulas.tutorial_size_latex(IMAGE_SIZE, 3, 1, 2, compared_to=IMAGE_SIZE))
        st.markdown(
            "Padding 2 **grows** the image by 2. At stride 1 the size stays the same when "
            "$2P = K - 1$, that is $P = (K-1)/2$: **P = 1** for K = 3, P = 2 for K = 5. "
            "For an even K, (K − 1)/2 is not whole, which is why 'same' pads one zero more "
            "after the image than before it."
        )
        b1, b2 = st.columns(2)
        b1.button(
            "Show P = 2",
            on_click=set_case,
            args=(2,),
            icon=":material/error:",
            help="The tutorial's setting on the sliders: I = 28, K = 3, S = 1, P = 2.",
        )
        b2.button(
            "Show P = 1",
            on_click=set_case,
            args=(1,),
            icon=":material/check:",
            help="The rule's setting: I = 28, K = 3, S = 1, P = 1.",
        )


render()
