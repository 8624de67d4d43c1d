"""Describing a network as data: the tutorial's model, exercise 2, summaries and readable errors."""

import numpy as np
import pytest

from cnn_core import models, training_config
from cnn_core.model_code import totals
from cnn_core.models import ConvBlock, ModelConfig, ModelShapeError, summarize
from cnn_core.worker.models import build_model, compile_model

TUTORIAL_LAYERS = [
    "input",
    "block1_conv1",
    "block1_pool",
    "block2_conv1",
    "block2_pool",
    "flatten",
    "fc1",
    "dropout",
    "predictions",
]


class TestTheTutorialModel:
    def test_default_config_summarises_to_235262_parameters(self):
        rows = summarize(ModelConfig())
        assert [r.name for r in rows] == TUTORIAL_LAYERS
        assert models.total_params(ModelConfig()) == 235_262

    def test_shape_chain_is_28_14_7(self):
        shapes = {r.name: r.output_shape for r in summarize(ModelConfig())}
        assert shapes["block1_conv1"] == (28, 28, 24)
        assert shapes["block1_pool"] == (14, 14, 24)
        assert shapes["block2_pool"] == (7, 7, 36)
        assert shapes["flatten"] == (1764,)

    def test_each_parameter_count_says_how_it_arises(self):
        rows = {r.name: r for r in summarize(ModelConfig())}
        assert rows["block1_conv1"].params_formula == "3×3×1×24 + 24 = 240"
        assert rows["block2_conv1"].params == 7_812
        assert rows["fc1"].params_formula == "1,764×128 + 128 = 225,920"
        assert rows["block1_pool"].params == 0

    def test_multiply_accumulates_per_image(self):
        rows = {r.name: r for r in summarize(ModelConfig())}
        assert rows["block1_conv1"].macs == 28 * 28 * 3 * 3 * 1 * 24
        assert rows["fc1"].macs == 1764 * 128

    def test_keras_builds_exactly_the_tutorials_create_model(self):
        model = build_model(ModelConfig())
        assert [layer.name for layer in model.layers] == TUTORIAL_LAYERS
        assert model.count_params() == 235_262
        assert model.get_layer("block2_pool").output.shape[1:] == (7, 7, 36)


class TestExercise2:
    def test_adds_a_block_of_48_3x3_kernels(self):
        rows = {r.name: r for r in summarize(models.PRESETS["exercise2"])}
        assert rows["block3_conv1"].output_shape == (7, 7, 48)
        assert rows["block3_conv1"].params == 3 * 3 * 36 * 48 + 48
        assert rows["block3_pool"].output_shape == (3, 3, 48)


class TestTheStrongPreset:
    """What bench/strong_preset.py measured (docs/benchmarks.md): a change here must be measured again."""

    def test_is_16_filters_at_28x28_then_48_at_14x14_then_a_dense_layer_of_256(self):
        summary = summarize(models.PRESETS["strong"])
        assert [r.name for r in summary] == TUTORIAL_LAYERS
        rows = {r.name: r for r in summary}
        assert rows["block1_conv1"].output_shape == (28, 28, 16)
        assert rows["block2_conv1"].output_shape == (14, 14, 48)
        assert rows["block2_pool"].output_shape == (7, 7, 48)
        assert rows["flatten"].output_shape == (2352,)
        assert rows["fc1"].params_formula == "2,352×256 + 256 = 602,368"
        assert models.PRESETS["strong"].dropout == 0.4
        assert models.total_params(models.PRESETS["strong"]) == 612_058

    def test_trains_7_epochs_of_batch_256_from_a_step_of_0_006_decaying_to_0(self):
        assert training_config.training_defaults("strong") == training_config.TrainingConfig(
            epochs=7, batch_size=256, learning_rate=6e-3, schedule="cosine"
        )

    def test_a_whole_run_is_less_work_than_the_tutorials_10_epochs(self):
        """Multiply-adds per image (the Model page's figure) × epochs: the count behind "in less of
        the Tutorial's time"."""

        def run_work(preset: str) -> int:
            per_image = totals(summarize(models.PRESETS[preset])).macs
            return per_image * training_config.training_defaults(preset).epochs

        assert run_work("strong") / run_work("tutorial") < 0.8  # 2.07 M × 7 vs 1.92 M × 10: 0.755


