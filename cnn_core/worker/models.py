"""A :class:`cnn_core.models.ModelConfig` built as a Keras model, compiled as the tutorial meant to.

The configuration, its presets and its summary rows are pure (:mod:`cnn_core.models`); building
it needs Keras, so it lives with the worker.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

from ..models import ModelConfig, summarize
from ..training_config import TrainingConfig


@contextlib.contextmanager
def dtype_policy_scope(policy: str | None) -> Iterator[None]:
    """Set Keras's dtype policy (e.g. ``MIXED_POLICY``) inside the block and put the previous
    one back after it, also when the block raises; ``None`` changes nothing (and imports nothing).

    Keras 3 keeps this "global" policy per thread, so the policy of a block running in one
    training thread is not seen by another thread, another run or a page.
    """
    if policy is None:
        yield
        return
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def build_model(config: ModelConfig = ModelConfig(), dtype_policy: str | None = None) -> Any:
    """The Keras functional model for ``config`` (imports Keras). Layer names match
    :func:`summarize`, and for the default config the tutorial's ``create_model()``.

    ``dtype_policy`` (e.g. ``MIXED_POLICY``; default: Keras's current policy) sets the layers'
    compute and weight types. Under a mixed policy the output layer stays float32: a float16
    softmax rounds small probabilities to 0 and the cross-entropy of float16 is too coarse.
    """
    with dtype_policy_scope(dtype_policy):
        return _build_model(config)


def _build_model(config: ModelConfig) -> Any:
    import keras
    from keras import layers

    summarize(config)  # raise the readable shape error before Keras raises its own
    policy = keras.config.dtype_policy()
    # Only a mixed policy names the last layer's type: the default model's config is unchanged.
    output_dtype = {"dtype": "float32"} if policy.compute_dtype != policy.variable_dtype else {}
    inputs = keras.Input(shape=(config.input_size, config.input_size, config.channels), name="input")
    x = inputs
    for b, block in enumerate(config.blocks, start=1):
        for c in range(1, block.convs + 1):
            x = layers.Conv2D(
                block.filters,
                (block.kernel_size, block.kernel_size),
                padding=block.padding,
                activation=None if block.batch_norm else block.activation,
                use_bias=not block.batch_norm,
                name=f"block{b}_conv{c}",
            )(x)
            if block.batch_norm:
                x = layers.BatchNormalization(name=f"block{b}_bn{c}")(x)
                x = layers.Activation(block.activation, name=f"block{b}_act{c}")(x)
        if block.pool != "none":
            pool = layers.MaxPooling2D if block.pool == "max" else layers.AveragePooling2D
            size = (block.pool_size, block.pool_size)
            x = pool(size, strides=size, name=f"block{b}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(config.dense_units, activation="relu", name="fc1")(x)
    if config.dropout > 0:
        x = layers.Dropout(rate=config.dropout, name="dropout")(x)
    outputs = layers.Dense(config.num_classes, activation="softmax", name="predictions", **output_dtype)(x)
    return keras.Model(inputs, outputs)


def compile_model(model: Any, learning_rate: float = 1e-2, optimizer: str = "adam") -> Any:
    """Compile as the tutorial meant to: Adam, sparse categorical cross-entropy, accuracy.

    Keywords matter: the tutorial's positional ``compile(optimizer, loss, metrics)`` puts the
    metrics into ``loss_weights`` under Keras 3 and fails.
    """
    import keras

    optimizers = {
        "adam": keras.optimizers.Adam,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
    }
    model.compile(
        optimizer=optimizers[optimizer](learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def training_model(
    model_config: ModelConfig, config: TrainingConfig, checkpoint: str | os.PathLike | None
) -> Any:
    """The compiled model a run trains: loaded from ``checkpoint`` (a resumed run) or built from
    ``model_config`` with ``config``'s optimizer and learning rate. For the custom loop its
    optimizer's variables exist before ``tf.function`` traces the step. Call it under the run's
    ``tf.distribute`` strategy scope."""
    import keras

    if checkpoint is not None:
        model = keras.models.load_model(checkpoint)
    else:
        model = compile_model(build_model(model_config), config.learning_rate, config.optimizer)
    if config.loop == "custom":
        model.optimizer.build(model.trainable_variables)
    return model
