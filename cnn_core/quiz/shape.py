"""Questions on a layer's output shape: a short stack of layers, its Keras code and its shapes.

Level 1: Conv2D 'same' or a 2×2 pool. 2: 'valid' convs, Flatten. 3: strides and odd sizes.
4: two layers. 5: three or four layers ending in Flatten, 'valid' paddings and floors.
Shapes are (height, width, channels) without the batch axis, or (n,) after a Flatten.
"""

from __future__ import annotations

import random
from typing import Any, Sequence

from .. import layer_shapes, models, shapes
from .latex import latex_text, shape_latex
from .question import MAX_LEVEL, Answer

_SPEC_TYPES = {"conv": "Conv2D", "pool": "MaxPooling2D", "flatten": "Flatten", "dense": "Dense"}


def make(rng: random.Random, level: int) -> tuple[str, dict[str, Any], str]:
    """A question's prompt, setting (size, channels, layers) and Keras code."""
    for _ in range(10_000):
        size = rng.choice((28, 32)) if level <= 2 else rng.randint(9, 32)
        channels = rng.choice((1, 3)) if level <= 3 else rng.choice((1, 3, 16))
        count = 1 if level <= 3 else (2 if level == 4 else rng.choice((3, 4)))
        layers = tuple(_draw_layer(rng, level, i, count) for i in range(count))
        if level == 2 and layers[0].kind == "flatten":
            size = rng.choice((4, 7, 14))
            channels = rng.choice((8, 16, 32, 36))
        try:
            steps = layer_shapes.shape_chain(layers, size, channels)
        except ValueError:
            continue
        if level == 3 or level == MAX_LEVEL:
            if all(step.shape[0] % 2 == 0 for step in steps[:-1] if len(step.shape) == 3):
                continue  # odd sizes on levels 3 and 5, so a floor is in play
        which = "this layer" if count == 1 else "the last layer"
        prompt = (
            f"What is the output shape of {which} (height × width × channels, without the "
            f"batch axis; one number after Flatten)?"
        )
        return prompt, dict(size=size, channels=channels, layers=layers), stack_code(layers, size, channels)
    raise RuntimeError("no shape question found")  # pragma: no cover


def _draw_layer(rng: random.Random, level: int, i: int, count: int) -> layer_shapes.LayerSpec:
    """Layer ``i`` of ``count``, named like the code's lines (layer1, layer2, ...)."""
    last = i == count - 1
    kind = rng.choice(
        ("conv", "pool") if level == 1 or not last or level < 5 else ("conv", "pool", "flatten")
    )
    if level == 2 and count == 1:
        kind = rng.choice(("conv", "pool", "flatten"))
    if level == MAX_LEVEL and last:
        kind = "flatten"
    name = f"layer{i + 1}"
    if kind == "conv":
        kernel = 3 if level <= 2 else rng.choice((3, 5))
        stride = 1 if level <= 2 else rng.choice((1, 2))
        padding = "same" if level == 1 else rng.choice(("same", "valid"))
        return layer_shapes.LayerSpec(name, "conv", kernel, stride, padding, rng.choice((8, 16, 32, 64)))
    if kind == "pool":
        pool = 2 if level <= 3 else rng.choice((2, 3))
        return layer_shapes.LayerSpec(name, "pool", pool, pool, "valid")
    return layer_shapes.LayerSpec(name, "flatten")


def layer_code(layer: layer_shapes.LayerSpec, size: int) -> str:
    """The Keras line of one layer of a stack, from ``shapes``' layer code; ``size`` is its input side."""
    if layer.kind == "conv":
        return shapes.conv_layer_code(size, layer.size, layer.stride or 1, layer.padding, filters=layer.units)
    if layer.kind == "pool":
        return shapes.pool_layer_code(layer.size, layer.stride or layer.size, layer.padding)
    if layer.kind == "dense":
        return f"layers.Dense({layer.units})"
    return "layers.Flatten()"


def stack_code(layers: Sequence[layer_shapes.LayerSpec], size: int, channels: int) -> str:
    """The Keras lines of a stack on a size × size × channels input: the Input, then each layer."""
    steps = layer_shapes.shape_chain(layers, size, channels)
    return "\n".join(
        [f"layers.Input(shape=({size}, {size}, {channels}))"]
        + [layer_code(layer, step.shape[0]) for layer, step in zip(layers, steps)]
    )


def answer(p: dict[str, Any]) -> Answer:
    """The last layer's output shape, from ``layer_shapes.shape_chain``."""
    return layer_shapes.shape_chain(p["layers"], p["size"], p["channels"])[-1].shape


def explain(p: dict[str, Any], truth: Answer) -> list[str]:
    """LaTeX lines, numbered like the code's layer lines: each layer's arithmetic and its shape."""
    steps = layer_shapes.shape_chain(p["layers"], p["size"], p["channels"])
    # Short enough for a phone's width.
    return [
        rf"{number}.\ {latex_text(step.how)} \Rightarrow {shape_latex(step.shape)}"
        for number, step in enumerate(steps[1:], start=1)
    ]


def slip(p: dict[str, Any], given: Answer, truth: Answer) -> str:
    """The common mistake that gives ``given``, in a sentence, or ""."""
    if isinstance(given, tuple) and isinstance(truth, tuple) and len(truth) == 3:
        if given == (truth[2], truth[0], truth[1]):
            return "That is channels first; Keras puts the channels last: (height, width, channels)."
    return ""


def rows(p: dict[str, Any]) -> list[models.LayerRow]:
    """The stack as summary rows from the input to the layer asked (no parameters counted)."""
    steps = layer_shapes.shape_chain(p["layers"], p["size"], p["channels"])
    return [models.LayerRow("input", "InputLayer", steps[0].shape, 0)] + [
        models.LayerRow(step.name, _SPEC_TYPES[layer.kind], step.shape, 0)
        for layer, step in zip(p["layers"], steps[1:])
    ]