@pytest.mark.parametrize("preset", sorted(models.PRESETS))
def test_every_preset_summary_agrees_with_keras(preset):
    config = models.PRESETS[preset]
    model = build_model(config)
    rows = summarize(config)
    assert [r.name for r in rows] == [layer.name for layer in model.layers]
    for row in rows:
        layer = model.get_layer(row.name)
        assert tuple(layer.output.shape[1:]) == row.output_shape, row.name
        assert layer.count_params() == row.params, row.name
    assert model.count_params() == models.total_params(config)


class TestImpossibleConfigurations:
    def test_too_many_poolings_name_the_layer_at_fault(self):
        config = ModelConfig(blocks=tuple(ConvBlock(filters=8) for _ in range(6)))
        with pytest.raises(ModelShapeError) as err:
            summarize(config)
        assert err.value.layer == "block5_pool"
        assert "remove a block or its pooling" in str(err.value)

    def test_a_valid_kernel_that_no_longer_fits_names_its_conv(self):
        config = ModelConfig(
            blocks=tuple(ConvBlock(filters=8, kernel_size=5, padding="valid") for _ in range(3))
        )
        with pytest.raises(ModelShapeError) as err:
            summarize(config)
        assert err.value.layer == "block3_conv1" and "does not fit" in str(err.value)

    def test_keras_is_not_reached_with_a_bad_config(self):
        with pytest.raises(ModelShapeError):
            build_model(ModelConfig(blocks=tuple(ConvBlock() for _ in range(6))))


def test_compile_uses_keywords_so_one_training_step_runs():
    model = compile_model(build_model(), learning_rate=1e-3)
    x = np.zeros((8, 28, 28, 1), np.float32)
    y = np.arange(8) % 10
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert set(history.history) >= {"loss", "accuracy"}


def test_under_mixed_precision_every_layer_computes_in_float16_but_the_output_in_float32():
    import keras

    model = build_model(ModelConfig(), dtype_policy=models.MIXED_POLICY)
    assert keras.config.dtype_policy().name == "float32"  # set for the build only
    policies = {layer.name: layer.dtype_policy.name for layer in model.layers[1:]}
    assert policies.pop("predictions") == "float32"
    assert set(policies.values()) == {"mixed_float16"}
    out = model(np.zeros((2, 28, 28, 1), np.float32))
    assert str(out.dtype) == "<dtype: 'float32'>" or "float32" in str(out.dtype)
    assert np.allclose(np.asarray(out).sum(axis=1), 1.0, atol=1e-5)  # a float32 softmax
    # A compiled mixed model scales its loss so that float16 gradients do not underflow.
    assert type(compile_model(model).optimizer).__name__ == "LossScaleOptimizer"


def test_the_default_model_names_no_dtype_so_its_config_is_unchanged():
    import keras

    plain = build_model(ModelConfig())
    last = plain.get_layer("predictions")
    assert last.dtype_policy.name == "float32" and keras.config.dtype_policy().name == "float32"
    assert type(compile_model(plain).optimizer).__name__ == "Adam"


class TestConfigurationAsText:
    """A model travels in an instructor's link as one line of text."""

    @pytest.mark.parametrize("preset", sorted(models.PRESETS))
    def test_a_preset_is_its_short_name(self, preset):
        assert models.config_to_text(models.PRESETS[preset]) == preset
        assert models.config_from_text(preset) == models.PRESETS[preset]

    def test_a_custom_model_round_trips(self):
        config = models.with_block(ModelConfig(), 0, filters=8, batch_norm=True, pool="average")
        text = models.config_to_text(config)
        assert text == "8:3:same:relu:average:2:1:1,36:3:same:relu:max:2:1:0;128;0.5"
        assert models.config_from_text(text) == config

    @pytest.mark.parametrize(
        "text, reason",
        [
            ("resnet", "neither a preset"),
            ("24:3:same:relu:max:2:1:0;abc;0.5", "not a number"),
            ("24:3:same:relu:max:2:1;128;0.5", "needs 8 fields"),
            ("24:3:diagonal:relu:max:2:1:0;128;0.5", "padding must be one of"),
            ("24:3:same:relu:max:2:1:0;128;1.5", "dropout rate"),
            ("99999:3:same:relu:max:2:1:0;128;0.5", "above this app's limit"),
            (",".join(["8:3:same:relu:max:2:1:0"] * 5) + ";16;0", "block5_pool"),
        ],
    )
    def test_a_tampered_text_is_refused_with_a_reason(self, text, reason):
        with pytest.raises(ValueError, match=reason):
            models.config_from_text(text)
