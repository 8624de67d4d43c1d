"""Convolution: formula (1.1) with the learner's own numbers. Never loads TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnn_core import formulas, kernels, shapes
from cnn_core.datasets import CLASS_NAMES, DATASET_NAMES, DATASET_TITLES, IMAGE_SIZE
from cnn_core.figures import convolution as convolution_figures
from cnn_core.figures import vega
from ui import dataset_upload, quiz, transposed, url_state
from ui.common import current_dataset_name

PADDING_LABELS = {"valid": "valid (no zeros)", "same": "same", "explicit": "explicit P"}
PLAY_SPEEDS = (1, 2, 5, 10, 25, 50)  # windows per second offered to Play (50: a 28×28 input in 16 s)
EXAMPLES = 10  # how many test images of each class the example slider offers
KERNEL_FRAME = 7  # the largest kernel: every smaller one is drawn in the same box (one chart, new data)

SETTINGS: dict[str, url_state.Param] = {
    "conv_size": url_state.Int(7, 3, IMAGE_SIZE),
    "conv_kernel": url_state.Int(3, 1, KERNEL_FRAME),
    "conv_stride": url_state.Int(1, 1, 4),
    "conv_padding_mode": url_state.Choice("valid", list(PADDING_LABELS)),
    "conv_pad": url_state.Int(1, 0, 4),
    "conv_dilation": url_state.Int(1, 1, 4),
    "conv_step": url_state.Int(0, 0, IMAGE_SIZE * IMAGE_SIZE * 4),  # room for every window position
    "conv_filter": url_state.Choice(kernels.KERNEL_NAMES[0], list(kernels.KERNEL_NAMES)),
    "conv_dataset": url_state.Choice(current_dataset_name(), list(DATASET_NAMES)),
    "conv_class": url_state.Int(0, 0, 9),
    "conv_example": url_state.Int(0, 0, EXAMPLES - 1),
}
LABELS = {
    "conv_size": "Input size I", "conv_kernel": "Kernel size K", "conv_stride": "Stride S",
    "conv_padding_mode": "Padding", "conv_pad": "Explicit P",
    "conv_dilation": "Dilation D", "conv_step": "Window position", "conv_filter": "Kernel",
    "conv_dataset": "Dataset", "conv_class": "Class", "conv_example": "Example",
}


@dataclass(frozen=True)
class Conv:
    """The convolution the sliders describe; sizes in pixels."""

    size: int
    kernel: int
    stride: int
    dilation: int
    mode: str  # "valid", "same" or "explicit"
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
    """Everything the settings change, in one fragment: a slider reruns this part only, so the
    page's fixed text and the lesson's header and footer are not rebuilt on each move."""
    conv = controls()
    try:
        arithmetic, problem = shapes.conv_arithmetic(*conv.args), ""
    except ValueError as exc:
        arithmetic, problem = None, str(exc)
    st.subheader("Formula (1.1), with your numbers")
    formula_col, notes_col = st.columns([1, 1.1], gap="large")
    with formula_col:
        if arithmetic is not None:
            formula(arithmetic)
        else:
            no_output(conv, problem)
    with notes_col:
        notes(conv, arithmetic)
    st.subheader("Watch the window slide")
    if arithmetic is None:
        st.info("Fix the settings above to see the window.", icon=":material/grid_off:")
    else:
        sliding_window(conv, arithmetic)
    feature_map(conv)
    url_state.sync(SETTINGS)  # a fragment run does not pass through bind()
    # Built only while open (sliders rerun often); the link carries the transposed section's settings too.
    url_state.share_box({**SETTINGS, **transposed.SETTINGS}, {**LABELS, **transposed.LABELS}, lazy=True)


def controls() -> Conv:
    """The sliders of the convolution (each hidden when the link says so), and what they set."""
    with st.container(border=True):
        c1, c2, c3, c4, c4b, c5 = st.columns([1, 1, 1, 1.25, 1, 1])
        with c1:
            url_state.slider(LABELS["conv_size"], "conv_size", SETTINGS, help="Width = height of the input, in pixels.")
        with c2:
            url_state.slider(LABELS["conv_kernel"], "conv_kernel", SETTINGS, help="The kernel is K×K weights.")
        with c3:
            url_state.slider(LABELS["conv_stride"], "conv_stride", SETTINGS, help="How many pixels the window moves per step.")
        with c4:
            if url_state.shown("conv_padding_mode"):
                st.radio(LABELS["conv_padding_mode"], list(PADDING_LABELS), key="conv_padding_mode",
                         format_func=PADDING_LABELS.get)
        with c4b:
            url_state.slider(
                LABELS["conv_pad"], "conv_pad", SETTINGS, disabled=st.session_state["conv_padding_mode"] != "explicit",
                help="Rows (and columns) of zeros added on every side; used when Padding is 'explicit P'.",
            )
        with c5:
            url_state.slider(LABELS["conv_dilation"], "conv_dilation", SETTINGS,
                             help="Gaps between the kernel's taps: D = 1 is a normal kernel.")
    state = st.session_state
    mode = state["conv_padding_mode"]
    return Conv(
        size=state["conv_size"], kernel=state["conv_kernel"], stride=state["conv_stride"],
        dilation=state["conv_dilation"], mode=mode, padding=state["conv_pad"] if mode == "explicit" else mode,
    )


def formula(a: shapes.ConvArithmetic) -> None:
    """Formula (1.1) worked out with the learner's numbers, and the three sizes it gives."""
    for line in formulas.conv_formula(a):
        st.latex(line)
    m1, m2, m3 = st.columns(3)
    m1.metric("Output", f"{a.output}×{a.output}")
    m2.metric("Padding", f"{a.pad_before} + {a.pad_after}", help="Zeros before + after the image, on each axis.")
    m3.metric("Windows", f"{a.output * a.output}", help="Window positions = output pixels = O².")


