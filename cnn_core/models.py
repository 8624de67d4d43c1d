"""Describe a small CNN as data and summarise it with plain arithmetic.

``ModelConfig()`` is exactly the tutorial's ``create_model()``: Conv 24 -> max-pool -> Conv 36 ->
max-pool -> Dense 128 -> Dropout 0.5 -> Dense 10, 235,262 parameters, with the same layer names.
:func:`summarize` computes every layer's output shape, parameter count and multiply-accumulates
without TensorFlow, so the model page answers instantly; building it with Keras is the worker's
(:func:`cnn_core.worker.models.build_model`).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field, replace
from typing import Any

from . import shapes
from .size_formulas import conv_size_formula, pool_size_formula

ACTIVATIONS = ("relu", "elu", "gelu", "tanh", "sigmoid")
MIXED_POLICY = "mixed_float16"  # compute in float16, keep the weights in float32
POOLS = ("max", "average", "none")
PADDINGS = ("same", "valid")


@dataclass(frozen=True)
class ConvBlock:
    """One convolution block: ``convs`` × (Conv2D [-> BatchNorm]) then an optional pooling."""

    filters: int = 32
    kernel_size: int = 3
    padding: str = "same"
    activation: str = "relu"
    pool: str = "max"  # "max", "average" or "none"
    pool_size: int = 2
    convs: int = 1
    batch_norm: bool = False


@dataclass(frozen=True)
class ModelConfig:
    """A whole network; the defaults are the tutorial's ``create_model()``."""

    blocks: tuple[ConvBlock, ...] = (ConvBlock(filters=24), ConvBlock(filters=36))
    dense_units: int = 128
    dropout: float = 0.5
    input_size: int = 28
    channels: int = 1
    num_classes: int = 10


PRESETS: dict[str, ModelConfig] = {
    "tutorial": ModelConfig(),
    # Exercise 2 of the tutorial: one more block of 48 3×3 kernels.
    "exercise2": ModelConfig(blocks=(ConvBlock(filters=24), ConvBlock(filters=36), ConvBlock(filters=48))),
    # More accuracy per second of CPU than the tutorial's network: few filters where the image is
    # big (16 at 28×28), many where it is small (48 at 14×14), a wider dense layer, and the
    # training settings in cnn_core.training_config.TRAINING_PRESETS (7 epochs, η = 0.006 decaying
    # to 0). A run is 0.75× the Tutorial's multiply-adds. Batch normalisation, 64 filters, a third
    # block, batch 128 and flips were measured too: none paid for its time in 7 epochs
    # (bench/strong_preset.py; docs/benchmarks.md).
    "strong": ModelConfig(
        blocks=(ConvBlock(filters=16), ConvBlock(filters=48)),
        dense_units=256,
        dropout=0.4,
    ),
}
PRESET_TITLES = {
    "tutorial": "Tutorial",
    "exercise2": "Tutorial + exercise 2",
    "strong": "Strong",
}


class ModelShapeError(ValueError):
    """A configuration whose feature map shrinks to nothing; ``layer`` names the culprit."""

    def __init__(self, layer: str, message: str):
        super().__init__(f"{layer}: {message}")
        self.layer = layer


@dataclass(frozen=True)
class LayerRow:
    """One line of the model summary. ``output_shape`` excludes the batch axis."""

    name: str
    type: str
    output_shape: tuple[int, ...]
    params: int
    params_formula: str = ""
    macs: int = 0  # multiply-accumulates per image
    trainable_params: int = field(default=-1)

    def __post_init__(self) -> None:
        if self.trainable_params < 0:
            object.__setattr__(self, "trainable_params", self.params)


