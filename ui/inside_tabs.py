"""The Predictions page's Draw and Look inside tabs: the network on the learner's own drawing or
photo (prepared as MNIST's digits were), and what its layers and filters respond to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from cnn_core import datasets, drawn_digit, evaluation, insight, shapes, size_formulas
from cnn_core.figures import insight as insight_figures
from cnn_core.figures import mpl
from cnn_core.protocol import ModelRef, WorkerError
from ui import predictions_model, url_state, worker

DRAWING_KEY = "predictions_drawing"  # the 28×28 uint8 the network last saw from the canvas/photo
PHOTO_KEY = "pred_photo"  # the photo uploader of Draw a digit
CANVAS_KEY = "pred_canvas"  # the drawing canvas
INSIDE_SOURCE_KEY = "pred_inside_source"  # Look inside: a test image or the drawing
INSIDE_INDEX_KEY = "pred_inside_index"  # Look inside: the test image studied; also its URL parameter
HEAT_METHOD_KEY = "pred_heat_method"  # Grad-CAM or saliency; also its URL parameter
HEAT_CLASS_KEY = "pred_heat_class"  # the class the heat map explains
PHOTO_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp"]
CANVAS_PX = 280  # the drawing canvas's side: ten screen pixels per image pixel
STROKE_PX = 18  # the pen's width on the canvas, about a pen stroke of an MNIST digit
# Drawn as MNIST is written: white ink on black.
INK_COLOUR, CANVAS_COLOUR = "#FFFFFF", "#000000"
HEAT_METHODS = {"grad-cam": "Grad-CAM", "saliency": "Saliency (gradient)"}
HEAT_METHOD = url_state.Choice("grad-cam", list(HEAT_METHODS))  # the method's URL parameter
MAX_CANDIDATES = 500  # test images offered in Look inside's list
MAPS_SHOWN = 48  # feature maps drawn per layer at most


# --- Draw your own -------------------------------------------------------------------------------


def draw_tab(model: ModelRef, data: datasets.Dataset) -> None:
    """Draw or upload, then the network's answer and how the picture was prepared for it."""
    draw_intro(data)
    left, right = st.columns([1, 1.5], gap="large")
    with left:
        st.space("small")  # the canvas's toolbar floats above it: keep it off the text
        drawn = canvas_image()
        photo = st.file_uploader(
            "…or upload a photo of one",
            type=PHOTO_TYPES,
            key=PHOTO_KEY,
            max_upload_size=int(drawn_digit.MAX_FILE_BYTES / 2**20),
            help="Dark ink on light paper, or light on dark: both work. Crop it roughly to the digit.",
        )
    source, what_read = (photo.getvalue(), "your photo") if photo is not None else (drawn, "your drawing")
    with right:
        if source is None:
            st.info(
                "Draw on the black square (the picture updates when you lift the mouse).",
                icon=":material/draw:",
            )
            return
        read = read_drawing(model, source)
        if read is None:
            return
        st.session_state[DRAWING_KEY] = read.prepared.image
        the_answer(read, what_read, data.class_names)
        preparation_lesson(read.prepared)
        unprepared_answer(read, data.class_names)


def draw_intro(data: datasets.Dataset) -> None:
    what = "a digit" if data.name == "mnist" else "a piece of clothing (a trouser, a bag, a shoe…)"
    n = datasets.IMAGE_SIZE
    st.markdown(
        f"Draw {what} with the mouse, or upload a photo. The network only understands pictures "
        "prepared as MNIST's were, so yours is prepared the same way first: **grey, ink on "
        f"black, cropped to the ink, scaled to fit {drawn_digit.BOX}×{drawn_digit.BOX}, centred by mass in "
        f"{n}×{n}**."
    )
    if data.name != "mnist":
        st.caption(
            "Fashion-MNIST's pictures were prepared differently (the garment fills the frame), "
            "so expect rougher answers for clothes drawn here."
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
        stroke_width=STROKE_PX,
        stroke_color=INK_COLOUR,
        background_color=CANVAS_COLOUR,
        width=CANVAS_PX,
        height=CANVAS_PX,
        drawing_mode="freedraw",
        return_image_data=True,
        key=CANVAS_KEY,
    )
    return result.image_data


