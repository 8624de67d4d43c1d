"""Output sizes of convolution and pooling layers: formula (1.1) of the tutorial, done right.

All sizes are counts of pixels along one spatial axis (height or width; the layers here are
square). The tutorial's formula O = (I - K + 2P) / S + 1 needs a floor, and TensorFlow's
"same" padding is not a number P but a split that may put the odd extra row after the image.

Pure Python: this module never imports TensorFlow, so the pages that use it answer instantly.
"""

from __future__ import annotations

from typing import Union

Padding = Union[str, int]  # "valid", "same", or zeros added on each side


def effective_kernel_size(kernel: int, dilation: int = 1) -> int:
    """Span of a dilated kernel in input pixels: K_eff = K + (K - 1)(D - 1)."""
    _check_positive(kernel=kernel, dilation=dilation)
    return kernel + (kernel - 1) * (dilation - 1)


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """Zeros TensorFlow adds (before, after) for ``padding="same"``.

    "same" makes O = ceil(I / S); the total padding is whatever that needs, and when it is odd
    the extra row goes after (bottom/right), e.g. I=28, K=4, S=1 -> (1, 2).
    """
    _check_positive(size=size, kernel=kernel, stride=stride, dilation=dilation)
    k_eff = effective_kernel_size(kernel, dilation)
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def padding_amounts(
    size: int, kernel: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> tuple[int, int]:
    """Zeros added (before, after) for any padding: "valid" -> (0, 0), P -> (P, P)."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        return same_padding(size, kernel, stride, dilation)
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(
            f"Padding must be 'valid', 'same' or a whole number of zeros >= 0, not {padding!r}."
        )
    return padding, padding


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> int:
    """Output size of a convolution: O = floor((I + P_before + P_after - K_eff) / S) + 1.

    Raises ``ValueError`` with a sentence saying why when the kernel does not fit, or when
    Keras refuses the combination (a stride above 1 together with a dilation above 1).
    """
    _check_positive(size=size, kernel=kernel, stride=stride, dilation=dilation)
    if stride > 1 and dilation > 1:
        raise ValueError(
            f"Keras does not allow a stride of {stride} together with a dilation of {dilation}: "
            "use stride 1 when dilating, or dilation 1 when striding."
        )
    before, after = padding_amounts(size, kernel, stride, padding, dilation)
    k_eff = effective_kernel_size(kernel, dilation)
    padded = size + before + after
    if k_eff > padded:
        what = f"{kernel}×{kernel} kernel" + (
            f" (spanning {k_eff}×{k_eff} with dilation {dilation})" if dilation > 1 else ""
        )
        pad_text = "no padding" if before + after == 0 else f"padding {before}+{after}"
        raise ValueError(
            f"A {what} does not fit in a {size}×{size} input with {pad_text}: "
            f"the padded input is only {padded} wide."
        )
    return (padded - k_eff) // stride + 1


def pool_output_size(
    size: int, pool: int, stride: int | None = None, padding: str = "valid"
) -> int:
    """Output size of max/average pooling; ``stride`` defaults to the pool size, as in Keras."""
    stride = pool if stride is None else stride
    if padding not in ("valid", "same"):
        raise ValueError(f"Pooling padding must be 'valid' or 'same', not {padding!r}.")
    _check_positive(size=size, pool=pool, stride=stride)
    if padding == "same":
        return -(-size // stride)
    if pool > size:
        raise ValueError(
            f"A {pool}×{pool} pooling window does not fit in a {size}×{size} input "
            "with 'valid' padding: use a smaller pool, or 'same' padding."
        )
    return (size - pool) // stride + 1


def conv_transpose_output_size(
    size: int, kernel: int, stride: int = 1, padding: str = "valid", dilation: int = 1
) -> int:
    """Output size of Conv2DTranspose (no output_padding): the inverse of conv_output_size.

    "valid": O = (I - 1) S + K_eff; "same": O = I S.
    """
    _check_positive(size=size, kernel=kernel, stride=stride, dilation=dilation)
    if padding == "same":
        return size * stride
    if padding == "valid":
        return (size - 1) * stride + effective_kernel_size(kernel, dilation)
    raise ValueError(f"Transposed padding must be 'valid' or 'same', not {padding!r}.")


def uncovered_pixels(
    size: int, kernel: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> int:
    """Padded-input rows/columns at the end that no window ever reaches (the floor's remainder)."""
    before, after = padding_amounts(size, kernel, stride, padding, dilation)
    k_eff = effective_kernel_size(kernel, dilation)
    out = conv_output_size(size, kernel, stride, padding, dilation)
    return size + before + after - ((out - 1) * stride + k_eff)


def window_positions(
    size: int, kernel: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> list[list[int]]:
    """For each output index, the input indices its window reads (may be < 0 or >= size in padding).

    Indices are relative to the unpadded input: -1 is the first padding zero before it.
    """
    before, _ = padding_amounts(size, kernel, stride, padding, dilation)
    out = conv_output_size(size, kernel, stride, padding, dilation)
    return [
        [o * stride - before + k * dilation for k in range(kernel)] for o in range(out)
    ]


def pool_window_positions(
    size: int, pool: int, stride: int | None = None, padding: str = "valid"
) -> list[list[int]]:
    """For each pooling output index, the input indices in its window (only real pixels)."""
    stride = pool if stride is None else stride
    out = pool_output_size(size, pool, stride, padding)
    before = same_padding(size, pool, stride)[0] if padding == "same" else 0
    return [
        [i for i in range(o * stride - before, o * stride - before + pool) if 0 <= i < size]
        for o in range(out)
    ]


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"The {name} must be a whole number of at least 1, not {value!r}.")
