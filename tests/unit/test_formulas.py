"""cnn_core.formulas: the sentences the Model page and the tutorial network's table show."""

from __future__ import annotations

from cnn_core import formulas, shapes
from cnn_core.model_code import largest_layer, size_formulas
from cnn_core.models import PRESETS, ModelConfig, summarize


def test_ordinals_read_as_english():
    assert [formulas.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 111, 112, 121)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "111th",
        "112th",
        "121st",
    ]


def test_pool_layer_code_states_only_what_differs_from_keras_defaults():
    assert shapes.pool_layer_code(2, 2) == "layers.MaxPooling2D((2, 2))"
    assert shapes.pool_layer_code(3, 1, "same", "average") == (
        'layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")'
    )
    assert shapes.pool_layer_code(2, 2, explicit=True) == (
        'layers.MaxPooling2D((2, 2), strides=(2, 2), padding="valid")'
    )


def test_model_notes_for_the_tutorials_network():
    rows = summarize(PRESETS["tutorial"])
    sizes = size_formulas(PRESETS["tutorial"], rows)
    text = formulas.network_formulas(rows, sizes)
    assert text.count("\n- ") == 3 and "`fc1` has" in text
    notice = formulas.parameter_notice(largest_layer(rows), rows, sizes, 128)
    assert notice.startswith("**Notice:** `fc1` holds") and "128 units" in notice
    assert formulas.flat_map_warning(rows) == ""


def test_a_network_pooled_down_to_one_pixel_is_warned_about():
    deep = ModelConfig(blocks=PRESETS["tutorial"].blocks * 2)
    rows = summarize(deep)
    assert "down to 1×1 before the flatten" in formulas.flat_map_warning(rows)
