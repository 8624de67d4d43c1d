"""The model page's summary is plain arithmetic (cnn_core.models.summarize); Keras must agree.

A learner may build any configuration the page allows, so the agreement is checked over random
configurations, not only the presets: every layer's name, class, output shape and parameter
count, and the configurations that cannot be built at all.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from cnn_core import model_code, models
from cnn_core.models import ConvBlock, ModelConfig, ModelShapeError, summarize
from cnn_core.worker.models import build_model

# Two convolutions per block with batch normalisation (what the Strong preset used to be).
TWO_CONV_BN = ModelConfig(
    blocks=(ConvBlock(filters=32, convs=2, batch_norm=True), ConvBlock(filters=64, convs=2, batch_norm=True)),
    dense_units=128,
    dropout=0.3,
)


N_RANDOM = 30


def random_config(seed: int) -> ModelConfig:
    """A configuration drawn from everything the model page (and a notebook user) can choose."""
    rng = random.Random(seed)
    blocks = tuple(
        ConvBlock(
            filters=rng.randint(1, 40),
            kernel_size=rng.choice((1, 3, 5, 7)),
            padding=rng.choice(models.PADDINGS),
            activation=rng.choice(models.ACTIVATIONS),
            pool=rng.choice(models.POOLS),
            pool_size=rng.choice((2, 3)),
            convs=rng.randint(1, 2),
            batch_norm=rng.random() < 0.3,
        )
        for _ in range(rng.randint(1, 4))
    )
    return ModelConfig(
        blocks=blocks,
        dense_units=rng.randint(1, 64),
        dropout=rng.choice((0.0, 0.25, 0.5)),
        input_size=rng.choice((28, 28, 32, 20, 9)),
        channels=rng.choice((1, 1, 3)),
        num_classes=rng.choice((10, 10, 2)),
    )


CODE_FILE = "<keras_code>"


def keras_failing_line(config: ModelConfig) -> str | None:
    """Run the exported Keras code of ``config`` (no summarize check in front of it) and return
    the line of that code at which Keras raised ValueError, or None when it built the model."""
    code = model_code.keras_code(config).replace("model.summary()", "pass")
    try:
        exec(compile(code, CODE_FILE, "exec"), {})
    except ValueError as exc:
        tb, line = exc.__traceback__, None
        while tb is not None:  # the innermost frame of the exported code is the failing layer
            if tb.tb_frame.f_code.co_filename == CODE_FILE:
                line = code.splitlines()[tb.tb_lineno - 1]
            tb = tb.tb_next
        return line
    return None


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


class TestTheTutorialModel:
    def test_has_the_tutorials_235262_parameters(self):
        assert models.total_params(ModelConfig()) == 235_262

    def test_shows_how_each_count_arises_with_its_numbers(self):
        rows = {r.name: r for r in summarize(ModelConfig())}
        assert rows["block1_conv1"].params_formula == "3×3×1×24 + 24 = 240"
        assert rows["block2_conv1"].params_formula == "3×3×24×36 + 36 = 7,812"
        assert rows["fc1"].params_formula == "1,764×128 + 128 = 225,920"
        assert rows["flatten"].output_shape == (7 * 7 * 36,)

    def test_counts_multiply_accumulates_per_image(self):
        rows = {r.name: r for r in summarize(ModelConfig())}
        # Each of the 28×28×24 outputs sums 3×3×1 products; each of fc1's 128 sums 1,764.
        assert rows["block1_conv1"].macs == 28 * 28 * 24 * 3 * 3 * 1
        assert rows["block2_conv1"].macs == 14 * 14 * 36 * 3 * 3 * 24
        assert rows["fc1"].macs == 1764 * 128
        assert rows["block1_pool"].macs == 0

    def test_batch_norm_statistics_are_counted_but_not_trained(self):
        rows = summarize(TWO_CONV_BN)
        bn = next(r for r in rows if r.type == "BatchNormalization")
        assert bn.params == 4 * 32 and bn.trainable_params == 2 * 32


class TestPresetsAreRecognised:
    @pytest.mark.parametrize("name", sorted(models.PRESETS))
    def test_a_preset_names_itself(self, name):
        assert models.preset_name(models.PRESETS[name]) == name

    def test_any_change_makes_it_custom(self):
        assert models.preset_name(replace(ModelConfig(), dense_units=64)) == "custom"


class TestImpossibleConfigurationsAreExplained:
    def test_too_many_poolings_name_the_pool_the_size_path_and_the_fix(self):
        config = ModelConfig(blocks=tuple(ConvBlock(filters=8) for _ in range(6)))
        with pytest.raises(ModelShapeError) as err:
            summarize(config)
        message = str(err.value)
        assert err.value.layer == "block5_pool"
        assert "28×28 → 14×14 → 7×7 → 3×3 → 1×1" in message
        assert "⌊(1 − 2) / 2⌋ + 1 = 0" in message
        assert "pooling 'none' in block 5" in message

    def test_a_valid_kernel_too_big_for_the_shrunken_image_names_its_conv(self):
        config = ModelConfig(blocks=tuple(ConvBlock(8, kernel_size=7, padding="valid") for _ in range(3)))
        with pytest.raises(ModelShapeError) as err:
            summarize(config)
        assert err.value.layer == "block3_conv1"
        assert "'same' padding" in str(err.value)

    @pytest.mark.parametrize(
        "change, words",
        [
            (dict(dropout=1.0), "dropout"),
            (dict(dense_units=0), "dense units"),
            (dict(blocks=(ConvBlock(filters=0),)), "filters"),
            (dict(blocks=(ConvBlock(activation="swish!"),)), "activation"),
            (dict(blocks=(ConvBlock(pool="min"),)), "pooling"),
            (dict(blocks=(ConvBlock(padding="full"),)), "padding"),
        ],
    )
    def test_settings_keras_would_refuse_get_a_sentence(self, change, words):
        with pytest.raises(ValueError, match=words):
            summarize(replace(ModelConfig(), **change))


@pytest.mark.parametrize("seed", range(N_RANDOM))
def test_random_configuration_agrees_with_keras(keras, seed):
    """Shapes, classes and parameter counts of every layer, or both refuse the configuration."""
    config = random_config(seed)
    try:
        rows = summarize(config)
    except ModelShapeError as exc:
        # Keras must refuse it too, and at the very layer summarize names.
        failing = keras_failing_line(config)
        assert failing is not None, f"Keras built what summarize refused at {exc.layer}"
        assert f'name="{exc.layer}"' in failing
        return
    model = build_model(config)
    assert [r.name for r in rows] == [layer.name for layer in model.layers]
    for row, layer in zip(rows, model.layers):
        assert type(layer).__name__ == row.type, row.name
        assert tuple(layer.output.shape[1:]) == row.output_shape, row.name
        assert layer.count_params() == row.params, row.name
        trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
        assert trainable == row.trainable_params, row.name
    assert model.count_params() == models.total_params(config)


def test_the_random_configurations_include_both_kinds():
    """The agreement test above is only meaningful if it sees buildable and impossible ones."""
    outcomes = []
    for seed in range(N_RANDOM):
        try:
            summarize(random_config(seed))
            outcomes.append(True)
        except ModelShapeError:
            outcomes.append(False)
    assert sum(outcomes) >= N_RANDOM // 2 and not all(outcomes)
