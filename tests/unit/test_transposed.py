"""Transposed convolution: where each input pixel's stamp lands, how many stamps cover each output
pixel, and the words the Convolution page shows; checked by brute force and against Keras."""

from __future__ import annotations

import itertools

import pytest

from cnn_core import shapes
from cnn_core.shapes import (
    conv_output_size,
    conv_transpose_output_size,
    transposed_coverage,
    transposed_patches,
)

PADDINGS = ["valid", "same"]
GRID = list(itertools.product(range(1, 9), range(1, 6), range(1, 4), PADDINGS, [None, 0, 1, 2]))


def _runs(size, kernel, stride, padding, output_padding) -> bool:
    """Whether TensorFlow runs the layer: Keras accepts the output padding and a Conv2D with
    the same settings takes the output back to the input size."""
    if output_padding is not None and output_padding >= stride:
        return False
    out = conv_transpose_output_size(size, kernel, stride, padding, output_padding=output_padding)
    try:
        return conv_output_size(out, kernel, stride, padding) == size
    except ValueError:
        return False


def _brute_force_coverage(size, kernel, stride, padding, output_padding):
    """Stamp every input pixel's K×K kernel onto the output one tap at a time and count.

    The stamp of input i starts at i·S − P_before, with TensorFlow's 'same' rule for the
    forward convolution from O back to I: P_total = max((I − 1)·S + K − O, 0), P_before = ⌊P_total / 2⌋.
    """
    out = conv_transpose_output_size(size, kernel, stride, padding, output_padding=output_padding)
    before = max((size - 1) * stride + kernel - out, 0) // 2 if padding == "same" else 0
    grid = [[0] * out for _ in range(out)]
    for r, c, kr, kc in itertools.product(range(size), range(size), range(kernel), range(kernel)):
        orow, ocol = r * stride - before + kr, c * stride - before + kc
        if 0 <= orow < out and 0 <= ocol < out:
            grid[orow][ocol] += 1
    return grid


def test_coverage_matches_a_brute_force_stamping_loop():
    checked = refused = 0
    for case in GRID:
        size, kernel, stride, padding, output_padding = case
        if output_padding is not None and output_padding >= stride:
            with pytest.raises(ValueError, match="smaller than the stride"):
                transposed_coverage(*case)
            continue
        if not _runs(*case):
            with pytest.raises(ValueError, match="TensorFlow refuses to run the layer"):
                transposed_coverage(*case)
            refused += 1
            continue
        assert transposed_coverage(*case) == _brute_force_coverage(*case), case
        checked += 1
    assert checked > 400 and refused > 0  # the refused ones: an even K, 'same', output_padding 0


def test_valid_padding_crops_nothing_so_every_tap_lands():
    for size, kernel, stride in itertools.product(range(1, 8), range(1, 6), range(1, 4)):
        coverage = transposed_coverage(size, kernel, stride, "valid")
        assert sum(map(sum, coverage)) == size * size * kernel * kernel
        assert all(len(p) == kernel for p in transposed_patches(size, kernel, stride, "valid"))


def test_k3_stride2_covers_1_2_or_4_times_a_checkerboard_and_k4_covers_evenly():
    assert transposed_coverage(3, 3, 2, "valid")[2] == [2, 2, 4, 2, 4, 2, 2]
    assert {c for row in transposed_coverage(7, 3, 2, "same") for c in row} == {1, 2, 4}
    inside = [row[2:-2] for row in transposed_coverage(7, 4, 2, "same")[2:-2]]
    assert {c for row in inside for c in row} == {4}
    assert transposed_coverage(3, 2, 3, "valid")[0] == [1, 1, 0, 1, 1, 0, 1, 1, 0]  # K < S: gaps


# Observed once on this machine by running Keras's Conv2DTranspose on a one-hot input with a
# kernel of ones (a non-degenerate shape; the tests themselves never run a TensorFlow kernel):
# (I, K, S, padding, output_padding, input index) -> the output indices that became non-zero.
OBSERVED = [
    (7, 3, 2, "same", None, 0, [0, 1, 2]),
    (7, 3, 2, "same", None, 6, [12, 13]),
    (7, 4, 2, "same", None, 0, [0, 1, 2]),
    (7, 4, 2, "same", None, 6, [11, 12, 13]),
    (7, 4, 2, "same", 1, 6, [11, 12]),
    (7, 3, 2, "valid", 1, 6, [12, 13, 14]),
    (3, 1, 3, "valid", None, 2, [6]),
    (7, 5, 3, "same", None, 6, [17, 18, 19, 20]),
    (4, 4, 1, "same", None, 0, [0, 1, 2]),
    (4, 4, 1, "same", None, 3, [2, 3]),
]


@pytest.mark.parametrize("size, kernel, stride, padding, op, index, expected", OBSERVED)
def test_stamps_land_where_keras_put_them(size, kernel, stride, padding, op, index, expected):
    assert transposed_patches(size, kernel, stride, padding, op)[index] == expected


def test_sizes_and_stamps_agree_with_keras_shape_inference():
    import keras
    import tensorflow as tf

    cases = [
        (7, 3, 2, "same", None),
        (7, 3, 2, "valid", None),
        (7, 3, 2, "valid", 1),
        (7, 4, 2, "same", 1),
        (7, 4, 2, "same", 0),
        (5, 2, 3, "valid", None),
        (4, 5, 1, "same", None),
        (6, 5, 3, "same", 2),
        (1, 3, 2, "valid", 0),
        (8, 1, 3, "same", None),
    ]
    for size, kernel, stride, padding, op in cases:
        layer = keras.layers.Conv2DTranspose(1, kernel, strides=stride, padding=padding, output_padding=op)
        # Graph-mode shape inference only: no kernel runs (oneDNN's differ between CPUs).
        graph = tf.function(layer).get_concrete_function(tf.TensorSpec((1, size, size, 1), tf.float32))
        out = graph.structured_outputs.shape[1]
        assert conv_transpose_output_size(size, kernel, stride, padding, output_padding=op) == out
        if _runs(size, kernel, stride, padding, op):
            assert len(transposed_coverage(size, kernel, stride, padding, op)) == out
    with pytest.raises(ValueError):
        keras.layers.Conv2DTranspose(1, 3, strides=2, output_padding=2)


# --- The words -------------------------------------------------------------------------------


def test_the_keras_line_and_a_refused_output_padding():
    assert (
        shapes.transposed_layer_code(3, 2, "same")
        == 'layers.Conv2DTranspose(24, (3, 3), strides=2, padding="same")'
    )
    line, refusal = shapes.transposed_layer_code(3, 2, "valid", 2).split("\n")
    assert line.endswith("output_padding=2)") and refusal.startswith("# ✗ Keras refuses")