@dataclass(frozen=True)
class Reading:
    """The drawing prepared as MNIST's digits were, and the network's probabilities for it and
    for the whole picture squeezed to 28×28 (shape (10,) each)."""

    prepared: drawn_digit.PreparedDigit
    probs: np.ndarray
    naive_probs: np.ndarray


def read_drawing(model: ModelRef, source: Any) -> Reading | None:
    """Prepare the picture and ask the network, or say why not (an empty canvas is no error)."""
    try:
        prepared = drawn_digit.prepare_digit(source)
        naive = drawn_digit.naive_28(source)
        probs = worker.ask("predict_image", "Asking the network…", model=model, image=prepared.image)
        naive_probs = worker.ask("predict_image", "Asking the network…", model=model, image=naive)
    except ValueError as exc:
        (st.info if "empty" in str(exc) else st.error)(str(exc), icon=":material/error:")
        return None
    except WorkerError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    return Reading(prepared, probs, naive_probs)


def the_answer(read: Reading, what_read: str, names: tuple) -> None:
    probs = read.probs
    k = int(np.argmax(probs))
    runner = int(np.argsort(probs)[-2])
    st.markdown(
        f"The network reads {what_read} as **{names[k]}** (p = {probs[k]:.0%}); "
        f"runner-up {names[runner]} ({probs[runner]:.0%})."
    )
    st.image(
        mpl.figure_png(insight_figures.digit_figure(read.prepared.image, probs, names)),
        width="content",
        alt=insight_figures.digit_description(probs, names),
    )


def preparation_lesson(prepared: drawn_digit.PreparedDigit) -> None:
    """The preparation's steps, the scale and the centre of mass with the drawing's numbers."""
    top, left, bottom, right = prepared.box
    h, w = bottom - top, right - left
    cy, cx = drawn_digit.center_of_mass(prepared.image)
    box = drawn_digit.BOX
    st.image(
        mpl.figure_png(insight_figures.preparation_figure(prepared)),
        width="stretch",
        alt=insight_figures.preparation_description(prepared),
    )
    st.latex(
        rf"\text{{scale}} = \frac{{{box}}}{{\max(\text{{width}}, \text{{height}})}} = "
        rf"\frac{{{box}}}{{\max({w}, {h})}} = {box / max(w, h):.3f}"
    )
    st.latex(
        rf"\text{{centre of mass}} = \frac{{\sum_{{ij}} x_{{ij}}\,(i, j)}}{{\sum_{{ij}} x_{{ij}}}}"
        rf" = ({cy:.2f},\ {cx:.2f})"
    )
    # What the centring aims at, and how close it got: it moves the patch by whole pixels.
    middle = drawn_digit.CENTER
    off = max(abs(cy - middle), abs(cx - middle))
    st.caption(
        f"The centring aims the centre of mass at the field's centre ({middle}, {middle}), "
        "moving the patch by whole pixels so nothing is blurred: "
        + (
            f"it lands within half a pixel of it, here {cy - middle:+.2f} rows and "
            f"{cx - middle:+.2f} columns off."
            if off <= 0.5 + 1e-9
            else f"here the patch meets the field's edge first and stays {cy - middle:+.2f} rows and "
            f"{cx - middle:+.2f} columns off."
        )
    )


def unprepared_answer(read: Reading, names: tuple) -> None:
    """What the network would answer without the preparation: the consequence."""
    k, nk = int(np.argmax(read.probs)), int(np.argmax(read.naive_probs))
    p, naive = read.probs, read.naive_probs
    n = datasets.IMAGE_SIZE
    if nk != k:
        st.markdown(
            f"Without this preparation (the whole picture squeezed to {n}×{n}) the network "
            f"would answer **{names[nk]}** ({naive[nk]:.0%}) instead of {names[k]}."
        )
    else:
        st.markdown(
            f"Without this preparation (the whole picture squeezed to {n}×{n}) it would still "
            f"answer {names[nk]} ({naive[nk]:.0%} sure, against {p[k]:.0%} "
            "prepared). Draw small, in a corner, and the unprepared picture fools it."
        )


