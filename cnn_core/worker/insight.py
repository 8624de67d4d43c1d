"""Look inside a trained network: what each convolution layer sees, and where it looked.

* :func:`feature_maps`: the output of every top-level ``Conv2D`` layer for one image,
  (H, W, C) each: one map per filter.
* :func:`first_layer_filters`: the first layer's kernels, (K, K, C): what each filter looks for.
* :func:`grad_cam` and :func:`saliency`: heat maps of which pixels drove the decision, from
  gradients taken with ``tf.GradientTape`` through the public Keras 3 API.

Gradients are taken of the class *score* before the softmax (the logit) when the model ends with
``Dense(..., activation="softmax")`` or a softmax layer, as Grad-CAM prescribes: the softmax
probability of a confident answer is flat (≈ 1) and its gradient all but vanishes. Other models
are explained through their output as it is.
Works on functional and Sequential models. The results are the plain data of :mod:`cnn_core.insight`.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from ..datasets import IMAGE_SIZE, preprocess
from ..insight import ConvLayerInfo, HeatMap

# Probe models built from a user's model, kept as long as that model lives (building one costs
# tens of milliseconds; a page asks again on every rerun).
_probes: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()


def conv_layers(model: Any) -> list[Any]:
    """The model's top-level ``keras.layers.Conv2D`` layers (and subclasses), in order."""
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def describe_conv_layers(model: Any) -> list[ConvLayerInfo]:
    """A :class:`ConvLayerInfo` for each convolution layer (for captions with real numbers)."""
    infos = []
    for layer in conv_layers(model):
        in_shape = tuple(int(s) if s is not None else IMAGE_SIZE for s in layer.input.shape[1:])
        out_shape = tuple(int(s) if s is not None else IMAGE_SIZE for s in layer.output.shape[1:])
        activation = getattr(layer.activation, "__name__", str(layer.activation))
        infos.append(
            ConvLayerInfo(
                layer.name,
                int(layer.filters),
                tuple(layer.kernel_size),
                tuple(layer.strides),
                str(layer.padding),
                activation,
                in_shape,
                out_shape,
                use_bias=bool(layer.use_bias),
            )
        )
    return infos