def summarize(config: ModelConfig) -> list[LayerRow]:
    """Every layer of ``config`` in order, with shapes, parameters and MACs per image.

    Raises :class:`ModelShapeError` when a layer would receive or produce an empty feature map,
    and ``ValueError`` for a setting outside what the layers accept (see :func:`check_config`).
    """
    check_config(config)
    size, channels = config.input_size, config.channels
    rows = [LayerRow("input", "InputLayer", (size, size, channels), 0)]
    path = [size]  # the side of the feature map after each resizing layer, for error messages
    for b, block in enumerate(config.blocks, start=1):
        for c in range(1, block.convs + 1):
            name = f"block{b}_conv{c}"
            try:
                size = shapes.conv_output_size(size, block.kernel_size, 1, block.padding)
            except ValueError:
                raise ModelShapeError(
                    name,
                    f"a {block.kernel_size}×{block.kernel_size} kernel with 'valid' padding "
                    f"does not fit in the {size}×{size} image it gets here ({_path_text(path)}): "
                    f"{conv_size_formula(size, block.kernel_size)} = {size - block.kernel_size + 1}. "
                    f"Use 'same' padding or a smaller kernel in block {b}, or fewer blocks.",
                ) from None
            if size != path[-1]:
                path.append(size)
            k, cin, cout = block.kernel_size, channels, block.filters
            bias = 0 if block.batch_norm else cout
            params = k * k * cin * cout + bias
            formula = f"{k}×{k}×{cin}×{cout}" + (f" + {cout}" if bias else "") + f" = {params:,}"
            rows.append(
                LayerRow(
                    name, "Conv2D", (size, size, cout), params, formula, size * size * k * k * cin * cout
                )
            )
            channels = cout
            if block.batch_norm:
                rows.append(
                    LayerRow(
                        f"block{b}_bn{c}",
                        "BatchNormalization",
                        (size, size, cout),
                        4 * cout,
                        f"4×{cout} = {4 * cout:,} (γ, β learnt; mean, variance tracked)",
                        size * size * cout,
                        trainable_params=2 * cout,
                    )
                )
                rows.append(LayerRow(f"block{b}_act{c}", "Activation", (size, size, cout), 0))
        if block.pool != "none":
            name = f"block{b}_pool"
            try:
                size = shapes.pool_output_size(size, block.pool_size)
            except ValueError:
                p = block.pool_size
                raise ModelShapeError(
                    name,
                    f"the image is already {size}×{size} here ({_path_text(path)}), too small "
                    f"for a {p}×{p} pooling window: {pool_size_formula(size, p)} = "
                    f"{(size - p) // p + 1}. To fix it, remove a block or its pooling (pooling 'none' in "
                    f"block {b})"
                    + (f", or use a window of at most {size}×{size}" if size >= 2 else "")
                    + ".",
                ) from None
            path.append(size)
            kind = "MaxPooling2D" if block.pool == "max" else "AveragePooling2D"
            rows.append(LayerRow(name, kind, (size, size, channels), 0, "no weights"))
    flat = size * size * channels
    rows.append(LayerRow("flatten", "Flatten", (flat,), 0, f"{size}×{size}×{channels} = {flat:,} values"))
    rows.append(_dense("fc1", flat, config.dense_units))
    if config.dropout > 0:
        rows.append(LayerRow("dropout", "Dropout", (config.dense_units,), 0, f"rate {config.dropout:g}"))
    last = config.dense_units
    rows.append(_dense("predictions", last, config.num_classes))
    return rows


def _path_text(path: list[int]) -> str:
    return " → ".join(f"{n}×{n}" for n in path)


def check_config(config: ModelConfig) -> None:
    """Raise ``ValueError`` with a readable sentence for a setting Keras would refuse."""

    def whole(value: Any, name: str, low: int = 1) -> None:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be a whole number of at least {low}, not {value!r}.")

    whole(config.input_size, "The input size")
    whole(config.channels, "The number of input channels")
    whole(config.num_classes, "The number of classes")
    whole(config.dense_units, "The number of dense units")
    if not 0 <= config.dropout < 1:
        raise ValueError(f"The dropout rate must be at least 0 and below 1, not {config.dropout!r}.")
    for b, block in enumerate(config.blocks, start=1):
        whole(block.filters, f"Block {b}'s number of filters")
        whole(block.kernel_size, f"Block {b}'s kernel size")
        whole(block.pool_size, f"Block {b}'s pooling window")
        whole(block.convs, f"Block {b}'s number of convolutions")
        for value, allowed, what in (
            (block.padding, PADDINGS, "padding"),
            (block.activation, ACTIVATIONS, "activation"),
            (block.pool, POOLS, "pooling"),
        ):
            if value not in allowed:
                raise ValueError(f"Block {b}'s {what} must be one of {', '.join(allowed)}, not {value!r}.")


