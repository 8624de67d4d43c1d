"""cnn_core.formulas: the formulas and sentences the Convolution, Pooling and Model pages show."""

from __future__ import annotations

import numpy as np

from cnn_core import formulas, shapes
from cnn_core.models import PRESETS, ModelConfig, summarize
from cnn_core.model_code import largest_layer, size_formulas


def test_ordinals_read_as_english():
    assert [formulas.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 111, 112, 121)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "111th", "112th", "121st"]


def test_the_tutorials_padding_2_works_out_to_30():
    general, steps = formulas.conv_formula(shapes.conv_arithmetic(28, 3, 1, 2))
    assert "2P" in general and r"\lfloor" in general
    assert steps.endswith(r"\mathbf{30}") and "28 - 3 + 2 \\cdot 2" in steps


def test_an_inexact_division_shows_the_floor_and_which_pixels_it_drops():
    a = shapes.conv_arithmetic(7, 2, 2)  # (7 - 2) / 2 = 2.5
    _, steps = formulas.conv_formula(a)
    assert r"\lfloor 2.5 \rfloor" in steps and steps.endswith(r"\mathbf{3}")
    note = formulas.floor_note(a)
    assert "5 / 2 = 2.5" in note and "the last column is never covered" in note and "1 real pixel," in note


def test_same_padding_with_an_odd_total_says_the_extra_zero_goes_after():
    a = shapes.conv_arithmetic(28, 4, 1, "same")
    general, _ = formulas.conv_formula(a)
    assert "P_{before}" in general
    note = formulas.conv_same_note(a)
    assert "split 1 before and 2 after" in note and "asymmetric" in note


def test_no_output_explains_the_size_below_one_or_keras_refusal():
    latex, words = formulas.conv_no_output(3, 5, 1, "valid", 1)
    assert latex.endswith("= -1") and "A size of -1 means **no output at all**" in words
    latex, words = formulas.conv_no_output(28, 3, 2, "valid", 2)
    assert latex == "" and "Keras refuses" in words


def test_dilation_note_works_out_the_effective_kernel():
    assert "= 5$" in formulas.dilation_note(3, 2) and "9 weights" in formulas.dilation_note(3, 2)


def test_feature_map_caption_names_the_shapes_and_the_colours():
    signed = formulas.feature_map_caption(28, np.array([[-2.0, 1.0], [0.0, 0.5]]))
    assert signed.startswith("Shape (28, 28, 1) → (2, 2, 1): 784 pixels become 4 numbers") and "±2" in signed
    assert "White is 0, black is 3" in formulas.feature_map_caption(28, np.full((3, 3), 3.0))


def test_pool_formula_uses_the_ceiling_for_same_and_the_floor_for_valid():
    assert formulas.pool_formula(7, 2, 2, "same").endswith(r"\left\lceil \dfrac{7}{2} \right\rceil = \mathbf{4}")
    assert formulas.pool_formula(7, 2, 2, "valid").endswith(r"\right\rfloor + 1 = \mathbf{3}")
    assert formulas.pool_no_output(3, 5, 1).endswith("= -1")


def test_pool_notes():
    assert formulas.pool_floor_note(6, 2, 2) == ""
    assert "drops the last 1 row and column" in formulas.pool_floor_note(7, 2, 2)
    assert "the extra one goes after" in formulas.pool_same_note(0, 1)
    assert formulas.pool_values_caption(6, 3) == "6×6 = 36 values in, 3×3 = 9 out: 4× fewer."


def test_pool_window_sentence_lists_the_members_and_the_result():
    members = np.array([1.0, 4.0, 2.0])
    assert "max(1, 4, 2) = **4**" in formulas.pool_window_sentence("max", 0, [0, 1], [0, 1], members, 4.0, 2)
    average = formulas.pool_window_sentence("average", 0, [0, 1], [0, 1], members, 7 / 3, 2)
    assert "(1 + 4 + 2) / 3 = **2.33**" in average and "only 3 real numbers" in average


def test_pool_shrink_sentence():
    assert "784 values become 196, **4× fewer** (75% less data)" in formulas.pool_shrink_sentence(28, 14, "max")
    assert "**no shrinking at all**" in formulas.pool_shrink_sentence(28, 28, "average")


def test_pool_layer_code_states_only_what_differs_from_keras_defaults():
    assert shapes.pool_layer_code(2, 2) == "layers.MaxPooling2D((2, 2))"
    assert shapes.pool_layer_code(3, 1, "same", "average") == (
        'layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")')


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