# --- Look inside ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inside:
    """One image through the network: its probabilities (10,), each convolution layer's
    description and feature maps, and the first layer's filters."""

    probs: np.ndarray
    infos: list[insight.ConvLayerInfo]
    maps: list[tuple[str, np.ndarray]]
    kernels: np.ndarray


def inside_tab(model: ModelRef, preds: evaluation.Predictions, data: datasets.Dataset) -> None:
    """An image, where the network looked to answer it, what each layer sees, and the filters."""
    names = data.class_names
    image, true_label = image_to_look_at(preds, data)
    try:
        inside = Inside(*worker.ask("inside", "Looking inside the network…", model=model, image=image))
    except (ValueError, WorkerError) as exc:
        st.warning(f"Cannot look inside this model: {exc}", icon=":material/visibility_off:")
        return
    top_left, top_right = st.columns([1, 2])
    top_left.image(
        mpl.figure_png(insight_figures.digit_figure(image, inside.probs, names, true_label)), width="content"
    )
    with top_right:
        looked = where_it_looked(model, image, inside.probs, names)
    if looked is None:
        return
    heat_lesson(*looked, inside.infos, names)
    layer_maps(inside)
    first_layer_filters(inside)


def image_to_look_at(preds: evaluation.Predictions, data: datasets.Dataset) -> tuple[np.ndarray, int | None]:
    """The learner's drawing, or a test image of the grid's filter; (28×28 uint8, true class or None)."""
    drawn = st.session_state.get(DRAWING_KEY)
    options = ["test"] + (["drawing"] if drawn is not None else [])
    which = st.radio(
        "Look at",
        options,
        horizontal=True,
        key=INSIDE_SOURCE_KEY,
        format_func={"test": "A test image", "drawing": "Your drawing"}.get,
    )
    if which == "drawing":
        return drawn, None
    i = test_image_choice(preds, data.class_names)
    return data.x_test[i], int(preds.labels[i])


def test_image_choice(preds: evaluation.Predictions, names: tuple) -> int:
    """A test image of the grid's current filter, so "most confident mistakes" can be studied."""
    how = st.session_state.get(predictions_model.FILTER_KEY, "all")
    true_class = st.session_state.get(predictions_model.CLASS_KEY, 0) if how == "true_class" else None
    candidates = evaluation.select(preds, how, true_class)[:MAX_CANDIDATES]
    if len(candidates) == 0:
        candidates = np.arange(min(len(preds), MAX_CANDIDATES))
    options = [int(c) for c in candidates]
    chosen = st.session_state.get(INSIDE_INDEX_KEY)
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
        st.session_state[INSIDE_INDEX_KEY] = options[0]
    if url_state.shown(INSIDE_INDEX_KEY):
        st.selectbox(
            f"Test image (from the grid's filter: {evaluation.FILTERS[how].lower()})",
            options,
            key=INSIDE_INDEX_KEY,
            persist_state="session",
            format_func=lambda c: (
                f"#{c} · true {names[preds.labels[c]]} · answered {names[preds.predicted[c]]} "
                f"({preds.confidence[c]:.0%})"
            ),
        )
    return st.session_state[INSIDE_INDEX_KEY]


def where_it_looked(
    model: ModelRef, image: np.ndarray, probs: np.ndarray, names: tuple
) -> tuple[str, Any, int] | None:
    """The heat map of the chosen method for the chosen class: (method, heat, class), or None
    after saying why it cannot be computed."""
    st.markdown("#### Where the network looked")
    if url_state.shown(HEAT_METHOD_KEY):
        st.segmented_control(
            "Method",
            HEAT_METHOD.options,
            key=HEAT_METHOD_KEY,
            required=True,
            persist_state="session",
            format_func=HEAT_METHODS.get,
        )
    method = st.session_state[HEAT_METHOD_KEY] or HEAT_METHOD.default
    k = int(np.argmax(probs))
    target = st.selectbox(
        "Explain the score of",
        range(len(names)),
        index=k,
        key=HEAT_CLASS_KEY,
        format_func=lambda c: f"{c} · {names[c]}" + (" (the answer)" if c == k else ""),
    )
    try:
        heat = worker.ask(
            "heat", "Computing the heat map…", model=model, image=image, method=method, target=target
        )
    except (ValueError, WorkerError) as exc:
        st.warning(str(exc))
        return None
    title = f"Grad-CAM at {heat.layer}" if method == "grad-cam" else "saliency |∂y/∂x|"
    st.image(
        mpl.figure_png(insight_figures.heatmap_figure(image, heat.heat, title)),
        width="stretch",
        alt=insight_figures.heatmap_description(heat.heat, title),
    )
    return method, heat, target


