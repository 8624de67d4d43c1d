"""Named kernels, and convolution and pooling of one grey image in plain numpy.

What a Conv2D or a pooling layer does to one channel, computed exactly as TensorFlow does it
(tests/unit/test_kernels.py checks against tf.nn.conv2d and tf.nn.pool): a cross-correlation
(the kernel is not flipped), zeros for padding, TensorFlow's "same" split, dilation, and pooling
that ignores the padding ("same" max never picks a padding zero; an average divides by the real
pixels in its window). Pure numpy, so the Convolution and Pooling pages never load TensorFlow.
"""

from __future__ import annotations

import numpy as np

from . import shapes

# Shown in this order on the page; "identity" first would make a dull default.
KERNEL_NAMES = ("vertical edge", "horizontal edge", "blur", "sharpen", "identity")

KERNEL_NOTES = {
    "vertical edge": "right half +1, left half −1: bright where the image gets brighter to the "
    "right, dark where it gets darker, zero on flat areas",
    "horizontal edge": "bottom half +1, top half −1: responds to edges that run across",
    "blur": "every weight 1/K²: each output is the mean of its window",
    "sharpen": "2 × identity − blur: the pixel plus its difference from the local mean",
    "identity": "a single 1 in the centre: copies the input (with 'same' padding and stride 1)",
}

POOL_MODES = ("max", "average")


def named_kernel(name: str, size: int = 3) -> np.ndarray:
    """A ``size`` × ``size`` float64 kernel by name (see KERNEL_NAMES).

    The 3×3 edges are Prewitt's ([-1, 0, 1] in each row); larger sizes extend the same idea.
    The "centre" of an even kernel is at index (K - 1) // 2, where TensorFlow's "same" split
    puts it, so the identity copies the image exactly at stride 1.
    """
    if name not in KERNEL_NAMES:
        raise ValueError(f"Unknown kernel {name!r}: choose one of {', '.join(KERNEL_NAMES)}.")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"The kernel size must be a whole number of at least 1, not {size!r}.")
    centre = (size - 1) // 2
    identity = np.zeros((size, size))
    identity[centre, centre] = 1.0
    blur = np.full((size, size), 1.0 / (size * size))
    if name == "identity":
        return identity
    if name == "blur":
        return blur
    if name == "sharpen":
        return 2.0 * identity - blur
    # Edges: -1 left of the middle, +1 right of it, 0 on the middle column of an odd kernel.
    row = np.sign(np.arange(size) - (size - 1) / 2.0)
    vertical = np.tile(row, (size, 1))
    return vertical if name == "vertical edge" else vertical.T.copy()


def convolve2d(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: shapes.Padding = "valid",
    dilation: int = 1,
) -> np.ndarray:
    """One output channel of a Conv2D without bias: float64 (O, O) from an (I, I) image.

    ``image`` is any real (I, I) array (scale uint8 to [0, 1] before, if you want the network's
    units); ``kernel`` is (K, K). Same arithmetic as ``tf.nn.conv2d`` (cross-correlation).
    Raises ``ValueError`` when the shapes do not fit (see :func:`shapes.conv_output_size`).
    """
    image = _square(image, "image")
    kernel = _square(kernel, "kernel")
    size, k = image.shape[0], kernel.shape[0]
    out = shapes.conv_output_size(size, k, stride, padding, dilation)
    before, after = shapes.padding_amounts(size, k, stride, padding, dilation)
    padded = np.pad(image.astype(np.float64, copy=False), (before, after))
    span = (out - 1) * stride + 1  # rows between the first and last window's top-left tap
    result = np.zeros((out, out))
    # K² shifted, strided views summed: vectorised, and exact for any stride and dilation.
    for i in range(k):
        for j in range(k):
            if kernel[i, j] != 0:
                r, c = i * dilation, j * dilation
                result += kernel[i, j] * padded[r : r + span : stride, c : c + span : stride]
    return result


def pool2d(
    image: np.ndarray,
    pool: int,
    stride: int | None = None,
    padding: str = "valid",
    mode: str = "max",
) -> np.ndarray:
    """Max or average pooling of an (I, I) image: float64 (O, O), as ``tf.nn.pool`` does it.

    ``stride`` defaults to ``pool`` (Keras's default). With "same" padding the windows that hang
    over the edge pool only the real pixels they cover.
    """
    windows, out = _pool_windows(image, pool, stride, padding)
    if mode == "max":
        return np.nanmax(windows, axis=(2, 3)) if out else np.zeros((0, 0))
    if mode == "average":
        return np.nanmean(windows, axis=(2, 3))
    raise ValueError(f"Pooling mode must be one of {', '.join(POOL_MODES)}, not {mode!r}.")


def pool_winners(
    image: np.ndarray, pool: int, stride: int | None = None, padding: str = "valid"
) -> np.ndarray:
    """For max pooling, the input (row, column) of each window's winner: int (O, O, 2).

    Ties go to the first pixel in reading order (the one ``tf.nn.max_pool_with_argmax`` names).
    """
    windows, out = _pool_windows(image, pool, stride, padding)
    stride = pool if stride is None else stride
    same = str(padding).lower() == "same"
    before = shapes.same_padding(image.shape[0], pool, stride)[0] if same else 0
    flat = np.where(np.isnan(windows), -np.inf, windows).reshape(out, out, pool * pool)
    best = flat.argmax(axis=2)
    starts = np.arange(out) * stride - before
    rows = starts[:, None] + best // pool
    cols = starts[None, :] + best % pool
    return np.stack([rows, cols], axis=-1)


def downsample(image: np.ndarray, size: int) -> np.ndarray:
    """Shrink a square image to ``size`` × ``size`` by averaging the pixels each cell covers.

    Used to turn a 28×28 digit into a small grid of numbers a student can read; float64.
    """
    image = _square(image, "image").astype(np.float64, copy=False)
    n = image.shape[0]
    if not 1 <= size <= n:
        raise ValueError(f"Can only shrink a {n}×{n} image to between 1×1 and {n}×{n}, not {size}×{size}.")
    # Each output cell averages the input pixels whose centres fall inside it (area-like).
    idx = np.minimum((np.arange(n) + 0.5) // (n / size), size - 1).astype(int)
    sums = np.zeros((size, size))
    np.add.at(sums, (idx[:, None], idx[None, :]), image)
    counts = np.bincount(idx, minlength=size)
    return sums / np.outer(counts, counts)


def _pool_windows(image: np.ndarray, pool: int, stride: int | None, padding: str) -> tuple[np.ndarray, int]:
    """All pooling windows as a float64 (O, O, pool, pool) view, padding marked NaN."""
    image = _square(image, "image")
    stride = pool if stride is None else stride
    size = image.shape[0]
    out = shapes.pool_output_size(size, pool, stride, padding)
    if str(padding).lower() == "same":
        before, after = shapes.same_padding(size, pool, stride)
    else:
        before = after = 0
    padded = np.pad(image.astype(np.float64), (before, after), constant_values=np.nan)
    view = np.lib.stride_tricks.sliding_window_view(padded, (pool, pool))
    return view[: (out - 1) * stride + 1 : stride, : (out - 1) * stride + 1 : stride], out


def _square(array: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] == 0:
        raise ValueError(f"The {what} must be a square 2-D array, not one of shape {array.shape}.")
    return array