def feature_maps(model: Any, image: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(layer name, float32 (H, W, C) activations) of every conv layer for one uint8 (28, 28) image.

    Raises ``ValueError`` when the model has no top-level Conv2D layer.
    """
    probe = _probe(model, "maps")
    outputs = probe(_batch(image), training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    names = [layer.name for layer in conv_layers(model)]
    return [(name, np.asarray(out)[0].astype(np.float32)) for name, out in zip(names, outputs)]


def first_layer_filters(model: Any) -> np.ndarray:
    """The first conv layer's kernels as float32 (K, K, C_out), for a one-channel input.

    Raises ``ValueError`` when there is no conv layer, or its input has more than one channel.
    """
    layers = conv_layers(model)
    if not layers:
        raise ValueError(_NO_CONV)
    kernel = np.asarray(layers[0].kernel.numpy() if hasattr(layers[0].kernel, "numpy") else layers[0].kernel)
    if kernel.shape[2] != 1:
        raise ValueError(
            f"The first conv layer reads {kernel.shape[2]} channels; its filters can be drawn "
            "as pictures only for a one-channel (grey) input."
        )
    return kernel[:, :, 0, :].astype(np.float32)


def grad_cam(
    model: Any, image: np.ndarray, class_index: int | None = None, layer_name: str | None = None
) -> HeatMap:
    """Grad-CAM (Selvaraju et al., 2017) for one uint8 (28, 28) image.

    With A^k the k-th map of the conv layer (the last one unless ``layer_name`` is given) and
    y_c the score of class c (the predicted class unless ``class_index`` is given):
    α_k = mean over (i, j) of ∂y_c / ∂A^k_ij, and L = ReLU(Σ_k α_k A^k), scaled to [0, 1] and
    resized to 28×28 (bilinear). A^k is the layer's output (after its own activation), at the
    layer's (h, w) resolution: the map is no finer than that grid. α_k weighs a whole map, so L
    lights every place map k fires, whether or not the class reads that place.
    """
    import tensorflow as tf

    layers = conv_layers(model)
    if not layers:
        raise ValueError(_NO_CONV)
    names = [layer.name for layer in layers]
    layer_name = layer_name or names[-1]
    if layer_name not in names:
        raise ValueError(f"No conv layer named {layer_name!r}; the model has {', '.join(names)}.")
    probe = _probe(model, "cam:" + layer_name, layer_name)
    x = tf.convert_to_tensor(_batch(image))
    with tf.GradientTape() as tape:
        maps, scores = probe(x, training=False)
        c = int(np.argmax(scores[0])) if class_index is None else int(class_index)
        target = scores[:, c]
    grads = tape.gradient(target, maps)
    if grads is None:
        raise ValueError(f"The score does not depend on layer {layer_name!r}; no Grad-CAM there.")
    weights = tf.reduce_mean(grads, axis=(1, 2))  # α_k: (1, C)
    cam = tf.nn.relu(tf.reduce_sum(maps * weights[:, None, None, :], axis=-1))[0].numpy()
    coarse = _unit(cam)
    heat = tf.image.resize(coarse[None, :, :, None], (IMAGE_SIZE, IMAGE_SIZE), "bilinear")
    return HeatMap(_unit(heat.numpy()[0, :, :, 0]), coarse, layer_name, c, "grad-cam")


def saliency(model: Any, image: np.ndarray, class_index: int | None = None) -> HeatMap:
    """Vanilla gradient saliency: |∂y_c / ∂x| per input pixel, scaled to [0, 1] (28, 28).

    Large where changing the pixel would change the class score most. The top 1% is clipped
    so one hot pixel does not wash out the rest.
    """
    import tensorflow as tf

    probe = _probe(model, "scores")
    x = tf.convert_to_tensor(_batch(image))
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = probe(x, training=False)
        c = int(np.argmax(scores[0])) if class_index is None else int(class_index)
        target = scores[:, c]
    grads = np.abs(tape.gradient(target, x).numpy()[0, :, :, 0])
    top = np.percentile(grads, 99)
    heat = _unit(np.minimum(grads, top) if top > 0 else grads)
    return HeatMap(heat, heat, "input", c, "saliency")


_NO_CONV = "The model has no Conv2D layer at its top level, so there are no feature maps to show."


def _batch(image: np.ndarray) -> np.ndarray:
    """uint8 (28, 28) -> float32 (1, 28, 28, 1) in [0, 1], as the network was trained on."""
    image = np.asarray(image)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"An image must be 28×28, not {image.shape}.")
    return preprocess(image[None])


def _unit(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] by the maximum (float32); all zeros stay zeros."""
    values = np.asarray(values, dtype=np.float32)
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _probe(model: Any, kind: str, layer_name: str | None = None) -> Any:
    """A keras.Model sharing ``model``'s weights that returns what ``kind`` needs, cached.

    "maps": every conv layer's output; "scores": the class scores (logits when the model ends in
    Dense+softmax); "cam:<layer>": that layer's output and the class scores.
    """
    import keras

    try:
        cache = _probes.setdefault(model, {})
    except TypeError:  # not weak-referenceable: build every time
        cache = {}
    if kind in cache:
        return cache[kind]
    try:
        # One input is passed as a tensor, not a list of one: Keras warns on the mismatch.
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    except (AttributeError, ValueError):
        raise ValueError("The model has no defined input; it must be functional or Sequential.") from None
    if kind == "maps":
        layers = conv_layers(model)
        if not layers:
            raise ValueError(_NO_CONV)
        probe = keras.Model(inputs, [layer.output for layer in layers])
    else:
        scores = _scores_tensor(model)
        if kind == "scores":
            probe = keras.Model(inputs, scores)
        else:
            probe = keras.Model(inputs, [model.get_layer(layer_name).output, scores])
    cache[kind] = probe
    return probe


def _scores_tensor(model: Any) -> Any:
    """The symbolic class scores: the logits before a final softmax (a Dense layer's own, or a
    Softmax / Activation("softmax") layer after it), else the model's output as it is."""
    import keras

    last = model.layers[-1]
    softmax = getattr(getattr(last, "activation", None), "__name__", "") == "softmax"
    if isinstance(last, keras.layers.Dense) and softmax:
        # Same weights, no softmax: a Dense layer's linear part applied to its own input.
        return keras.ops.matmul(last.input, last.kernel) + (last.bias if last.use_bias else 0.0)
    if isinstance(last, keras.layers.Softmax) or (isinstance(last, keras.layers.Activation) and softmax):
        return last.input
    return model.outputs[0]
