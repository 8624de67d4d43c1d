"""What the Model page says about a :class:`~cnn_core.models.ModelConfig`, in code and numbers.

- :func:`keras_code`: the exact Keras code of a configuration, ready to paste into a notebook;
  it builds the same layers, names and weights shapes as :func:`cnn_core.worker.models.build_model`.
- :func:`summary_records` and :func:`totals`: the summary rows as a table and its totals.
- :func:`next_block`: the block the page adds when the learner asks for one more.

Pure Python: nothing here imports TensorFlow, so the page answers instantly. The page's
diagram is in :mod:`cnn_core.figures.model`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .models import PRESET_TITLES, ConvBlock, LayerRow, ModelConfig, preset_name, summarize
from .size_formulas import conv_size_formula, pool_size_formula

BYTES_PER_PARAM = 4  # float32 weights


def keras_code(config: ModelConfig) -> str:
    """Python source that defines ``create_model()`` for ``config`` and builds it.

    The code follows the tutorial's ``create_model()`` with the public Keras 3 API
    (``import keras``, never TensorFlow's private ``python`` package); running it gives a model whose layers
    have the same names, classes, settings and output shapes as ``build_model(config)``.
    It does not check the configuration: call :func:`cnn_core.models.summarize` first for a
    readable error when the image would shrink to nothing.
    """
    rows = summarize_or_empty(config)
    name = preset_name(config)
    title = PRESET_TITLES.get(name, "Custom configuration")
    size, ch = config.input_size, config.channels
    lines = [
        "import keras",
        "from keras import layers",
        "",
        "",
        "def create_model():",
        f'    """{title}: a CNN for {size}×{size}×{ch} images and {config.num_classes} classes."""',
        "    # Input block",
        f'    input_tensor = layers.Input(shape=({size}, {size}, {ch}), name="input")',
        "    x = input_tensor",
    ]
    for b, block in enumerate(config.blocks, start=1):
        lines.append(f"    # Block {b}")
        k = block.kernel_size
        for c in range(1, block.convs + 1):
            if block.batch_norm:
                # BatchNormalization's beta replaces the bias, and the activation follows it.
                lines += [
                    f'    x = layers.Conv2D({block.filters}, ({k}, {k}), padding="{block.padding}", '
                    f'use_bias=False, name="block{b}_conv{c}")(x)',
                    f'    x = layers.BatchNormalization(name="block{b}_bn{c}")(x)',
                    f'    x = layers.Activation("{block.activation}", name="block{b}_act{c}")(x)',
                ]
            else:
                lines.append(
                    f'    x = layers.Conv2D({block.filters}, ({k}, {k}), activation="{block.activation}", '
                    f'padding="{block.padding}", name="block{b}_conv{c}")(x)'
                )
        if block.pool != "none":
            layer = "MaxPooling2D" if block.pool == "max" else "AveragePooling2D"
            p = block.pool_size
            lines.append(f'    x = layers.{layer}(({p}, {p}), strides=({p}, {p}), name="block{b}_pool")(x)')
    lines += [
        "    # Classification block",
        '    x = layers.Flatten(name="flatten")(x)',
        f'    x = layers.Dense({config.dense_units}, activation="relu", name="fc1")(x)',
    ]
    if config.dropout > 0:
        lines.append(f'    x = layers.Dropout(rate={config.dropout!r}, name="dropout")(x)')
    lines += [
        f'    prob = layers.Dense({config.num_classes}, activation="softmax", name="predictions")(x)',
        "    return keras.Model(input_tensor, prob)",
        "",
        "",
        "model = create_model()",
        "model.summary()" + (f"  # Total params: {sum(r.params for r in rows):,}" if rows else ""),
        "",
    ]
    return "\n".join(lines)


def summarize_or_empty(config: ModelConfig) -> list[LayerRow]:
    """``summarize(config)``, or [] when the configuration cannot be built."""
    try:
        return summarize(config)
    except ValueError:
        return []


@dataclass(frozen=True)
class Totals:
    """Totals of a summary: parameters (all, trainable, not), MACs per image, weight bytes."""

    params: int
    trainable: int
    non_trainable: int
    macs: int
    weight_bytes: int


def totals(rows: list[LayerRow]) -> Totals:
    """Sum a summary; ``weight_bytes`` is params × 4 (float32)."""
    params = sum(r.params for r in rows)
    trainable = sum(r.trainable_params for r in rows)
    return Totals(params, trainable, params - trainable, sum(r.macs for r in rows), params * BYTES_PER_PARAM)


def summary_records(rows: list[LayerRow], sizes: dict[str, str] | None = None) -> list[dict[str, object]]:
    """The summary as table rows: layer, type, output shape (with the batch axis as None), how
    the size arises (from ``sizes``, see :func:`size_formulas`), parameters, how they arise,
    share of all parameters (%), MACs per image."""
    total = sum(r.params for r in rows) or 1
    sizes = sizes or {}
    return [
        {
            "Layer": r.name,
            "Type": r.type,
            "Output shape": "(None, " + ", ".join(str(n) for n in r.output_shape) + ")",
            "How the size arises": sizes.get(r.name, ""),
            "Parameters": r.params,
            "How the parameters arise": r.params_formula or "no weights",
            "Share of parameters (%)": round(100 * r.params / total, 1),
            "MACs per image": r.macs,
        }
        for r in rows
    ]


def size_formulas(config: ModelConfig, rows: list[LayerRow]) -> dict[str, str]:
    """For each layer that changes the shape, how its output side arises, with the numbers:
    a convolution ``⌊(28 + 1 + 1 − 3) / 1⌋ + 1 = 28`` (zeros added before + after), a pooling
    ``⌊(28 − 2) / 2⌋ + 1 = 14``, the flatten ``7×7×36 = 1,764``. Keys are layer names."""
    out: dict[str, str] = {}
    size = config.input_size
    for r in rows:
        if r.type == "Conv2D":
            block = config.blocks[int(r.name[5:].split("_")[0]) - 1]
            formula = conv_size_formula(size, block.kernel_size, 1, block.padding)
            out[r.name] = f"{formula} = {r.output_shape[0]}"
        elif r.type in ("MaxPooling2D", "AveragePooling2D"):
            block = config.blocks[int(r.name[5:].split("_")[0]) - 1]
            out[r.name] = f"{pool_size_formula(size, block.pool_size)} = {r.output_shape[0]}"
        elif r.type == "Flatten":
            out[r.name] = f"{size}×{size}×{r.output_shape[0] // (size * size)} = {r.output_shape[0]:,}"
        if len(r.output_shape) == 3:
            size = r.output_shape[0]
    return out


def largest_layer(rows: list[LayerRow]) -> LayerRow:
    """The layer holding the most parameters (the one to shrink first)."""
    return max(rows, key=lambda r: r.params)


def next_block(blocks: tuple[ConvBlock, ...]) -> ConvBlock:
    """The block added after ``blocks``: the last one again, with 12 more filters.

    From the tutorial's 24 and 36 filters this gives exercise 2's third block of 48 3×3 kernels.
    """
    if not blocks:
        return ConvBlock(filters=24)
    return replace(blocks[-1], filters=blocks[-1].filters + 12)