def heat_lesson(
    method: str, heat: Any, target: int, infos: list[insight.ConvLayerInfo], names: tuple
) -> None:
    """The method's formula with this model's numbers, what it tells and what it cannot."""
    if method != "grad-cam":
        st.latex(r"S_{ij} = \left|\frac{\partial y_c}{\partial x_{ij}}\right|")
        st.markdown(
            f"Bright pixels are those whose change would move the score of **{names[target]}** "
            "most. Saliency is sharp but noisy; Grad-CAM is coarse but steadier."
        )
        return
    h, w = heat.coarse.shape
    last = next(info for info in infos if info.name == heat.layer)
    n = datasets.IMAGE_SIZE
    st.latex(
        rf"\alpha_k = \frac{{1}}{{{h}\cdot{w}}}\sum_{{i,j}}\frac{{\partial y_c}}{{\partial A^k_{{ij}}}},"
        rf"\qquad L = \mathrm{{ReLU}}\Big(\sum_{{k=1}}^{{{last.filters}}} \alpha_k A^k\Big)"
        rf"\ \ ({h}\times{w}\ \to\ {n}\times {n})"
    )
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


def layer_maps(inside: Inside) -> None:
    st.markdown("#### What each convolution layer sees")
    for info, (name, fmap) in zip(inside.infos, inside.maps):
        st.markdown(conv_lesson(info))
        st.image(
            mpl.figure_png(insight_figures.feature_maps_figure(fmap, name, max_maps=MAPS_SHOWN)),
            width="stretch",
            alt=insight_figures.feature_maps_description(fmap, name, max_maps=MAPS_SHOWN),
        )
    if any(info.filters > MAPS_SHOWN for info in inside.infos):
        st.caption(f"Layers with more than {MAPS_SHOWN} filters show their first {MAPS_SHOWN} maps.")


def conv_lesson(info: insight.ConvLayerInfo) -> str:
    """The layer's output size from formula (1.1), with its own numbers."""
    size, k, s = info.input_shape[0], info.kernel_size[0], info.strides[0]
    before, after = shapes.padding_amounts(size, k, s, info.padding)
    out = shapes.conv_output_size(size, k, s, info.padding)
    return (
        f"**{info.name}**: {info.filters} filters of {k}×{k}×{info.input_shape[2]}, "
        f"padding '{info.padding}' (P = {before}+{after}): "
        f"O = {size_formulas.conv_size_formula(size, k, s, info.padding)} = **{out}**, so "
        f"{size}×{size}×{info.input_shape[2]} → "
        f"{out}×{out}×{info.filters}: one {out}×{out} map per filter (yellow = strong response)."
    )


def first_layer_filters(inside: Inside) -> None:
    """The first layer's parameter count with its numbers, and its filters' weights."""
    first = inside.infos[0]
    kh, kw = first.kernel_size
    st.markdown("#### What the first layer's filters look for")
    st.latex(
        rf"\text{{parameters}} = K \cdot K \cdot C_{{in}} \cdot C_{{out}} + C_{{out}} = "
        rf"{kh}\cdot{kw}\cdot{first.input_shape[2]}\cdot{first.filters}"
        + (rf" + {first.filters}" if first.use_bias else "")
        + rf" = {first.params:,}".replace(",", "{,}")
    )
    st.image(
        mpl.figure_png(insight_figures.filters_figure(inside.kernels)),
        width="stretch",
        alt=insight_figures.filters_description(inside.kernels),
    )
    st.markdown(
        f"Each {kh}×{kw} grid is one filter's weights: it responds where the image looks like "
        "red minus blue, e.g. a dark-to-bright edge in one direction. Its response over the "
        f"whole image is the matching map of **{first.name}** above."
    )
