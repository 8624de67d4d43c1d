"""Output sizes of convolution and pooling layers: formula (1.1) of the tutorial, done right.

All sizes are counts of pixels along one spatial axis (height or width; the layers here are
square). The tutorial's formula O = (I - K + 2P) / S + 1 needs a floor, and TensorFlow's
"same" padding is not a number P but a split that may put the odd extra row after the image.

Every size here equals TensorFlow's own for every case TensorFlow accepts (tests/unit/
test_shapes.py checks a sample against tf.nn.conv2d, tf.nn.pool and the Keras layers). Where
TensorFlow or Keras refuses a case, or the output would be empty, a ``ValueError`` says why in
a sentence a student can act on.

Pure Python: this module never imports TensorFlow, so the pages that use it answer instantly.
The explorers compute the same sizes in the browser (ui/explorers/arithmetic.js), checked
against this module on every setting their controls allow (tests/e2e/test_explorer_arithmetic.py).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Union

Padding = Union[str, int]  # "valid", "same", or zeros added on each side


def effective_kernel_size(kernel: int, dilation: int = 1) -> int:
    """Span of a dilated kernel in input pixels: K_eff = K + (K - 1)(D - 1).

    A 3×3 kernel with dilation 2 reads pixels 0, 2 and 4: it spans 5 pixels.
    """
    _check_positive(kernel=kernel, dilation=dilation)
    return kernel + (kernel - 1) * (dilation - 1)


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """Zeros TensorFlow adds (before, after) for ``padding="same"``, in pixels.

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
    mode = padding_mode(padding)
    if mode == "valid":
        return 0, 0
    if mode == "same":
        return same_padding(size, kernel, stride, dilation)
    return int(padding), int(padding)  # type: ignore[arg-type]  # checked by padding_mode


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> int:
    """Output size of a convolution: O = floor((I + P_before + P_after - K_eff) / S) + 1.

    ``size`` I, ``kernel`` K, ``stride`` S and ``dilation`` D are in pixels; ``padding`` is
    "valid", "same" or a whole number of zeros on each side. Raises ``ValueError`` with a
    sentence saying why when the kernel does not fit, or when Keras refuses the combination
    (a stride above 1 together with a dilation above 1).
    """
    _check_positive(size=size, kernel=kernel, stride=stride, dilation=dilation)
    _check_stride_dilation(stride, dilation, "Conv2D")
    before, after = padding_amounts(size, kernel, stride, padding, dilation)
    k_eff = effective_kernel_size(kernel, dilation)
    padded = size + before + after
    if k_eff > padded:
        what = f"{kernel}×{kernel} kernel" + (
            f" (spanning {k_eff}×{k_eff} with dilation {dilation})" if dilation > 1 else ""
        )
        article = "An" if str(kernel).startswith("8") or kernel in (11, 18) else "A"
        if before + after == 0:
            raise ValueError(f"{article} {what} does not fit in a {size}×{size} input with no padding.")
        raise ValueError(
            f"{article} {what} does not fit in a {size}×{size} input with padding "
            f"{before} + {after}: the padded input is only {padded}×{padded}."
        )
    return (padded - k_eff) // stride + 1


def conv_output_size_or_0(size: int, kernel: int, stride: int = 1, padding: Padding = "valid") -> int:
    """:func:`conv_output_size`, or 0 where the kernel does not fit."""
    try:
        return conv_output_size(size, kernel, stride, padding)
    except ValueError:
        return 0