def preset_name(config: ModelConfig) -> str:
    """The short name of the preset equal to ``config`` ("tutorial", ...), or "custom"."""
    return next((name for name, preset in PRESETS.items() if preset == config), "custom")


def _dense(name: str, n_in: int, n_out: int) -> LayerRow:
    params = n_in * n_out + n_out
    return LayerRow(name, "Dense", (n_out,), params, f"{n_in:,}×{n_out} + {n_out} = {params:,}", n_in * n_out)


def total_params(config: ModelConfig) -> int:
    """All parameters, as Keras's ``count_params()`` reports them."""
    return sum(row.params for row in summarize(config))


def with_block(config: ModelConfig, index: int, **changes: Any) -> ModelConfig:
    """A copy of ``config`` with block ``index`` (0-based) changed."""
    blocks = list(config.blocks)
    blocks[index] = replace(blocks[index], **changes)
    return replace(config, blocks=tuple(blocks))


# ----- a configuration as one line of text (for links and the command line) ------------------

# What a shared link may ask for: the model page's own ranges, so a tampered link cannot make
# the server build a network of a billion weights.
TEXT_LIMITS = {"blocks": 6, "filters": 512, "kernel_size": 7, "pool_size": 3, "convs": 3, "dense_units": 4096}


def config_to_text(config: ModelConfig) -> str:
    """A compact, URL-safe text for ``config``: a preset's short name, or the layers spelled out.

    Custom: ``blocks;dense;dropout`` where each block, comma-separated, is
    ``filters:kernel:padding:activation:pool:pool_size:convs:batch_norm``, e.g.
    ``24:3:same:relu:max:2:1:0,36:3:same:relu:max:2:1:0;128;0.5`` (the tutorial's).
    """
    name = preset_name(config)
    if name != "custom":
        return name
    blocks = ",".join(
        f"{b.filters}:{b.kernel_size}:{b.padding}:{b.activation}:{b.pool}:{b.pool_size}:"
        f"{b.convs}:{int(b.batch_norm)}"
        for b in config.blocks
    )
    return f"{blocks};{config.dense_units};{config.dropout:g}"


def config_from_text(text: str) -> ModelConfig:
    """The inverse of :func:`config_to_text`; ``ValueError`` with a reason for anything else."""
    text = text.strip()
    if text in PRESETS:
        return PRESETS[text]
    parts = text.split(";")
    if len(parts) != 3:
        raise ValueError(
            f"{text!r} is neither a preset ({', '.join(PRESETS)}) nor 'blocks;dense units;dropout'."
        )
    block_texts = [b for b in parts[0].split(",") if b]
    if not 1 <= len(block_texts) <= TEXT_LIMITS["blocks"]:
        raise ValueError(f"A model needs 1 to {TEXT_LIMITS['blocks']} blocks, not {len(block_texts)}.")
    blocks = []
    for b in block_texts:
        fields = b.split(":")
        if len(fields) != 8:
            raise ValueError(
                f"Block {b!r} needs 8 fields: "
                "filters:kernel:padding:activation:pool:pool_size:convs:batch_norm."
            )
        filters, kernel, padding, activation, pool, pool_size, convs, bn = fields
        try:
            blocks.append(
                ConvBlock(
                    int(filters),
                    int(kernel),
                    padding,
                    activation,
                    pool,
                    int(pool_size),
                    int(convs),
                    bn == "1",
                )
            )
        except ValueError:
            raise ValueError(f"Block {b!r} has a number that is not a whole number.") from None
    try:
        config = ModelConfig(blocks=tuple(blocks), dense_units=int(parts[1]), dropout=float(parts[2]))
    except ValueError:
        raise ValueError(f"The dense units {parts[1]!r} or dropout {parts[2]!r} is not a number.") from None
    summarize(config)  # checks every setting and that the image never shrinks to nothing
    sizes = [("dense_units", config.dense_units)] + [
        (name, getattr(b, name))
        for b in config.blocks
        for name in ("filters", "kernel_size", "pool_size", "convs")
    ]
    for name, value in sizes:
        if value > TEXT_LIMITS[name]:
            raise ValueError(
                f"{name.replace('_', ' ')} {value} is above this app's limit of {TEXT_LIMITS[name]}."
            )
    return config
