"""cnn_core.kernels: the named kernels, and numpy convolution/pooling that match TensorFlow."""

from __future__ import annotations

import random

import numpy as np
import pytest

from cnn_core.kernels import (
    KERNEL_NAMES,
    KERNEL_NOTES,
    convolve2d,
    downsample,
    named_kernel,
    pool2d,
    pool_winners,
)
from cnn_core.shapes import conv_output_size, pool_output_size

# --- The named kernels a student picks ------------------------------------------------------


def test_every_named_kernel_has_a_note_and_any_size():
    assert set(KERNEL_NOTES) == set(KERNEL_NAMES)
    for name in KERNEL_NAMES:
        for size in range(1, 8):
            assert named_kernel(name, size).shape == (size, size)


def test_the_3x3_kernels_are_the_textbook_ones():
    np.testing.assert_array_equal(named_kernel("vertical edge"), [[-1, 0, 1]] * 3)
    np.testing.assert_array_equal(named_kernel("horizontal edge"), np.array([[-1, 0, 1]] * 3).T)
    np.testing.assert_allclose(named_kernel("blur"), np.full((3, 3), 1 / 9))


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_blur_and_sharpen_keep_brightness_and_edges_ignore_flat_areas(size):
    assert named_kernel("blur", size).sum() == pytest.approx(1)
    assert named_kernel("sharpen", size).sum() == pytest.approx(1)
    assert named_kernel("vertical edge", size).sum() == pytest.approx(0)
    assert named_kernel("horizontal edge", size).sum() == pytest.approx(0)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_identity_with_same_padding_copies_the_image_even_for_even_kernels(size):
    image = np.random.default_rng(0).random((9, 9))
    np.testing.assert_allclose(convolve2d(image, named_kernel("identity", size), 1, "same"), image)


def test_vertical_edge_sees_vertical_edges_only():
    left_dark = np.zeros((8, 8))
    left_dark[:, 4:] = 1.0  # a vertical boundary between columns 3 and 4
    vertical = convolve2d(left_dark, named_kernel("vertical edge"))
    horizontal = convolve2d(left_dark, named_kernel("horizontal edge"))
    assert vertical.max() == 3 and np.all(vertical[:, [2, 3]] == 3) and np.all(vertical[:, [0, 4, 5]] == 0)
    assert not horizontal.any()


def test_unknown_kernel_names_the_choices():
    with pytest.raises(ValueError, match="vertical edge"):
        named_kernel("emboss")


# --- Convolution by hand --------------------------------------------------------------------


def test_convolution_is_a_cross_correlation_worked_by_hand():
    image = np.arange(16.0).reshape(4, 4)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]])  # top-left minus bottom-right
    np.testing.assert_array_equal(convolve2d(image, kernel), np.full((3, 3), -5.0))
    np.testing.assert_array_equal(convolve2d(image, kernel, stride=2), np.full((2, 2), -5.0))


def test_output_shape_follows_the_formula():
    image = np.ones((28, 28))
    for stride, padding, dilation in [(1, "valid", 1), (2, "same", 1), (3, 2, 1), (1, "same", 3), (1, 0, 2)]:
        out = convolve2d(image, named_kernel("blur", 3), stride, padding, dilation)
        assert out.shape == (conv_output_size(28, 3, stride, padding, dilation),) * 2