def no_output(conv: Conv, problem: str) -> None:
    """Settings Keras refuses, or that leave no output: the reason, and the formula that shows it."""
    st.error(problem, icon=":material/block:")
    latex, words = formulas.conv_no_output(*conv.args)
    if latex:
        st.latex(latex)
    st.markdown(words)


def notes(conv: Conv, a: shapes.ConvArithmetic | None) -> None:
    """Beside the formula: the floor, dilation and 'same' explained, then the Keras layer."""
    if a is not None:
        if a.exact:
            st.success(formulas.exact_note(a), icon=":material/check_circle:")
        else:
            st.warning(formulas.floor_note(a), icon=":material/crop:")
    if conv.dilation > 1:
        st.markdown(formulas.dilation_note(conv.kernel, conv.dilation))
    if conv.mode == "same" and a is not None:
        st.markdown(formulas.conv_same_note(a))
    if conv.mode == "explicit":
        st.caption(
            "Keras's `Conv2D` has no numeric padding: write `ZeroPadding2D(P)` followed by "
            "`Conv2D(..., padding='valid')`."
        )
    # Where Keras refuses the settings, the code says so under the line (never a line to copy).
    st.code(shapes.conv_layer_code(*conv.args), language="python", wrap_lines=True)


def sliding_window(conv: Conv, a: shapes.ConvArithmetic) -> None:
    """Play, speed and jump controls, then the window over the padded input (a timed fragment)."""
    positions = a.output**2
    # The output may have shrunk since the last run: keep the step inside it.
    st.session_state["conv_step"] = min(st.session_state.get("conv_step", 0), positions - 1)
    play_col, speed_col, jump_col = st.columns([1, 1.3, 1], vertical_alignment="center")
    playing = play_col.toggle(
        "Play: slide the window", key="conv_play", disabled=positions == 1,
        help="Moves the window row by row at the speed beside. Switch off to stop: nothing "
        "reruns while it is off.",
    )
    playing = playing and positions > 1
    with speed_col:
        speed = url_state.select_slider(
            "Play speed (windows per second)", PLAY_SPEEDS, "conv_speed", value=2,
            help=f"At {PLAY_SPEEDS[-1]} windows per second the {a.output}×{a.output} output takes "
            f"{positions / PLAY_SPEEDS[-1]:.0f} s; faster speeds move several windows per redraw.",
        )
    tick_s, per_tick = shapes.play_schedule(speed)

    def jump_to_row_end() -> None:
        st.session_state["conv_step"] = shapes.end_of_row(st.session_state["conv_step"], a.output)

    jump_col.button(
        "Jump to the end of the row", icon=":material/last_page:", on_click=jump_to_row_end,
        disabled=a.output == 1, help="The last window of this row; pressed again, of the next row.",
    )

    def window_view() -> None:
        if playing:
            st.session_state["conv_step"] = shapes.play_step(st.session_state["conv_step"], positions, per_tick)
        if positions > 1:
            url_state.slider("Window position (output cell number, in reading order)", "conv_step", SETTINGS,
                             max_value=positions - 1)
        step = st.session_state["conv_step"]
        row, col = divmod(step, a.output)
        windows = shapes.window_positions(*conv.args)
        st.markdown(formulas.window_sentence(a, row, col, windows[row], windows[col]))
        st.vega_lite_chart(convolution_figures.conv_window_chart(*conv.args, step), width="content",
                           alt=convolution_figures.conv_window_description(*conv.args, step))

    # Reruns on a timer only while playing. Streamlit stops a fragment's timer only when the
    # fragment is no longer drawn (drawn again with run_every=None it keeps ticking), so with
    # Play off the view is a fragment of another name.
    @st.fragment(run_every=tick_s)
    def ticking_window() -> None:
        window_view()

    @st.fragment
    def still_window() -> None:
        window_view()

    (ticking_window if playing else still_window)()


