"""The shape of every layer of a plain CNN, one after the other: the tutorial network's table.

Walks a stack of :class:`LayerSpec` through :mod:`cnn_core.shapes`'s formulas (the ones the
explorers' sliders use), writing down each layer's output shape and the arithmetic that gives it.
Pure Python: no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .datasets import NUM_CLASSES
from .shapes import conv_output_size, pool_output_size
from .size_formulas import conv_size_formula, pool_size_formula


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a plain CNN, enough to compute shapes: ``kind`` is "conv", "pool",
    "flatten", "dense" or "dropout"; ``size`` is the kernel or pool size, ``units`` the
    filters of a conv or the units of a dense layer."""

    name: str
    kind: str
    size: int = 0
    stride: int | None = None
    padding: str = "valid"
    units: int = 0


@dataclass(frozen=True)
class ShapeStep:
    """A row of a shape chain: the layer, its output shape (no batch axis) and how it follows."""

    name: str
    operation: str  # e.g. "Conv2D 24 × 3×3, same"
    how: str  # the arithmetic with the numbers in it
    shape: tuple[int, ...]


# The tutorial's create_model(), as layer specs (cnn_core.models.ModelConfig() builds the same).
TUTORIAL_LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec("block1_conv1", "conv", 3, 1, "same", 24),
    LayerSpec("block1_pool", "pool", 2),
    LayerSpec("block2_conv1", "conv", 3, 1, "same", 36),
    LayerSpec("block2_pool", "pool", 2, 2),
    LayerSpec("flatten", "flatten"),
    LayerSpec("fc1", "dense", units=128),
    LayerSpec("dropout", "dropout"),
    LayerSpec("predictions", "dense", units=NUM_CLASSES),
)


def shape_chain(
    layers: Sequence[LayerSpec] = TUTORIAL_LAYERS, size: int = 28, channels: int = 1
) -> list[ShapeStep]:
    """Each layer's output shape, from the same formulas the sliders use.

    Starts with the input (size × size × channels); raises ``ValueError`` naming the layer
    whose output would be empty.
    """
    steps = [ShapeStep("input", "Input", "one grey channel", (size, size, channels))]
    flat: int | None = None
    for layer in layers:
        try:
            if layer.kind == "conv":
                stride = layer.stride or 1
                out = conv_output_size(size, layer.size, stride, layer.padding)
                how = f"{conv_size_formula(size, layer.size, stride, layer.padding)} = {out}"
                op = f"Conv2D {layer.units} × {layer.size}×{layer.size}, {layer.padding}"
                size, channels = out, layer.units
                steps.append(ShapeStep(layer.name, op, how, (size, size, channels)))
            elif layer.kind == "pool":
                stride = layer.stride or layer.size
                out = pool_output_size(size, layer.size, stride, layer.padding)
                how = f"{pool_size_formula(size, layer.size, stride, layer.padding)} = {out}"
                op = f"MaxPooling2D {layer.size}×{layer.size}, stride {stride}"
                size = out
                steps.append(ShapeStep(layer.name, op, how + " · no weights", (size, size, channels)))
            elif layer.kind == "flatten":
                flat = size * size * channels
                how = f"{size} × {size} × {channels} = {flat:,}"
                steps.append(ShapeStep(layer.name, "Flatten", how, (flat,)))
            elif layer.kind == "dense":
                if flat is None:
                    raise ValueError("a Dense layer needs a Flatten before it here.")
                flat = layer.units
                steps.append(ShapeStep(layer.name, f"Dense {layer.units}", "one value per unit", (flat,)))
            elif layer.kind == "dropout":
                steps.append(
                    ShapeStep(layer.name, "Dropout", "same shape (only in training)", steps[-1].shape)
                )
            else:
                raise ValueError(f"unknown layer kind {layer.kind!r}.")
        except ValueError as exc:
            raise ValueError(f"{layer.name}: {exc}") from None
    return steps
