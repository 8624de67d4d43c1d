"""Questions on a layer's parameter count: a Conv2D, or a Dense layer after a Flatten.

Level 1: Conv2D 3×3 on one grey channel. 2: several input channels. 3: 1×1/5×5 kernels or a
Dense layer after a small Flatten. 4: the size, stride and padding given (they do not matter),
Dense after 7×7×C. 5: no bias (BatchNorm follows), or Dense after conv + pool.
The count is a row of ``models.summarize``, on a ModelConfig cut from the question's setting.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from .. import layer_shapes, models, shapes
from .latex import latex_text
from .question import MAX_LEVEL, Answer
from .shape import layer_code, stack_code


def make(rng: random.Random, level: int) -> tuple[str, dict[str, Any], str]:
    """A question's prompt, setting (layer, row, config and, for a conv, stride and padding) and code."""
    layer = "conv" if level <= 2 else rng.choice(("conv", "dense"))
    if layer == "conv":
        return _conv(rng, level)
    units = rng.choice((10, 32, 64, 128, 256))
    if level == MAX_LEVEL:
        return _dense_after_conv(rng, units)
    return _dense_after_flatten(rng, level, units)


def _config(
    size: int,
    channels: int,
    dense: int,
    filters: int = 0,
    kernel: int = 0,
    batch_norm: bool = False,
    padding: str = "same",
    pool: str = "none",
) -> dict[str, Any]:
    """The ModelConfig fields a question is cut from (``filters`` 0: no conv block)."""
    return dict(
        input_size=size,
        channels=channels,
        filters=filters,
        kernel_size=kernel,
        batch_norm=batch_norm,
        padding=padding,
        pool=pool,
        dense=dense,
    )


def _conv(rng: random.Random, level: int) -> tuple[str, dict[str, Any], str]:
    kernel = 3 if level <= 2 else rng.choice((1, 3, 5))
    channels = 1 if level == 1 else rng.choice((3, 8, 16, 24, 32))
    filters = rng.choice((8, 16, 24, 32)) if level == 1 else rng.choice((16, 24, 32, 36, 48, 64))
    size = 28 if level <= 3 else rng.choice((14, 28, 32, 64, 224))
    stride = 1 if level <= 3 else rng.choice((1, 2))
    padding = "same" if level <= 3 else rng.choice(("same", "valid"))
    bias = not (level == MAX_LEVEL and rng.random() < 0.5)
    code = (
        shapes.conv_layer_code(size, kernel, stride, padding, filters=filters, use_bias=bias)
        + f"  # on an input of shape ({size}, {size}, {channels})"
    )
    config = _config(size, channels, 10, filters, kernel, batch_norm=not bias)
    prompt = (
        f"How many parameters (weights and biases) does this Conv2D layer have, on a "
        f"{size}×{size}×{channels} input?"
        + (" It has no bias (a BatchNormalization follows it)." if not bias else "")
    )
    # The code's stride and padding do not change the count; the reveal's picture uses them.
    return prompt, dict(layer="conv", row="block1_conv1", config=config, stride=stride, padding=padding), code


def _dense_after_conv(rng: random.Random, units: int) -> tuple[str, dict[str, Any], str]:
    """Dense after a conv block and pooling: the student finds the flatten size first."""
    size, channels = rng.choice((28, 28, 32)), 1
    filters, kernel = rng.choice((16, 24, 32)), 3
    padding = rng.choice(("same", "valid"))
    config = _config(size, channels, units, filters, kernel, padding=padding, pool="max")
    stack = (
        layer_shapes.LayerSpec("conv", "conv", kernel, 1, padding, filters),
        layer_shapes.LayerSpec("pool", "pool", 2),
        layer_shapes.LayerSpec("flatten", "flatten"),
        layer_shapes.LayerSpec("dense", "dense", units=units),
    )
    prompt = f"How many parameters does the Dense({units}) layer at the end of this stack have?"
    return prompt, dict(layer="dense", row="fc1", config=config), stack_code(stack, size, channels)