def feature_map(conv: Conv) -> None:
    """One filter of a Conv2D layer on a real test image, with the settings above."""
    st.subheader("A real feature map")
    st.markdown(
        "Pick an image and a kernel: the output is what **one filter** of a Conv2D layer computes "
        "(no bias, no activation), with the kernel size, stride, padding and dilation set above. "
        f"The image is always {IMAGE_SIZE}×{IMAGE_SIZE}, whatever the input-size slider says."
    )
    pick1, pick2, pick3, pick4 = st.columns([1, 1, 1.4, 1.2])
    with pick1:
        if url_state.shown("conv_dataset"):
            st.radio(LABELS["conv_dataset"], list(DATASET_NAMES), key="conv_dataset", format_func=DATASET_TITLES.get)
    x_test, y_test = dataset_upload.test_images(st.session_state["conv_dataset"])
    class_names = CLASS_NAMES[st.session_state["conv_dataset"]]
    with pick2:
        if url_state.shown("conv_class"):
            st.selectbox(LABELS["conv_class"], range(10), key="conv_class", format_func=lambda c: class_names[c])
    with pick3:
        url_state.slider(LABELS["conv_example"], "conv_example", SETTINGS, help="Which test image of that class.")
    with pick4:
        if url_state.shown("conv_filter"):
            st.selectbox(LABELS["conv_filter"], kernels.KERNEL_NAMES, key="conv_filter")

    label, example, filter_name = st.session_state["conv_class"], st.session_state["conv_example"], st.session_state["conv_filter"]
    candidates = np.flatnonzero(y_test == label)
    if len(candidates) == 0:
        st.warning(f"This dataset has no test image of class {class_names[label]}.")
        return
    image = x_test[candidates[example % len(candidates)]]
    weights = kernels.named_kernel(filter_name, conv.kernel)
    try:
        # Scaled to [0, 1] here, at the point of use, as the network would see it.
        feature = kernels.convolve2d(image / 255.0, weights, conv.stride, conv.padding, conv.dilation)
    except ValueError as exc:
        st.error(f"On the {IMAGE_SIZE}×{IMAGE_SIZE} image: {exc}", icon=":material/block:")
        return
    k_col, img_col = st.columns([1, 3], gap="large")
    with k_col:
        st.vega_lite_chart(
            convolution_figures.kernel_chart(weights, f"{filter_name}, {conv.kernel}×{conv.kernel}", frame=KERNEL_FRAME), width="content",
            alt=convolution_figures.kernel_description(weights, f"{filter_name} kernel, {conv.kernel}×{conv.kernel}"),
        )
        st.caption(kernels.KERNEL_NOTES[filter_name].capitalize() + ".")
        if conv.kernel == 1 and "edge" in filter_name:
            st.caption("A 1×1 kernel sees one pixel: it cannot compare neighbours, so it finds no edges.")
    with img_col:
        out = feature.shape[0]
        # Two charts, not one: the input's stays as it is (nothing to redraw) when only the
        # convolution's settings change.
        with st.container(horizontal=True, gap="large"):
            st.vega_lite_chart(
                vega.image_chart(image, f"Input (“{class_names[label]}”): {IMAGE_SIZE}×{IMAGE_SIZE}×1", name="input"),
                width="content", alt=vega.map_description(image, f"Input image of a {class_names[label]}"),
            )
            st.vega_lite_chart(
                vega.framed_map_chart(feature, f"Feature map: {out}×{out}×1", frame=IMAGE_SIZE, name="feature"),
                width="content", alt=vega.map_description(feature, f"Feature map of the {filter_name} kernel"),
            )
        st.caption(formulas.feature_map_caption(IMAGE_SIZE, feature))


def tutorial_network() -> None:
    """The tutorial's network as a table of shapes, each with its arithmetic."""
    st.subheader("The tutorial's network, shape by shape")
    chain = shapes.shape_chain()
    st.table(formulas.shape_chain_table(chain))
    st.caption(formulas.shape_chain_caption(chain))


def set_case(pad: int) -> None:
    """Put the tutorial's example (K = 3, stride 1, explicit padding ``pad``) on the sliders."""
    st.session_state.update(
        conv_size=IMAGE_SIZE, conv_kernel=3, conv_stride=1, conv_dilation=1, conv_padding_mode="explicit", conv_pad=pad
    )


def tutorial_slip() -> None:
    """The tutorial's "padding 2 keeps the size" put in its own formula, and buttons that show both."""
    st.subheader("A slip in the tutorial")
    with st.container(border=True):
        st.markdown(
            "The tutorial says a 3×3 kernel with **padding 2** keeps the size. Put its numbers "
            "in its own formula:"
        )
        st.latex(r"O = \dfrac{28 - 3 + 2 \cdot 2}{1} + 1 = 30 \neq 28")
        st.markdown(
            "Padding 2 **grows** the image by 2. At stride 1 the size stays the same when "
            "$2P = K - 1$, that is $P = (K-1)/2$: **P = 1** for K = 3, P = 2 for K = 5. "
            "For an even K, (K − 1)/2 is not whole, which is why 'same' pads one zero more "
            "after the image than before it."
        )
        b1, b2 = st.columns(2)
        b1.button("Show P = 2", on_click=set_case, args=(2,), icon=":material/error:",
                  help="The tutorial's setting on the sliders: I = 28, K = 3, S = 1, P = 2.")
        b2.button("Show P = 1", on_click=set_case, args=(1,), icon=":material/check:",
                  help="The rule's setting: I = 28, K = 3, S = 1, P = 1.")


render()
