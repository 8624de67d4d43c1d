"""cnn_core.shapes: formula (1.1) done right, checked by brute force and against TensorFlow."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from cnn_core import layer_shapes, shapes, size_formulas
from cnn_core.layer_shapes import shape_chain
from cnn_core.shapes import (
    conv_arithmetic,
    conv_output_size,
    conv_transpose_output_size,
    effective_kernel_size,
    padding_amounts,
    pool_output_size,
    pool_window_positions,
    same_padding,
    uncovered_pixels,
    window_positions,
)

# --- A student reads formula (1.1) with numbers -------------------------------------------


def test_valid_padding_shrinks_by_kernel_minus_one():
    assert conv_output_size(28, 3) == 26
    assert conv_output_size(7, 3) == 5


def test_same_padding_keeps_the_size_at_stride_one_for_any_kernel():
    for kernel in range(1, 10):
        assert conv_output_size(28, kernel, padding="same") == 28


def test_the_tutorials_slip_k3_with_padding_2_grows_the_image():
    # "K=3, padding 2 keeps the size": (28 - 3 + 2*2)/1 + 1 = 30, not 28.
    assert conv_output_size(28, 3, 1, 2) == 30
    assert conv_output_size(28, 3, 1, (3 - 1) // 2) == 28


def test_the_floor_drops_what_the_last_stride_cannot_reach():
    # (8 - 3)/2 + 1 = 3.5 -> 3 windows; the 8th column is never read.
    assert conv_output_size(8, 3, 2) == 3
    assert uncovered_pixels(8, 3, 2) == 1
    arithmetic = conv_arithmetic(8, 3, 2)
    assert (arithmetic.numerator, arithmetic.remainder, arithmetic.exact) == (5, 1, False)


def test_dilation_widens_the_kernel_without_adding_weights():
    assert effective_kernel_size(3, 1) == 3
    assert effective_kernel_size(3, 2) == 5
    assert effective_kernel_size(5, 3) == 13
    assert conv_output_size(28, 3, dilation=2) == 24
    assert window_positions(7, 3, dilation=2)[0] == [0, 2, 4]


def test_pooling_stride_defaults_to_the_pool_size_as_in_keras():
    assert pool_output_size(28, 2) == 14
    assert pool_output_size(7, 2) == 3  # the 7th row is dropped
    assert pool_output_size(7, 2, padding="same") == 4
    assert pool_output_size(28, 3, stride=1) == 26


def test_the_tutorial_network_goes_from_28x28x1_to_7x7x36():
    steps = shape_chain()
    assert steps[0].shape == (28, 28, 1)
    assert [s.shape for s in steps if s.name.endswith("pool")] == [(14, 14, 24), (7, 7, 36)]
    assert steps[-1].shape == (10,)
    assert next(s for s in steps if s.name == "flatten").shape == (7 * 7 * 36,)


def test_the_shape_chain_agrees_with_the_model_summary():
    from cnn_core.models import ModelConfig, summarize

    by_name = {row.name: row.output_shape for row in summarize(ModelConfig())}
    for step in shape_chain():
        if step.name in by_name:
            assert step.shape == by_name[step.name], step.name


def test_a_chain_that_shrinks_to_nothing_names_the_layer():
    layers = [
        layer_shapes.LayerSpec("c1", "conv", 5, 1, "valid", 8),
        layer_shapes.LayerSpec("c2", "conv", 5, 1, "valid", 8),
    ]
    with pytest.raises(ValueError, match="^c2: .*5×5 kernel does not fit in a 4×4"):
        shape_chain(layers, size=8)


# --- TensorFlow's "same" split -------------------------------------------------------------


@pytest.mark.parametrize(
    "size, kernel, stride, dilation, expected",
    [
        (28, 3, 1, 1, (1, 1)),
        (28, 4, 1, 1, (1, 2)),  # odd total: the extra zero goes after
        (28, 3, 2, 1, (0, 1)),  # asymmetric even for an odd kernel when striding
        (28, 2, 2, 1, (0, 0)),
        (7, 3, 1, 2, (2, 2)),
        (5, 1, 3, 1, (0, 0)),
        (3, 7, 1, 1, (3, 3)),  # a kernel larger than the input still fits once padded
    ],
)
def test_same_padding_split(size, kernel, stride, dilation, expected):
    assert same_padding(size, kernel, stride, dilation) == expected


def test_explicit_padding_is_the_same_on_both_sides():
    assert padding_amounts(9, 3, 1, 2) == (2, 2)
    assert padding_amounts(9, 3, 1, "valid") == (0, 0)
    assert padding_amounts(9, 3, 1, "SAME") == (1, 1)


# --- Cases that cannot work explain themselves ---------------------------------------------


def test_a_kernel_larger_than_the_input_says_so():
    with pytest.raises(ValueError, match=r"^A 7×7 kernel does not fit in a 5×5 input with no padding\.$"):
        conv_output_size(5, 7)
    with pytest.raises(ValueError, match=r"padded input is only 7×7"):
        conv_output_size(5, 9, padding=1)
    with pytest.raises(ValueError, match=r"spanning 9×9 with dilation 2"):
        conv_output_size(8, 5, dilation=2)


def test_stride_with_dilation_is_refused_as_keras_does():
    with pytest.raises(ValueError, match="stride of 2 together with a dilation of 2"):
        conv_output_size(28, 3, 2, "same", 2)
    with pytest.raises(ValueError, match="Conv2DTranspose"):
        conv_transpose_output_size(7, 3, 2, "same", 2)


@pytest.mark.parametrize(
    "call",
    [
        lambda: conv_output_size(0, 3),
        lambda: conv_output_size(28, 0),
        lambda: conv_output_size(28, 3, 0),
        lambda: conv_output_size(28, 3, 1, -1),
        lambda: conv_output_size(28, 3, 1, "full"),
        lambda: conv_output_size(28, 3, 1, True),
        lambda: conv_output_size(28, 2.5),
        lambda: pool_output_size(28, 2, padding=1),
        lambda: pool_output_size(3, 4),
        lambda: conv_transpose_output_size(7, 3, 2, "valid", output_padding=2),
        lambda: conv_transpose_output_size(7, 3, 2, "full"),
    ],
)
def test_nonsense_is_a_value_error_with_a_sentence(call):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message[0].isupper() and message.endswith(".")


def test_pooling_window_too_large_suggests_a_fix():
    with pytest.raises(ValueError, match="5×5 pooling window does not fit in a 3×3 input.*'same'"):
        pool_output_size(3, 5, 1)
    assert pool_output_size(3, 5, padding="same") == 1


# --- Brute force: slide the window and count -----------------------------------------------


def _slide(padded: int, span: int, stride: int) -> list[int]:
    """Start of every window that fits, found by sliding one pixel at a time (no formula)."""
    starts, position = [], 0
    while position + span <= padded:
        starts.append(position)
        position += stride
    return starts


CONV_GRID = list(
    itertools.product(range(1, 21), range(1, 8), range(1, 6), range(1, 4), ["valid", "same", 0, 1, 2, 3])
)


def test_conv_formulas_match_a_sliding_window_on_a_large_grid():
    checked = 0
    for size, kernel, stride, dilation, padding in CONV_GRID:
        if stride > 1 and dilation > 1:
            with pytest.raises(ValueError):
                conv_output_size(size, kernel, stride, padding, dilation)
            continue
        span = (kernel - 1) * dilation + 1  # taps 0, D, 2D, ... (K-1)D
        if padding == "same":
            # TF's definition: the fewest zeros that give ceil(I / S) windows, split low-first.
            want = math.ceil(size / stride)
            total = next(
                t for t in range(0, span + stride + 1) if len(_slide(size + t, span, stride)) >= want
            )
            before, after = total // 2, total - total // 2
        elif padding == "valid":
            before = after = 0
        else:
            before = after = padding
        starts = _slide(size + before + after, span, stride)
        case = (size, kernel, stride, dilation, padding)
        if not starts:
            with pytest.raises(ValueError, match="does not fit"):
                conv_output_size(size, kernel, stride, padding, dilation)
            continue
        assert conv_output_size(size, kernel, stride, padding, dilation) == len(starts), case
        assert padding_amounts(size, kernel, stride, padding, dilation) == (before, after), case
        last_read = starts[-1] + span
        assert (
            uncovered_pixels(size, kernel, stride, padding, dilation) == size + before + after - last_read
        ), case
        expected = [[s - before + k * dilation for k in range(kernel)] for s in starts]
        assert window_positions(size, kernel, stride, padding, dilation) == expected, case
        arithmetic = conv_arithmetic(size, kernel, stride, padding, dilation)
        assert arithmetic.uncovered_real + arithmetic.uncovered_padding == arithmetic.remainder
        checked += 1
    assert checked > 5000


def test_pool_formulas_match_a_sliding_window_on_a_large_grid():
    for size, pool, stride, padding in itertools.product(
        range(1, 25), range(1, 7), range(1, 7), ["valid", "same"]
    ):
        if padding == "valid":
            starts, before = _slide(size, pool, stride), 0
        else:
            want = math.ceil(size / stride)
            total = max((want - 1) * stride + pool - size, 0)
            before = total // 2
            starts = [s for s in _slide(size + total, pool, stride)][:want]
            assert len(starts) == want
        case = (size, pool, stride, padding)
        if not starts:
            with pytest.raises(ValueError):
                pool_output_size(size, pool, stride, padding)
            continue
        assert pool_output_size(size, pool, stride, padding) == len(starts), case
        windows = pool_window_positions(size, pool, stride, padding)
        expected = [[i for i in range(s - before, s - before + pool) if 0 <= i < size] for s in starts]
        assert windows == expected, case
        assert all(windows), f"every window holds a real pixel: {case}"


def test_transposed_convolution_undoes_the_size_change():
    for size, kernel, stride, padding in itertools.product(
        range(1, 12), range(1, 6), range(1, 4), ["valid", "same"]
    ):
        up = conv_transpose_output_size(size, kernel, stride, padding)
        # The forward convolution of the transposed output has the original size.
        assert conv_output_size(up, kernel, stride, padding) == size, (size, kernel, stride, padding)


# --- A sample checked against TensorFlow itself --------------------------------------------


def _tf_cases(count: int, seed: int = 3):
    rng = random.Random(seed)
    cases = []
    while len(cases) < count:
        size, kernel = rng.randint(1, 16), rng.randint(1, 7)
        stride, dilation = rng.choice([(1, 1), (1, 2), (1, 3), (2, 1), (3, 1), (4, 1)])
        padding = rng.choice(["valid", "same", rng.randint(0, 3)])
        cases.append((size, kernel, stride, padding, dilation))
    return cases


def _tf_conv_output_size(tf, size, kernel, stride, padding, dilation):
    """TensorFlow's own answer from graph-mode shape inference, or None when it refuses.

    Only the op's shape function runs (no kernel is executed), so the answer is the same on
    every CPU: oneDNN's kernels on AMD return 1 where stock TensorFlow refuses.
    """
    tf_padding = (
        padding.upper()
        if isinstance(padding, str)
        else [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    )
    conv = tf.function(lambda x, w: tf.nn.conv2d(x, w, stride, tf_padding, dilations=dilation))
    try:
        graph = conv.get_concrete_function(
            tf.TensorSpec((1, size, size, 1), tf.float32), tf.TensorSpec((kernel, kernel, 1, 1), tf.float32)
        )
    except ValueError as exc:  # the shape function refuses: the kernel does not fit
        assert "Negative dimension size" in str(exc), exc
        return None
    return graph.structured_outputs.shape[1]


def test_the_oracle_refuses_what_onednn_on_amd_accepts():
    import tensorflow as tf

    # Size 1, kernel 3, stride 2, VALID: oneDNN's kernel on AMD returns 1; the shape function refuses.
    assert _tf_conv_output_size(tf, 1, 3, 2, "valid", 1) is None
    assert _tf_conv_output_size(tf, 1, 7, 2, 2, 1) is None
    assert _tf_conv_output_size(tf, 28, 3, 2, "same", 1) == 14


def test_conv_sizes_equal_tensorflows_own():
    import tensorflow as tf

    accepted = refused = 0
    for size, kernel, stride, padding, dilation in _tf_cases(50):
        tf_out = _tf_conv_output_size(tf, size, kernel, stride, padding, dilation)
        if tf_out is None or tf_out == 0:
            with pytest.raises(ValueError):
                conv_output_size(size, kernel, stride, padding, dilation)
            refused += 1
        else:
            assert conv_output_size(size, kernel, stride, padding, dilation) == tf_out
            accepted += 1
    assert accepted > 25 and refused > 0


def test_keras_layers_agree_on_conv_pool_and_transposed_sizes():
    import keras

    rng = random.Random(11)
    for _ in range(40):
        size, kernel, stride = rng.randint(4, 16), rng.randint(1, 4), rng.randint(1, 3)
        padding = rng.choice(["valid", "same"])
        dilation = 1 if stride > 1 else rng.randint(1, 2)
        shape = (1, size, size, 1)
        if effective_kernel_size(kernel, dilation) <= size:
            conv = keras.layers.Conv2D(1, kernel, strides=stride, padding=padding, dilation_rate=dilation)
            assert conv.compute_output_shape(shape)[1] == conv_output_size(
                size, kernel, stride, padding, dilation
            )
        if kernel <= size or padding == "same":
            pool = keras.layers.MaxPooling2D(kernel, strides=stride, padding=padding)
            assert pool.compute_output_shape(shape)[1] == pool_output_size(size, kernel, stride, padding)
        transposed = keras.layers.Conv2DTranspose(
            1, kernel, strides=stride, padding=padding, dilation_rate=dilation
        )
        assert transposed.compute_output_shape(shape)[1] == conv_transpose_output_size(
            size, kernel, stride, padding, dilation
        )
        if stride > 1:
            op = rng.randrange(stride)
            transposed = keras.layers.Conv2DTranspose(
                1, kernel, strides=stride, padding=padding, output_padding=op
            )
            assert transposed.compute_output_shape(shape)[1] == conv_transpose_output_size(
                size, kernel, stride, padding, output_padding=op
            )
    with pytest.raises(ValueError):
        keras.layers.Conv2D(1, 3, strides=2, dilation_rate=2)


# --- The Convolution page's code box and Play -------------------------------------------------------


def test_the_code_of_a_refused_layer_carries_kerass_refusal():
    code = shapes.conv_layer_code(7, 3, stride=2, padding="valid", dilation=2)
    line, refusal = code.split("\n")
    assert line == 'layers.Conv2D(24, (3, 3), strides=2, padding="valid", dilation_rate=2)'
    assert refusal.startswith("# ✗ Keras refuses this line: ValueError: `strides > 1` not supported")
    assert "strides=(2, 2) and dilation_rate=(2, 2)" in refusal
    assert "✗" in shapes.conv_layer_code(5, 7)  # no output at all: refused when the model is built
    assert (
        shapes.conv_layer_code(7, 3, 1, 1)
        == 'layers.ZeroPadding2D(1)\nlayers.Conv2D(24, (3, 3), strides=1, padding="valid")'
    )
    assert "✗" not in shapes.conv_layer_code(7, 3, 1, "same", 2)
    assert shapes.conv_layer_code(28, 3, 1, "same", filters=32, use_bias=False) == (
        'layers.Conv2D(32, (3, 3), strides=1, padding="same", use_bias=False)'
    )


def test_size_formulas_write_numbers_or_letters_as_text_or_latex():
    assert size_formulas.conv_size_formula(28, 3, 1, "same") == "⌊(28 + 1 + 1 − 3) / 1⌋ + 1"
    assert size_formulas.conv_size_formula(28, 3, 2, 1) == "⌊(28 + 2·1 − 3) / 2⌋ + 1"
    assert size_formulas.conv_size_formula(7, 3, 1, "valid", 2) == "⌊(7 − 5) / 1⌋ + 1"  # K_eff = 5
    assert (
        size_formulas.conv_size_formula(28, 3, 2, 1, latex=True)
        == r"\left\lfloor \frac{28 + 2\cdot1 - 3}{2} \right\rfloor + 1"
    )
    assert (
        size_formulas.conv_size_formula(7, 3, 1, "same", 2, symbols=True, latex=True)
        == r"\left\lfloor \frac{I + P_{before} + P_{after} - K_{eff}}{S} \right\rfloor + 1"
    )
    assert size_formulas.padded_input_formula(5, 3, 1, "valid", symbols=True) == "I"
    assert size_formulas.padded_input_formula(5, 3, 1, 2, latex=True) == r"5 + 2\cdot2"
    assert size_formulas.pool_size_formula(28, 2) == "⌊(28 − 2) / 2⌋ + 1"
    assert size_formulas.pool_size_formula(7, 2, 2, "same") == "⌈7 / 2⌉"
    assert size_formulas.pool_size_formula(7, 2, 2, "same", symbols=True, latex=True) == (
        r"\left\lceil \frac{I}{S} \right\rceil"
    )


def test_play_steps_stop_on_the_last_window_before_wrapping():
    assert shapes.play_step(0, 25, 7) == 7
    assert shapes.play_step(20, 25, 7) == 24  # the last cell is shown ...
    assert shapes.play_step(24, 25, 7) == 0  # ... then Play starts over
    assert shapes.play_step(3, 4) == 0 and shapes.play_step(0, 4) == 1


def test_jump_to_the_end_of_the_row_then_of_the_next():
    assert shapes.end_of_row(0, 5) == 4
    assert shapes.end_of_row(7, 5) == 9
    assert shapes.end_of_row(4, 5) == 9  # already at a row's end: the next row's
    assert shapes.end_of_row(24, 5) == 24  # the last cell stays put


def test_the_tutorials_formula_1_1_takes_the_numbers_as_latex():
    assert size_formulas.tutorial_size_latex(28, 3, 1, 2, compared_to=28) == (
        r"O = \dfrac{28 - 3 + 2 \cdot 2}{1} + 1 = 30 \neq 28"
    )
    assert size_formulas.tutorial_size_latex(28, 3, 1, 1, compared_to=28).endswith("+ 1 = 28 = 28")
    assert size_formulas.tutorial_size_latex(7, 3, 2, 0) == r"O = \dfrac{7 - 3 + 2 \cdot 0}{2} + 1 = 3"