def test_bad_shapes_are_value_errors():
    with pytest.raises(ValueError, match="does not fit"):
        convolve2d(np.ones((3, 3)), np.ones((5, 5)))
    with pytest.raises(ValueError, match="square"):
        convolve2d(np.ones((3, 4)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="dilation"):
        convolve2d(np.ones((9, 9)), np.ones((3, 3)), 2, "same", 2)


# --- Pooling by hand ------------------------------------------------------------------------


GRID = np.array(
    [
        [1, 3, 2, 0],
        [4, 2, 1, 5],
        [0, 1, 7, 2],
        [6, 2, 3, 1],
    ],
    dtype=float,
)


def test_max_pooling_keeps_each_windows_largest_number():
    np.testing.assert_array_equal(pool2d(GRID, 2), [[4, 5], [6, 7]])


def test_average_pooling_keeps_each_windows_mean():
    np.testing.assert_array_equal(pool2d(GRID, 2, mode="average"), [[2.5, 2.0], [2.25, 3.25]])


def test_winners_point_at_the_max_of_each_window():
    winners = pool_winners(GRID, 2)
    assert winners.tolist() == [[[1, 0], [1, 3]], [[3, 0], [2, 2]]]


def test_same_pooling_ignores_the_padding():
    image = -np.ones((3, 3))  # all negative: a padding zero must never win
    assert pool2d(image, 2, padding="same").tolist() == [[-1, -1], [-1, -1]]
    assert pool2d(image, 2, padding="same", mode="average").tolist() == [[-1, -1], [-1, -1]]


def test_downsample_turns_a_digit_into_a_readable_grid():
    image = np.zeros((28, 28))
    image[:14] = 200.0
    small = downsample(image, 4)
    assert small.shape == (4, 4)
    np.testing.assert_allclose(small[:2], 200.0)
    np.testing.assert_allclose(small[2:], 0.0)
    assert downsample(image, 28).tolist() == image.tolist()


# --- The same numbers as TensorFlow -----------------------------------------------------------


def _conv_cases(count: int, seed: int = 7):
    rng = random.Random(seed)
    cases = []
    while len(cases) < count:
        size, kernel = rng.randint(3, 14), rng.randint(1, 5)
        stride, dilation = rng.choice([(1, 1), (1, 2), (1, 3), (2, 1), (3, 1)])
        padding = rng.choice(["valid", "same", "same", rng.randint(0, 3)])
        try:
            conv_output_size(size, kernel, stride, padding, dilation)
        except ValueError:
            continue
        cases.append((size, kernel, stride, padding, dilation))
    return cases


def test_convolution_values_equal_tf_nn_conv2d():
    import tensorflow as tf

    rng = np.random.default_rng(1)
    for size, kernel, stride, padding, dilation in _conv_cases(30):
        image, weights = rng.standard_normal((size, size)), rng.standard_normal((kernel, kernel))
        tf_padding = (
            padding.upper()
            if isinstance(padding, str)
            else [[0, 0], [padding, padding], [padding, padding], [0, 0]]
        )
        expected = tf.nn.conv2d(
            image[None, :, :, None], weights[:, :, None, None], stride, tf_padding, dilations=dilation
        ).numpy()[0, :, :, 0]
        np.testing.assert_allclose(
            convolve2d(image, weights, stride, padding, dilation),
            expected,
            atol=1e-9,
            err_msg=str((size, kernel, stride, padding, dilation)),
        )


def test_pooling_values_and_winners_equal_tensorflows_pooling_ops():
    # tf.nn.max_pool2d / avg_pool2d are what Keras's pooling layers call; tf.nn.pool itself
    # refuses a stride larger than the window, which Keras (and this explorer) allow.
    import tensorflow as tf

    rng = np.random.default_rng(2)
    cases = [
        (size, pool, stride, padding)
        for size, pool, stride, padding in [
            (rng.integers(2, 15), rng.integers(1, 5), rng.integers(1, 5), p) for p in ["valid", "same"] * 12
        ]
        if padding == "same" or pool <= size
    ]
    assert len(cases) > 15
    for size, pool, stride, padding in cases:
        size, pool, stride = int(size), int(pool), int(stride)
        image = rng.standard_normal((size, size)).astype(np.float32)
        x = image[None, :, :, None]
        for mode, op in [("max", tf.nn.max_pool2d), ("average", tf.nn.avg_pool2d)]:
            expected = op(x, pool, stride, padding.upper())
            np.testing.assert_allclose(
                pool2d(image, pool, stride, padding, mode),
                expected.numpy()[0, :, :, 0],
                rtol=1e-5,
                atol=1e-6,
                err_msg=str((size, pool, stride, padding, mode)),
            )
        _, argmax = tf.nn.max_pool_with_argmax(x, pool, stride, padding.upper())
        flat = argmax.numpy()[0, :, :, 0]
        winners = pool_winners(image, pool, stride, padding)
        assert winners.shape[:2] == (pool_output_size(size, pool, stride, padding),) * 2
        np.testing.assert_array_equal(winners[..., 0] * size + winners[..., 1], flat)
