"""Convolution: formula (1.1) with the student's own numbers. Never loads TensorFlow.

Sliders -> cnn_core.shapes (the arithmetic), cnn_core.kernels (a real feature map in numpy),
cnn_core.grids (the figures) -> drawn here. Every slider change must rerun in well under 0.1 s
(bench/page_latency.py measures the server, bench/browser_latency.py the wait in Chromium).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn_core import grids, kernels, shapes
from cnn_core.datasets import CLASS_NAMES, DATASET_NAMES, DATASET_TITLES
from ui import url_state
from ui.common import UPLOAD_KEY, bundled_test_images, current_dataset_name

PADDING_LABELS = {"valid": "valid (no zeros)", "same": "same", "explicit": "explicit P"}
PLAY_SPEEDS = (1, 2, 5, 10, 25, 50)  # windows per second offered to Play (50: a 28×28 input in 16 s)
EXAMPLES = 10  # how many test images of each class the example slider offers
KERNEL_FRAME = 7  # the largest kernel: every smaller one is drawn in the same box (one chart, new data)

SETTINGS: dict[str, url_state.Param] = {
    "conv_size": url_state.Int(7, 3, 28),
    "conv_kernel": url_state.Int(3, 1, 7),
    "conv_stride": url_state.Int(1, 1, 4),
    "conv_padding_mode": url_state.Choice("valid", list(PADDING_LABELS)),
    "conv_pad": url_state.Int(1, 0, 4),
    "conv_dilation": url_state.Int(1, 1, 4),
    "conv_step": url_state.Int(0, 0, 28 * 28 * 4),
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


def ordinal(n: int) -> str:
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n if n < 20 else n % 10, 'th') }"


def tex_fraction(top: str, bottom: int) -> str:
    return rf"\dfrac{{{top}}}{{{bottom}}}"


# --- Controls ----------------------------------------------------------------------------------

st.title("Convolution: how big is the output?")
st.markdown(
    "Move the sliders and watch the **kernel window** slide over the padded input: each "
    "position it stops at makes one output pixel, so the number of positions is the output size "
    "of formula (1.1)."
)
url_state.bind(SETTINGS)

# --- Everything the settings change ---------------------------------------------------------------
# One fragment: a slider reruns this part only, so the page's fixed text, the tutorial's table and
# the lesson's header and footer are neither rebuilt nor sent nor redrawn by the browser on each
# move (bench/browser_latency.py measures what a student waits for).


@st.fragment
def explorer() -> None:
    """The controls, the formula, the sliding window and the feature map: all the settings drive."""
    with st.container(border=True):
        c1, c2, c3, c4, c4b, c5 = st.columns([1, 1, 1, 1.25, 1, 1])
        with c1:
            if url_state.shown("conv_size"):
                st.slider(LABELS["conv_size"], 3, 28, key="conv_size", help="Width = height of the input, in pixels.")
        with c2:
            if url_state.shown("conv_kernel"):
                st.slider(LABELS["conv_kernel"], 1, 7, key="conv_kernel", help="The kernel is K×K weights.")
        with c3:
            if url_state.shown("conv_stride"):
                st.slider(LABELS["conv_stride"], 1, 4, key="conv_stride", help="How many pixels the window moves per step.")
        with c4:
            if url_state.shown("conv_padding_mode"):
                st.radio(
                    LABELS["conv_padding_mode"], list(PADDING_LABELS), key="conv_padding_mode",
                    format_func=PADDING_LABELS.get,
                )
        with c4b:
            if url_state.shown("conv_pad"):
                st.slider(
                    LABELS["conv_pad"], 0, 4, key="conv_pad",
                    disabled=st.session_state["conv_padding_mode"] != "explicit",
                    help="Rows (and columns) of zeros added on every side; used when Padding is 'explicit P'.",
                )
        with c5:
            if url_state.shown("conv_dilation"):
                st.slider(
                    LABELS["conv_dilation"], 1, 4, key="conv_dilation",
                    help="Gaps between the kernel's taps: D = 1 is a normal kernel.",
                )

    size = st.session_state["conv_size"]
    kernel = st.session_state["conv_kernel"]
    stride = st.session_state["conv_stride"]
    dilation = st.session_state["conv_dilation"]
    mode = st.session_state["conv_padding_mode"]
    padding: shapes.Padding = st.session_state["conv_pad"] if mode == "explicit" else mode

    try:
        arithmetic = shapes.conv_arithmetic(size, kernel, stride, padding, dilation)
        problem = ""
    except ValueError as exc:
        arithmetic, problem = None, str(exc)

    # --- The formula with the student's numbers ------------------------------------------------------

    st.subheader("Formula (1.1), with your numbers")
    formula_col, notes_col = st.columns([1, 1.1], gap="large")

    with formula_col:
        k_eff = shapes.effective_kernel_size(kernel, dilation)
        k_sym = "K_{eff}" if dilation > 1 else "K"
        if arithmetic is not None:
            a = arithmetic
            if a.symmetric:
                general = rf"O = \left\lfloor \dfrac{{I - {k_sym} + 2P}}{{S}} \right\rfloor + 1"
                numbers = f"{size} - {k_eff} + 2 \\cdot {a.pad_before}"
            else:
                general = rf"O = \left\lfloor \dfrac{{I - {k_sym} + P_{{before}} + P_{{after}}}}{{S}} \right\rfloor + 1"
                numbers = f"{size} - {k_eff} + {a.pad_before} + {a.pad_after}"
            quotient = f"{a.numerator / stride:.4g}"
            steps = rf"= \left\lfloor {tex_fraction(numbers, stride)} \right\rfloor + 1"
            if not a.exact:
                steps += rf" = \lfloor {quotient} \rfloor + 1"
            steps += rf" = {a.numerator // stride} + 1 = \mathbf{{{a.output}}}"
            st.latex(general)
            st.latex(steps)
            m1, m2, m3 = st.columns(3)
            m1.metric("Output", f"{a.output}×{a.output}")
            m2.metric("Padding", f"{a.pad_before} + {a.pad_after}", help="Zeros before + after the image, on each axis.")
            m3.metric("Windows", f"{a.output * a.output}", help="Window positions = output pixels = O².")
        else:
            st.error(problem, icon=":material/block:")
            if stride > 1 and dilation > 1:
                st.markdown(
                    "Keras refuses this combination outright (`tf.nn.conv2d` alone would accept it, "
                    "but the `Conv2D` layer you write in a model does not). Set the stride or the "
                    "dilation back to 1."
                )
            else:
                before, after = shapes.padding_amounts(size, kernel, stride, padding, dilation)
                numerator = size + before + after - k_eff
                st.latex(
                    rf"O = \left\lfloor \dfrac{{{size} + {before} + {after} - {k_eff}}}{{{stride}}} \right\rfloor + 1"
                    rf" = \left\lfloor \dfrac{{{numerator}}}{{{stride}}} \right\rfloor + 1 = {numerator // stride + 1}"
                )
                st.markdown(
                    f"A size of {numerator // stride + 1} means **no output at all**: there is no "
                    f"position where the whole {k_eff}-pixel-wide kernel fits. Use a smaller kernel "
                    "or dilation, add padding, or choose 'same'."
                )


    with notes_col:
        if arithmetic is not None:
            a = arithmetic
            quotient = f"{a.numerator / stride:.4g}"
            if a.exact:
                st.success(
                    f"The division is exact ({a.numerator} / {stride} = {a.numerator // stride}): "
                    f"the last window ends on the last {'padded ' if a.same_total else ''}pixel.",
                    icon=":material/check_circle:",
                )
            else:
                parts = []
                if a.uncovered_real:
                    parts.append(f"{a.uncovered_real} real pixel{'s' * (a.uncovered_real > 1)}")
                if a.uncovered_padding:
                    parts.append(f"{a.uncovered_padding} padding zero{'s' * (a.uncovered_padding > 1)}")
                last = "column is" if a.remainder == 1 else f"{a.remainder} columns are"
                last_rows = "row" if a.remainder == 1 else "rows"
                st.warning(
                    f"**The floor matters here.** {a.numerator} / {stride} = {quotient} is not a whole "
                    f"number of steps, and there is no half window: the formula rounds down. So "
                    f"**the last {last} never covered** (and the last {last_rows} too): "
                    f"{' and '.join(parts)}, drawn purple in the grid. The tutorial's formula forgets "
                    "this floor.",
                    icon=":material/crop:",
                )
        if dilation > 1:
            st.markdown(
                f"**Dilation** spreads the {kernel}×{kernel} weights {dilation} pixels apart: "
                f"$K_{{eff}} = K + (K-1)(D-1) = {kernel} + {kernel - 1} \\cdot {dilation - 1} = {k_eff}$. "
                f"The kernel still has {kernel * kernel} weights but sees a {k_eff}×{k_eff} patch "
                "(sky-blue cells are skipped)."
            )
        if mode == "same" and arithmetic is not None:
            a = arithmetic
            target = -(-size // stride)
            st.markdown(
                f"**'same'** asks for $O = \\lceil I / S \\rceil = \\lceil {size} / {stride} \\rceil = {target}$. "
                f"That needs $P_{{total}} = \\max((O-1)S + K_{{eff}} - I,\\ 0) = "
                f"\\max({target - 1} \\cdot {stride} + {k_eff} - {size},\\ 0) = {a.same_total}$ zeros, "
                f"split {a.pad_before} before and {a.pad_after} after."
                + (
                    " The total is odd, so the split is **asymmetric**: TensorFlow puts the extra "
                    "zero after the image (bottom and right)."
                    if not a.symmetric
                    else ""
                )
                + (" 'Same' keeps the size only at stride 1." if stride > 1 else "")
            )
        if mode == "explicit":
            st.caption(
                "Keras's `Conv2D` has no numeric padding: write `ZeroPadding2D(P)` followed by "
                "`Conv2D(..., padding='valid')`."
            )

        # Where Keras refuses the settings, the code says so under the line (never a line to copy).
        st.code(shapes.conv_layer_code(size, kernel, stride, padding, dilation), language="python", wrap_lines=True)

    # --- The window sliding over the padded input ----------------------------------------------------

    st.subheader("Watch the window slide")
    if arithmetic is None:
        st.info("Fix the settings above to see the window.", icon=":material/grid_off:")
    else:
        positions = arithmetic.output**2
        # The output may have shrunk since the last run: keep the step inside it.
        st.session_state["conv_step"] = min(st.session_state.get("conv_step", 0), positions - 1)
        play_col, speed_col, jump_col = st.columns([1, 1.3, 1], vertical_alignment="center")
        playing = play_col.toggle(
            "Play: slide the window", key="conv_play", disabled=positions == 1,
            help="Moves the window row by row at the speed beside. Switch off to stop: nothing "
            "reruns while it is off.",
        )
        playing = playing and positions > 1
        speed = speed_col.select_slider(
            "Play speed (windows per second)", PLAY_SPEEDS, key="conv_speed", value=2,
            help=f"At 50 windows per second the {arithmetic.output}×{arithmetic.output} output takes "
            f"{positions / 50:.0f} s; faster speeds move several windows per redraw.",
        )
        tick_s, per_tick = shapes.play_schedule(speed)
        a_out = arithmetic.output

        def jump_to_row_end() -> None:
            st.session_state["conv_step"] = shapes.end_of_row(st.session_state["conv_step"], a_out)

        jump_col.button(
            "Jump to the end of the row", icon=":material/last_page:", on_click=jump_to_row_end,
            disabled=a_out == 1, help="The last window of this row; pressed again, of the next row.",
        )

        def window_view() -> None:
            a = arithmetic
            if playing:
                st.session_state["conv_step"] = shapes.play_step(st.session_state["conv_step"], positions, per_tick)
            if positions > 1 and url_state.shown("conv_step"):
                st.slider("Window position (output cell number, in reading order)", 0, positions - 1, key="conv_step")
            step = st.session_state["conv_step"]
            row, col = divmod(step, a.output)
            windows = shapes.window_positions(size, kernel, stride, padding, dilation)
            rows, cols = windows[row], windows[col]
            every = f" (every {ordinal(dilation)})" if dilation > 1 else ""
            st.markdown(
                f"Output cell **(row {row}, column {col})** is the sum of the {kernel * kernel} weights "
                f"times input rows {rows[0]}…{rows[-1]}{every} and columns {cols[0]}…{cols[-1]}{every}"
                + (": negative indices, and indices from "
                   f"{size} on, are padding zeros." if a.same_total else ".")
                + f" The window starts {stride} pixel{'s' * (stride > 1)} further right at each step, "
                "and drops down by the stride at the end of a row."
            )
            st.vega_lite_chart(
                grids.conv_window_chart(size, kernel, stride, padding, dilation, step), width="content"
            )

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

    # --- A real feature map --------------------------------------------------------------------------

    st.subheader("A real feature map")
    st.markdown(
        "Pick an image and a kernel: the output is what **one filter** of a Conv2D layer computes "
        "(no bias, no activation), with the kernel size, stride, padding and dilation set above. "
        "The image is always 28×28, whatever the input-size slider says."
    )
    pick1, pick2, pick3, pick4 = st.columns([1, 1, 1.4, 1.2])
    with pick1:
        if url_state.shown("conv_dataset"):
            st.radio(LABELS["conv_dataset"], list(DATASET_NAMES), key="conv_dataset", format_func=DATASET_TITLES.get)
    dataset_name = st.session_state["conv_dataset"]
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is not None and upload.name == dataset_name:
        x_test, y_test = upload.x_test, upload.y_test  # the session's own file: no loading at all
    else:
        x_test, y_test = bundled_test_images(dataset_name)
    class_names = CLASS_NAMES[dataset_name]
    with pick2:
        if url_state.shown("conv_class"):
            st.selectbox(LABELS["conv_class"], range(10), key="conv_class", format_func=lambda c: class_names[c])
    with pick3:
        if url_state.shown("conv_example"):
            st.slider(LABELS["conv_example"], 0, EXAMPLES - 1, key="conv_example", help="Which test image of that class.")
    with pick4:
        if url_state.shown("conv_filter"):
            st.selectbox(LABELS["conv_filter"], kernels.KERNEL_NAMES, key="conv_filter")

    label, example, filter_name = st.session_state["conv_class"], st.session_state["conv_example"], st.session_state["conv_filter"]
    candidates = np.flatnonzero(y_test == label)
    if len(candidates) == 0:
        st.warning(f"This dataset has no test image of class {class_names[label]}.")
    else:
        image = x_test[candidates[example % len(candidates)]]
        weights = kernels.named_kernel(filter_name, kernel)
        try:
            # Scaled to [0, 1] here, at the point of use, as the network would see it.
            feature_map = kernels.convolve2d(image / 255.0, weights, stride, padding, dilation)
        except ValueError as exc:
            st.error(f"On the 28×28 image: {exc}", icon=":material/block:")
        else:
            k_col, img_col = st.columns([1, 3], gap="large")
            with k_col:
                st.vega_lite_chart(
                    grids.kernel_chart(weights, f"{filter_name}, {kernel}×{kernel}", frame=KERNEL_FRAME), width="content"
                )
                st.caption(kernels.KERNEL_NOTES[filter_name].capitalize() + ".")
                if kernel == 1 and "edge" in filter_name:
                    st.caption("A 1×1 kernel sees one pixel: it cannot compare neighbours, so it finds no edges.")
            with img_col:
                out = feature_map.shape[0]
                strongest = float(np.abs(feature_map).max())
                # Two charts, not one: the input's stays as it is (nothing to redraw) when only the
                # convolution's settings change.
                with st.container(horizontal=True, gap="large"):
                    st.vega_lite_chart(
                        grids.image_chart(image, f"Input (“{class_names[label]}”): 28×28×1", name="input"),
                        width="content",
                    )
                    st.vega_lite_chart(
                        grids.framed_map_chart(feature_map, f"Feature map: {out}×{out}×1", frame=28, name="feature"),
                        width="content",
                    )
                st.caption(
                    f"Shape (28, 28, 1) → ({out}, {out}, 1): "
                    f"{28 * 28:,} pixels become {out * out:,} numbers. Each output pixel is drawn at the "
                    "same size as an input pixel, so you see how much the layer shrinks the image. "
                    + (f"Blue is negative, red positive, white zero; the strongest colour is ±{strongest:.3g}"
                       if (feature_map < 0).any() else f"White is 0, black is {strongest:.3g}")
                    + " (hover a pixel for its value)."
                )

    url_state.sync(SETTINGS)  # a fragment run does not pass through bind() above
    url_state.share_box(SETTINGS, LABELS, lazy=True)  # built only while open: sliders rerun often


explorer()

# --- The tutorial's network, and its slip ------------------------------------------------------------

chain_col, slip_col = st.columns([1.3, 1], gap="large")
with chain_col:
    st.subheader("The tutorial's network, shape by shape")
    chain = shapes.shape_chain()
    st.table(
        {
            "Layer": [s.name for s in chain],
            "What it does": [s.operation for s in chain],
            "Arithmetic": [s.how for s in chain],
            "Output shape": ["×".join(str(d) for d in s.shape) for s in chain],
        }
    )
    st.caption(
        " → ".join("×".join(str(d) for d in s.shape) for s in chain if s.name != "dropout")
        + ". Padding 'same' keeps 28×28; each 2×2 pooling halves it; 7×7×36 = 1,764 numbers "
        "reach the dense layers."
    )


def set_case(pad: int) -> None:
    """Put the tutorial's example (K = 3, stride 1, explicit padding ``pad``) on the sliders."""
    st.session_state.update(
        conv_size=28, conv_kernel=3, conv_stride=1, conv_dilation=1, conv_padding_mode="explicit", conv_pad=pad
    )


with slip_col:
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