def _dense_after_flatten(rng: random.Random, level: int, units: int) -> tuple[str, dict[str, Any], str]:
    side = rng.choice((2, 3, 4)) if level == 3 else rng.choice((5, 6, 7))
    channels = rng.choice((4, 8, 10)) if level == 3 else rng.choice((24, 32, 36, 64))
    config = _config(side, channels, units)
    code = (
        layer_code(layer_shapes.LayerSpec("flatten", "flatten"), side)
        + f"  # of a {side}×{side}×{channels} feature map\n"
        + layer_code(layer_shapes.LayerSpec("dense", "dense", units=units), side)
    )
    prompt = (
        f"A {side}×{side}×{channels} feature map is flattened and fed to Dense({units}). "
        "How many parameters does the Dense layer have?"
    )
    return prompt, dict(layer="dense", row="fc1", config=config), code


def _model(c: dict[str, Any]) -> models.ModelConfig:
    """The one-block (or no-block) network a question's config describes, without dropout."""
    blocks = ()
    if c["filters"]:
        blocks = (
            models.ConvBlock(
                filters=c["filters"],
                kernel_size=c["kernel_size"],
                padding=c["padding"],
                pool=c["pool"],
                batch_norm=c["batch_norm"],
            ),
        )
    return models.ModelConfig(
        blocks=blocks, dense_units=c["dense"], dropout=0.0, input_size=c["input_size"], channels=c["channels"]
    )


def _row(p: dict[str, Any]) -> models.LayerRow:
    return next(row for row in models.summarize(_model(p["config"])) if row.name == p["row"])


def answer(p: dict[str, Any]) -> Answer:
    """The asked layer's parameter count, from ``models.summarize``."""
    return _row(p).params


def explain(p: dict[str, Any], truth: Answer) -> list[str]:
    """LaTeX lines: the general count of the layer's kind, then ``models``' count with its numbers."""
    if p["layer"] == "dense":
        general = r"\text{params} = n_{in} \times n_{out} + n_{out}"
    elif p["config"]["batch_norm"]:
        general = r"\text{params} = K \times K \times C_{in} \times F\ \ (\text{no bias})"
    else:
        general = r"\text{params} = K \times K \times C_{in} \times F + F"
    return [general, r"\text{params} = " + latex_text(_row(p).params_formula)]


def slip(p: dict[str, Any], given: Answer, truth: Answer) -> str:
    """The common mistake that gives ``given`` (the biases), in a sentence, or ""."""
    if not isinstance(given, int):
        return ""
    row, cfg = _row(p), p["config"]
    if p["layer"] == "conv" and not cfg["batch_norm"] and given == row.params - cfg["filters"]:
        return f"Did you forget the biases? One per filter: + {cfg['filters']}."
    if p["layer"] == "conv" and cfg["batch_norm"] and given == row.params + cfg["filters"]:
        return "With use_bias=False there are no biases: just K × K × C_in × F."
    if p["layer"] == "dense" and given == row.params - cfg["dense"]:
        return f"Did you forget the biases? One per unit: + {cfg['dense']}."
    return ""


def rows(p: dict[str, Any]) -> list[models.LayerRow]:
    """The summary rows from the input to the asked layer; a conv's side is the code's (its stride
    and padding), which the count does not depend on."""
    all_rows = models.summarize(_model(p["config"]))
    asked = all_rows[: next(i for i, row in enumerate(all_rows) if row.name == p["row"]) + 1]
    if p["layer"] == "conv":
        cfg, conv = p["config"], asked[-1]
        side = shapes.conv_output_size(
            cfg["input_size"], cfg["kernel_size"], p.get("stride", 1), p.get("padding", cfg["padding"])
        )
        asked[-1] = replace(conv, output_shape=(side, side, conv.output_shape[2]))
    return asked
