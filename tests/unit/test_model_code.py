""" "Show the Keras code" gives the exact code of the chosen model, and the page's other views
of a configuration (totals, table rows, size formulas) tell the truth."""

from __future__ import annotations

import ast

import pytest

from cnn_core import model_code, models
from cnn_core.models import ConvBlock, ModelConfig, summarize
from cnn_core.worker.models import build_model

# Two convolutions per block with batch normalisation (what the Strong preset used to be).
TWO_CONV_BN = ModelConfig(
    blocks=(ConvBlock(filters=32, convs=2, batch_norm=True), ConvBlock(filters=64, convs=2, batch_norm=True)),
    dense_units=128,
    dropout=0.3,
)


# Configurations beyond the presets: average pooling, no pooling, 'valid' padding, 5×5 and 1×1
# kernels, other activations, no dropout, odd dropout rates, RGB input, another class count.
EXTRA_CONFIGS = {
    "mixed": ModelConfig(
        blocks=(
            ConvBlock(8, kernel_size=5, padding="valid", activation="elu", pool="average", pool_size=3),
            ConvBlock(16, kernel_size=1, activation="tanh", pool="none", convs=2),
            ConvBlock(12, activation="gelu", batch_norm=True),
        ),
        dense_units=40,
        dropout=0.35,
    ),
    "rgb-no-dropout": ModelConfig(
        blocks=(ConvBlock(6, activation="sigmoid"),),
        dense_units=16,
        dropout=0.0,
        input_size=32,
        channels=3,
        num_classes=4,
    ),
}
CONFIGS = {**models.PRESETS, **EXTRA_CONFIGS}


def run_exported_code(config: ModelConfig):
    """Execute the exported code as a notebook would (including its model.summary())."""
    namespace: dict = {}
    exec(model_code.keras_code(config), namespace)
    return namespace["model"]


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


class TestTheExportedCode:
    @pytest.mark.parametrize("name", sorted(CONFIGS))
    def test_builds_the_same_model_as_the_app(self, keras, name, capsys):
        config = CONFIGS[name]
        pasted, built = run_exported_code(config), build_model(config)
        assert len(pasted.layers) == len(built.layers)
        for a, b in zip(pasted.layers, built.layers):
            # get_config holds every setting: name, filters, kernel, padding, activation,
            # use_bias, pool size and strides, dropout rate, initialisers...
            assert type(a) is type(b), a.name
            assert a.get_config() == b.get_config(), a.name
            assert a.output.shape == b.output.shape, a.name
        assert pasted.count_params() == built.count_params() == models.total_params(config)
        assert f"{models.total_params(config):,}" in capsys.readouterr().out  # summary() ran

    def test_the_tutorial_code_reads_like_the_tutorial(self):
        code = model_code.keras_code(ModelConfig())
        assert "def create_model():" in code
        assert 'layers.Conv2D(24, (3, 3), activation="relu", padding="same", name="block1_conv1")' in code
        assert 'layers.Dense(128, activation="relu", name="fc1")' in code
        assert 'layers.Dropout(rate=0.5, name="dropout")' in code
        assert "# Total params: 235,262" in code

    @pytest.mark.parametrize("name", sorted(CONFIGS))
    def test_uses_only_the_public_keras_api(self, name):
        code = model_code.keras_code(CONFIGS[name])
        ast.parse(code)
        assert "tensorflow" not in code  # Keras itself, never TensorFlow's private modules
        imports = [line for line in code.splitlines() if line.startswith(("import", "from"))]
        assert imports == ["import keras", "from keras import layers"]

    def test_a_dropout_rate_is_written_exactly(self):
        config = ModelConfig(dropout=0.35)
        assert "rate=0.35," in model_code.keras_code(config)

    def test_names_the_preset_or_says_custom(self):
        assert '"""Strong:' in model_code.keras_code(models.PRESETS["strong"])
        assert '"""Custom configuration:' in model_code.keras_code(EXTRA_CONFIGS["mixed"])


class TestTotalsAndTable:
    def test_tutorial_totals(self):
        totals = model_code.totals(summarize(ModelConfig()))
        assert (totals.params, totals.trainable, totals.non_trainable) == (235_262, 235_262, 0)
        assert totals.weight_bytes == 235_262 * 4
        assert totals.macs == sum(r.macs for r in summarize(ModelConfig()))

    def test_batch_norm_statistics_are_non_trainable(self):
        rows = summarize(TWO_CONV_BN)
        totals = model_code.totals(rows)
        assert (
            totals.non_trainable
            == 2 * (32 + 32 + 64 + 64)
            == sum(2 * r.output_shape[-1] for r in rows if r.type == "BatchNormalization")
        )

    def test_table_rows_show_shapes_as_keras_prints_them_and_shares_add_up(self):
        config = ModelConfig()
        rows = summarize(config)
        records = model_code.summary_records(rows, model_code.size_formulas(config, rows))
        by_layer = {r["Layer"]: r for r in records}
        assert by_layer["block1_conv1"]["Output shape"] == "(None, 28, 28, 24)"
        assert by_layer["block1_conv1"]["How the parameters arise"] == "3×3×1×24 + 24 = 240"
        assert by_layer["fc1"]["Share of parameters (%)"] == 96.0
        assert sum(r["Share of parameters (%)"] for r in records) == pytest.approx(100, abs=0.5)

    def test_size_formulas_show_the_padding_and_the_floor(self):
        config = EXTRA_CONFIGS["mixed"]
        sizes = model_code.size_formulas(config, summarize(config))
        assert sizes["block1_conv1"] == "⌊(28 − 5) / 1⌋ + 1 = 24"  # 'valid': no zeros added
        assert sizes["block1_pool"] == "⌊(24 − 3) / 3⌋ + 1 = 8"
        assert sizes["block3_conv1"] == "⌊(8 + 1 + 1 − 3) / 1⌋ + 1 = 8"  # 'same' adds 1 + 1
        assert sizes["flatten"] == "4×4×12 = 192"

    def test_the_largest_layer_of_the_tutorial_is_fc1(self):
        assert model_code.largest_layer(summarize(ModelConfig())).name == "fc1"


class TestAddingABlock:
    def test_a_third_block_after_the_tutorials_is_exercise_2(self):
        blocks = ModelConfig().blocks
        config = ModelConfig(blocks=(*blocks, model_code.next_block(blocks)))
        assert models.preset_name(config) == "exercise2"

    def test_the_first_block_has_the_tutorials_24_filters(self):
        assert model_code.next_block(()) == ConvBlock(filters=24)