def pool_output_size(size: int, pool: int, stride: int | None = None, padding: str = "valid") -> int:
    """Output size of max/average pooling; ``stride`` defaults to the pool size, as in Keras.

    "valid": O = floor((I - F) / S) + 1; "same": O = ceil(I / S). Sizes in pixels.
    """
    stride = pool if stride is None else stride
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in ("valid", "same"):
        raise ValueError(f"Pooling padding must be 'valid' or 'same', not {padding!r}.")
    _check_positive(size=size, pool=pool, stride=stride)
    if mode == "same":
        return -(-size // stride)
    if pool > size:
        raise ValueError(
            f"A {pool}×{pool} pooling window does not fit in a {size}×{size} input "
            "with 'valid' padding: use a smaller pool, or 'same' padding."
        )
    return (size - pool) // stride + 1


def conv_transpose_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: str = "valid",
    dilation: int = 1,
    output_padding: int | None = None,
) -> int:
    """Output size of Keras's Conv2DTranspose, in pixels.

    Without ``output_padding``: "valid" gives O = (I - 1) S + max(K_eff, S) (a stride larger
    than the kernel leaves gaps that still count), "same" gives O = I S. With it (it must be
    smaller than the stride): O = (I - 1) S + K_eff + output_padding for "valid", and
    (I - 1) S + K_eff - 2 floor(K_eff / 2) + output_padding for "same".
    """
    _check_positive(size=size, kernel=kernel, stride=stride, dilation=dilation)
    _check_stride_dilation(stride, dilation, "Conv2DTranspose")
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in ("valid", "same"):
        raise ValueError(f"Transposed padding must be 'valid' or 'same', not {padding!r}.")
    k_eff = effective_kernel_size(kernel, dilation)
    if output_padding is None:
        if mode == "same":
            return size * stride
        return (size - 1) * stride + max(k_eff, stride)
    if isinstance(output_padding, bool) or not isinstance(output_padding, int):
        raise ValueError(f"The output padding must be a whole number, not {output_padding!r}.")
    if not 0 <= output_padding < stride:
        raise ValueError(
            f"The output padding ({output_padding}) must be at least 0 and smaller than the "
            f"stride ({stride})."
        )
    if mode == "valid":
        return (size - 1) * stride + k_eff + output_padding
    return (size - 1) * stride + k_eff - 2 * (k_eff // 2) + output_padding


def transposed_patches(
    size: int, kernel: int, stride: int = 1, padding: str = "valid", output_padding: int | None = None
) -> list[list[int]]:
    """For each input index of a Conv2DTranspose, the output indices its K taps are added to.

    Input pixel i stamps the kernel onto output pixels i·S − P_before … i·S − P_before + K − 1
    (only those inside the O-pixel output are kept: 'same' crops the stamps at the border). It
    is the forward convolution read backwards: the stamp of input i is exactly the window of a
    Conv2D with the same K, S and padding that makes output i from an O-pixel input, which is
    how TensorFlow defines the layer. Raises ``ValueError`` like
    :func:`conv_transpose_output_size`, and where that Conv2D would not give back I pixels
    (an even K, 'same' and output_padding 0): Keras computes a size, but TensorFlow refuses to
    run the layer.
    """
    out = conv_transpose_output_size(size, kernel, stride, padding, output_padding=output_padding)
    mode = padding.lower()
    back = conv_output_size_or_0(out, kernel, stride, mode)
    if back != size:
        raise ValueError(
            f"Keras computes a {out}×{out} output here, but TensorFlow refuses to run the layer: "
            f"a '{mode}' convolution with stride {stride} takes {out}×{out} to {back}×{back}, "
            f"not back to {size}×{size}. Choose another output padding (or none)."
        )
    return [[o for o in window if 0 <= o < out] for window in window_positions(out, kernel, stride, mode)]


def transposed_coverage(
    size: int, kernel: int, stride: int = 1, padding: str = "valid", output_padding: int | None = None
) -> list[list[int]]:
    """How many input pixels' K×K stamps cover each output pixel: an O×O grid of counts.

    Where K is not a multiple of S the counts alternate (1, 2, 4, ... in the interior): the
    uneven sum behind the checkerboard artefacts of transposed convolutions. A 0 is an output
    pixel no stamp reaches (a stride larger than the kernel, or output padding). Raises like
    :func:`transposed_patches`.
    """
    patches = transposed_patches(size, kernel, stride, padding, output_padding)
    out = conv_transpose_output_size(size, kernel, stride, padding, output_padding=output_padding)
    line = [0] * out
    for patch in patches:
        for o in patch:
            line[o] += 1
    return [[r * c for c in line] for r in line]  # the stamps are K×K: rows times columns


def transposed_layer_code(
    kernel: int, stride: int = 1, padding: str = "valid", output_padding: int | None = None, filters: int = 24
) -> str:
    """The Keras code of one square Conv2DTranspose layer; a refused output padding is followed
    by Keras's refusal as a comment, so no one copies a line that fails."""
    code = f'layers.Conv2DTranspose({filters}, ({kernel}, {kernel}), strides={stride}, padding="{padding}"'
    if output_padding is not None:
        code += f", output_padding={output_padding}"
    code += ")"
    if output_padding is not None and not 0 <= output_padding < stride:
        code += (
            f"\n# ✗ Keras refuses this layer: the output padding ({output_padding}) must be smaller "
            f"than the stride ({stride})."
        )
    return code


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

    Indices are relative to the unpadded input: -1 is the first padding zero before it. With
    dilation D the K indices are D apart. A 2-D window is the product of a row and a column list.
    """
    before, _ = padding_amounts(size, kernel, stride, padding, dilation)
    out = conv_output_size(size, kernel, stride, padding, dilation)
    return [[o * stride - before + k * dilation for k in range(kernel)] for o in range(out)]


def pool_window_positions(
    size: int, pool: int, stride: int | None = None, padding: str = "valid"
) -> list[list[int]]:
    """For each pooling output index, the input indices in its window (only real pixels).

    With "same" padding a window may hang over the edge; TensorFlow then pools over the real
    pixels it covers only (padding never wins a max, and is not counted in an average).
    """
    stride = pool if stride is None else stride
    out = pool_output_size(size, pool, stride, padding)
    before = same_padding(size, pool, stride)[0] if padding.lower() == "same" else 0
    return [
        [i for i in range(o * stride - before, o * stride - before + pool) if 0 <= i < size]
        for o in range(out)
    ]


@dataclass(frozen=True)
class ConvArithmetic:
    """Every number of formula (1.1) for one convolution, for a page to show. All in pixels.

    ``numerator`` is I + P_before + P_after - K_eff; O = numerator // S + 1 and ``remainder``
    = numerator % S is the number of padded rows (and columns) at the end no window reaches.
    """

    size: int
    kernel: int
    stride: int
    dilation: int
    padding: Padding  # as asked: "valid", "same" or P
    pad_before: int
    pad_after: int
    k_eff: int
    padded: int
    numerator: int
    output: int
    remainder: int

    @property
    def exact(self) -> bool:
        """Whether S divides the numerator, so the tutorial's formula needs no floor."""
        return self.remainder == 0

    @property
    def symmetric(self) -> bool:
        return self.pad_before == self.pad_after

    @property
    def uncovered_real(self) -> int:
        """How many of the never-reached rows at the end are real pixels (not padding zeros)."""
        return max(0, self.remainder - self.pad_after)

    @property
    def uncovered_padding(self) -> int:
        return min(self.remainder, self.pad_after)

    @property
    def same_total(self) -> int:
        """Total zeros along one axis (before + after)."""
        return self.pad_before + self.pad_after


def conv_arithmetic(
    size: int, kernel: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> ConvArithmetic:
    """The numbers behind :func:`conv_output_size`; raises the same ``ValueError`` s."""
    output = conv_output_size(size, kernel, stride, padding, dilation)
    before, after = padding_amounts(size, kernel, stride, padding, dilation)
    k_eff = effective_kernel_size(kernel, dilation)
    padded = size + before + after
    numerator = padded - k_eff
    return ConvArithmetic(
        size=size,
        kernel=kernel,
        stride=stride,
        dilation=dilation,
        padding=padding,
        pad_before=before,
        pad_after=after,
        k_eff=k_eff,
        padded=padded,
        numerator=numerator,
        output=output,
        remainder=numerator % stride,
    )


def conv_layer_code(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: Padding = "valid",
    dilation: int = 1,
    filters: int = 24,
    use_bias: bool = True,
) -> str:
    """The Keras code of one square Conv2D layer with these settings (``ZeroPadding2D`` first for
    explicit padding; ``use_bias=False`` written when there is no bias). Where Keras would refuse
    them, the code is followed by the refusal as a comment, so no one copies a line that fails."""
    mode = padding_mode(padding)
    code = (
        f"layers.Conv2D({filters}, ({kernel}, {kernel}), strides={stride}, "
        f'padding="{"valid" if mode == "explicit" else mode}"'
    )
    code += f", dilation_rate={dilation}" if dilation > 1 else ""
    code += ", use_bias=False)" if not use_bias else ")"
    if mode == "explicit":
        code = f"layers.ZeroPadding2D({padding})\n" + code
    if stride > 1 and dilation > 1:  # Keras's own words (keras.layers.Conv2D's constructor)
        return (
            code + "\n# ✗ Keras refuses this line: ValueError: `strides > 1` not supported in "
            f"conjunction with `dilation_rate > 1`. Received: strides=({stride}, {stride}) and "
            f"dilation_rate=({dilation}, {dilation})"
        )
    try:
        conv_output_size(size, kernel, stride, padding, dilation)
    except ValueError:
        return (
            code + f"\n# ✗ On a {size}×{size} input Keras refuses this layer when the model is built: "
            "ValueError: Computed output size would be zero or negative."
        )
    return code


def pool_layer_code(
    pool: int, stride: int, padding: str = "valid", mode: str = "max", explicit: bool = False
) -> str:
    """The Keras code of one square pooling layer (``mode`` "max" or "average"), with only the
    arguments that differ from Keras's defaults (strides = pool size, padding 'valid'), or with
    ``explicit`` all of them (a quiz question is about the stride and the padding)."""
    code = f"layers.{'MaxPooling2D' if mode == 'max' else 'AveragePooling2D'}(({pool}, {pool})"
    if explicit or stride != pool:
        code += f", strides=({stride}, {stride})"
    if explicit or padding == "same":
        code += f', padding="{padding}"'
    return code + ")"


def play_step(step: int, positions: int, per_tick: int = 1) -> int:
    """The window after one Play step: ``per_tick`` cells on in reading order, stopping on the
    last cell (so it is always shown) before wrapping around to cell 0. The Convolution
    explorer's Play follows it (ui/explorers/arithmetic.js, checked against it)."""
    if step >= positions - 1:
        return 0
    return min(step + per_tick, positions - 1)


def end_of_row(step: int, output: int) -> int:
    """The last window of ``step``'s row of an ``output``×``output`` grid; from a row's end,
    the end of the next row (the last cell stays put)."""
    end = (step // output) * output + output - 1
    if step == end:
        end = min(end + output, output * output - 1)
    return end


def padding_mode(padding: Padding) -> str:
    """The kind of a padding setting: "valid", "same" or "explicit" (a number of zeros); raises
    ``ValueError`` with a sentence for anything else."""
    if isinstance(padding, str) and padding.lower() in ("valid", "same"):
        return padding.lower()
    if isinstance(padding, bool) or not isinstance(padding, numbers.Integral) or padding < 0:
        raise ValueError(f"Padding must be 'valid', 'same' or a whole number of zeros >= 0, not {padding!r}.")
    return "explicit"


def _check_stride_dilation(stride: int, dilation: int, layer: str) -> None:
    # tf.nn.conv2d itself would accept it, but Keras's layers refuse, and they are what
    # students write; so the explorer follows Keras.
    if stride > 1 and dilation > 1:
        raise ValueError(
            f"Keras's {layer} does not allow a stride of {stride} together with a dilation of "
            f"{dilation}: use stride 1 when dilating, or dilation 1 when striding."
        )


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"The {name} must be a whole number of at least 1, not {value!r}.")
