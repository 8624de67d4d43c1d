"""Formula (1.1) and the pooling size formula worked out with a learner's numbers, and the
sentences that explain them: LaTeX and Markdown strings for the Convolution and Pooling pages.

Pure Python (no TensorFlow, no Streamlit); every size is in pixels along one axis.
"""

from __future__ import annotations

import numpy as np

from .models import LayerRow
from .shapes import (
    ConvArithmetic, Padding, ShapeStep, conv_output_size_or_0, conv_transpose_output_size,
    effective_kernel_size,
    padding_amounts, pool_output_size,
)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st, …, 111th, 112th."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(n: int, word: str) -> str:
    """``word`` with an s unless ``n`` is 1 ("1 row", "2 rows", "0 rows")."""
    return word + "s" * (n != 1)


# --- Convolution ------------------------------------------------------------------------------


def conv_formula(a: ConvArithmetic) -> tuple[str, str]:
    """Formula (1.1) in LaTeX: its general form, then the learner's numbers worked out to O
    (through the floor's quotient when S does not divide the numerator)."""
    k_sym = "K_{eff}" if a.dilation > 1 else "K"
    if a.symmetric:
        general = rf"O = \left\lfloor \dfrac{{I - {k_sym} + 2P}}{{S}} \right\rfloor + 1"
        numbers = f"{a.size} - {a.k_eff} + 2 \\cdot {a.pad_before}"
    else:
        general = rf"O = \left\lfloor \dfrac{{I - {k_sym} + P_{{before}} + P_{{after}}}}{{S}} \right\rfloor + 1"
        numbers = f"{a.size} - {a.k_eff} + {a.pad_before} + {a.pad_after}"
    steps = rf"= \left\lfloor \dfrac{{{numbers}}}{{{a.stride}}} \right\rfloor + 1"
    if not a.exact:
        steps += rf" = \lfloor {a.numerator / a.stride:.4g} \rfloor + 1"
    steps += rf" = {a.numerator // a.stride} + 1 = \mathbf{{{a.output}}}"
    return general, steps


def conv_no_output(size: int, kernel: int, stride: int, padding: Padding, dilation: int) -> tuple[str, str]:
    """Why settings give no output, for a page to show under the error: formula (1.1) in LaTeX
    ending at a size below 1 ("" where Keras refuses stride and dilation together), and what to do."""
    if stride > 1 and dilation > 1:
        return "", (
            "Keras refuses this combination outright (`tf.nn.conv2d` alone would accept it, "
            "but the `Conv2D` layer you write in a model does not). Set the stride or the "
            "dilation back to 1."
        )
    before, after = padding_amounts(size, kernel, stride, padding, dilation)
    k_eff = effective_kernel_size(kernel, dilation)
    numerator = size + before + after - k_eff
    out = numerator // stride + 1
    latex = (
        rf"O = \left\lfloor \dfrac{{{size} + {before} + {after} - {k_eff}}}{{{stride}}} \right\rfloor + 1"
        rf" = \left\lfloor \dfrac{{{numerator}}}{{{stride}}} \right\rfloor + 1 = {out}"
    )
    words = (
        f"A size of {out} means **no output at all**: there is no "
        f"position where the whole {k_eff}-pixel-wide kernel fits. Use a smaller kernel "
        "or dilation, add padding, or choose 'same'."
    )
    return latex, words


def exact_note(a: ConvArithmetic) -> str:
    """Why no floor is needed: S divides the numerator, so the last window ends on the last pixel."""
    return (
        f"The division is exact ({a.numerator} / {a.stride} = {a.numerator // a.stride}): "
        f"the last window ends on the last {'padded ' if a.same_total else ''}pixel."
    )


def floor_note(a: ConvArithmetic) -> str:
    """Why the floor matters: which rows and columns at the end no window reaches."""
    parts = []
    if a.uncovered_real:
        parts.append(f"{a.uncovered_real} real {plural(a.uncovered_real, 'pixel')}")
    if a.uncovered_padding:
        parts.append(f"{a.uncovered_padding} padding {plural(a.uncovered_padding, 'zero')}")
    last = "column is" if a.remainder == 1 else f"{a.remainder} columns are"
    last_rows = "row" if a.remainder == 1 else "rows"
    return (
        f"**The floor matters here.** {a.numerator} / {a.stride} = {a.numerator / a.stride:.4g} is not a whole "
        f"number of steps, and there is no half window: the formula rounds down. So "
        f"**the last {last} never covered** (and the last {last_rows} too): "
        f"{' and '.join(parts)}, drawn purple in the grid. The tutorial's formula forgets "
        "this floor."
    )


def dilation_note(kernel: int, dilation: int) -> str:
    """K_eff = K + (K − 1)(D − 1) with the learner's numbers: same weights, a wider patch."""
    k_eff = effective_kernel_size(kernel, dilation)
    return (
        f"**Dilation** spreads the {kernel}×{kernel} weights {dilation} pixels apart: "
        f"$K_{{eff}} = K + (K-1)(D-1) = {kernel} + {kernel - 1} \\cdot {dilation - 1} = {k_eff}$. "
        f"The kernel still has {kernel * kernel} weights but sees a {k_eff}×{k_eff} patch "
        "(sky-blue cells are skipped)."
    )


def conv_same_note(a: ConvArithmetic) -> str:
    """How 'same' padding is worked out: O = ⌈I / S⌉, the zeros that needs, and their split."""
    target = -(-a.size // a.stride)
    return (
        f"**'same'** asks for $O = \\lceil I / S \\rceil = \\lceil {a.size} / {a.stride} \\rceil = {target}$. "
        f"That needs $P_{{total}} = \\max((O-1)S + K_{{eff}} - I,\\ 0) = "
        f"\\max({target - 1} \\cdot {a.stride} + {a.k_eff} - {a.size},\\ 0) = {a.same_total}$ zeros, "
        f"split {a.pad_before} before and {a.pad_after} after."
        + (
            " The total is odd, so the split is **asymmetric**: TensorFlow puts the extra "
            "zero after the image (bottom and right)."
            if not a.symmetric
            else ""
        )
        + (" 'Same' keeps the size only at stride 1." if a.stride > 1 else "")
    )


def window_sentence(a: ConvArithmetic, row: int, col: int, rows: list[int], cols: list[int]) -> str:
    """Which input rows and columns output cell (``row``, ``col``) sums over (``rows``/``cols``:
    the window's taps, negative or ≥ I where they fall on padding)."""
    every = f" (every {ordinal(a.dilation)})" if a.dilation > 1 else ""
    return (
        f"Output cell **(row {row}, column {col})** is the sum of the {a.kernel * a.kernel} weights "
        f"times input rows {rows[0]}…{rows[-1]}{every} and columns {cols[0]}…{cols[-1]}{every}"
        + (": negative indices, and indices from "
           f"{a.size} on, are padding zeros." if a.same_total else ".")
        + f" The window starts {a.stride} {plural(a.stride, 'pixel')} further right at each step, "
        "and drops down by the stride at the end of a row."
    )


def feature_map_caption(size: int, feature_map: np.ndarray) -> str:
    """The shape an image of ``size``×``size`` becomes, and how the map's colours read."""
    out = feature_map.shape[0]
    strongest = float(np.abs(feature_map).max())
    return (
        f"Shape ({size}, {size}, 1) → ({out}, {out}, 1): "
        f"{size * size:,} pixels become {out * out:,} numbers. Each output pixel is drawn at the "
        "same size as an input pixel, so you see how much the layer shrinks the image. "
        + (f"Blue is negative, red positive, white zero; the strongest colour is ±{strongest:.3g}"
           if (feature_map < 0).any() else f"White is 0, black is {strongest:.3g}")
        + " (hover a pixel for its value)."
    )


def shape_chain_table(chain: list[ShapeStep]) -> dict[str, list[str]]:
    """The columns of a table of the network's layers: name, operation, arithmetic, output shape."""
    return {
        "Layer": [s.name for s in chain],
        "What it does": [s.operation for s in chain],
        "Arithmetic": [s.how for s in chain],
        "Output shape": ["×".join(str(d) for d in s.shape) for s in chain],
    }


def shape_chain_caption(chain: list[ShapeStep]) -> str:
    """The tutorial network's shapes in one line (dropout changes none), and why they shrink."""
    return (
        " → ".join("×".join(str(d) for d in s.shape) for s in chain if s.name != "dropout")
        + ". Padding 'same' keeps 28×28; each 2×2 pooling halves it; 7×7×36 = 1,764 numbers "
        "reach the dense layers."
    )



# --- Transposed convolution -------------------------------------------------------------------


def transposed_formula(size: int, kernel: int, stride: int, padding: str, output_padding: int | None) -> tuple[str, str]:
    """Keras's Conv2DTranspose size in LaTeX, in the four forms :func:`shapes.conv_transpose_output_size`
    uses ('valid'/'same', with or without output_padding): the general form, then the learner's
    numbers worked out to O. Raises its ``ValueError`` where Keras refuses the settings."""
    out = conv_transpose_output_size(size, kernel, stride, padding, output_padding=output_padding)
    grow = rf"({size} - 1) \cdot {stride}"
    if output_padding is None and padding == "same":
        return r"O = I \cdot S", rf"= {size} \cdot {stride} = \mathbf{{{out}}}"
    if output_padding is None:
        return (
            r"O = (I - 1)\,S + \max(K, S)",
            rf"= {grow} + \max({kernel}, {stride}) = {(size - 1) * stride} + {max(kernel, stride)} = \mathbf{{{out}}}",
        )
    op = r"\mathit{output\_padding}"
    if padding == "valid":
        return (
            rf"O = (I - 1)\,S + K + {op}",
            rf"= {grow} + {kernel} + {output_padding} = \mathbf{{{out}}}",
        )
    return (
        rf"O = (I - 1)\,S + K - 2P + {op}, \quad P = \lfloor K/2 \rfloor",
        rf"= {grow} + {kernel} - 2 \cdot {kernel // 2} + {output_padding} = \mathbf{{{out}}}",
    )


def transposed_consequence(size: int, kernel: int, stride: int, padding: str, output_padding: int | None) -> str:
    """What the transposed layer does to the size, in a sentence, and the Conv2D that undoes it."""
    out = conv_transpose_output_size(size, kernel, stride, padding, output_padding=output_padding)
    if stride > 1 and out == size * stride:
        what = (f"Stride {stride} multiplies the size by {stride}: **{size} → {out}**. "
                "That is the decoder's way back up")
        what += " (two of these take the tutorial's 7×7 back to 28×28)." if stride == 2 else "."
    elif stride > 1:
        what = (f"Stride {stride} takes **{size} → {out}**: {stride} × {size} = {size * stride}, "
                f"{'plus' if out > size * stride else 'minus'} {abs(out - size * stride)} at the border.")
    elif out == size:
        what = f"At stride 1 'same' keeps the size (**{size} → {out}**): no upsampling, just a convolution."
    else:
        what = (f"At stride 1 'valid' grows the size by K − 1 = {kernel - 1} (**{size} → {out}**): the "
                "exact undoing of a 'valid' convolution's shrink.")
    if conv_output_size_or_0(out, kernel, stride, padding) == size:
        what += f" A `Conv2D` with the same K, S and padding takes {out}×{out} back to {size}×{size}."
        sizes = [o for o in range(max(1, out - stride), out + stride + 1)
                 if conv_output_size_or_0(o, kernel, stride, padding) == size]
        if output_padding is not None and len(sizes) > 1:
            listed = ", ".join(map(str, sizes[:-1])) + f" and {sizes[-1]}"
            what += f" It takes {listed} to {size} alike: the output padding says which of them you get back."
    return what


def transposed_overlap_note(kernel: int, stride: int, coverage: list[list[int]]) -> str:
    """Why the stamp counts in the output differ (or not): gaps when K < S, a checkerboard when S
    does not divide K, an even interior when it does."""
    counts = sorted({c for row in coverage for c in row})
    listed = ", ".join(str(c) for c in counts[:-1]) + f" or {counts[-1]}" if len(counts) > 1 else str(counts[0])
    if kernel < stride:
        return (f"K = {kernel} is smaller than S = {stride}: the stamps do not touch, and the pixels "
                "marked 0 get nothing from any input pixel (only the bias).")
    zeros = (" The 0s are the output padding's extra row and column: no stamp reaches them."
             if counts[0] == 0 else "")
    if kernel % stride:
        return (f"K = {kernel} is not a multiple of S = {stride}: neighbouring output pixels get "
                f"{listed} stamps (the numbers in the cells). Even with equal weights the output is "
                "uneven, a **checkerboard**: the well-known artefact of transposed convolutions. "
                f"A kernel that is a multiple of the stride (K = {stride * (kernel // stride + 1)}) "
                "covers the inside evenly." + zeros)
    if stride == 1:
        return (f"At stride 1 every pixel inside is covered by all K² = {kernel * kernel} stamps around it; "
                "only the border gets fewer. No checkerboard from the overlap." + zeros)
    return (f"K = {kernel} is a multiple of S = {stride}: every pixel inside gets the same number of "
            f"stamps ({counts[-1]}); only the border gets fewer. No checkerboard from the overlap." + zeros)


def transposed_pixel_sentence(row: int, col: int, rows: list[int], cols: list[int], kernel: int, stride: int) -> str:
    """Where input pixel (``row``, ``col``) stamps its kernel: output ``rows`` × ``cols`` (cropped
    at the border), and where the next one's stamp starts."""
    cropped = len(rows) < kernel or len(cols) < kernel
    return (
        f"Input pixel **(row {row}, column {col})** multiplies the {kernel}×{kernel} kernel by its value "
        f"and adds it to output rows {rows[0]}…{rows[-1]} and columns {cols[0]}…{cols[-1]}"
        + (" (cropped: the rest of its stamp falls outside the output)" if cropped else "")
        + f". The next pixel's stamp lands {stride} {plural(stride, 'pixel')} further on (dashed): "
        "where stamps overlap, they add up."
    )

# --- Pooling ----------------------------------------------------------------------------------


def pool_formula(size: int, pool: int, stride: int, padding: str) -> str:
    """LaTeX for pooling's output size with the numbers in it (⌈I / S⌉ for 'same')."""
    out = pool_output_size(size, pool, stride, padding)
    if padding == "same":
        return rf"O = \left\lceil \dfrac{{I}}{{S}} \right\rceil = \left\lceil \dfrac{{{size}}}{{{stride}}} \right\rceil = \mathbf{{{out}}}"
    return (
        rf"O = \left\lfloor \dfrac{{I - F}}{{S}} \right\rfloor + 1 = "
        rf"\left\lfloor \dfrac{{{size} - {pool}}}{{{stride}}} \right\rfloor + 1 = \mathbf{{{out}}}"
    )


def pool_no_output(size: int, pool: int, stride: int) -> str:
    """LaTeX for a 'valid' pooling whose window does not fit: the formula ends below 1."""
    return (
        rf"O = \left\lfloor \dfrac{{{size} - {pool}}}{{{stride}}} \right\rfloor + 1 = "
        rf"{(size - pool) // stride + 1}"
    )


def pool_same_note(before: int, after: int) -> str:
    """What 'same' padding adds, in words: an even total splits evenly, an odd one puts the extra after."""
    if before == after:
        split = f"'Same' adds {before} on each side (the total, {before + after}, splits evenly)."
    else:
        split = (f"'Same' adds {before} before and {after} after: the total, {before + after}, is odd, "
                 "so the extra one goes after (bottom and right).")
    return split + " The padding is not a number: it never wins a max and is not counted in a mean."


def pool_values_caption(size: int, out: int) -> str:
    """The grid's numbers before and after pooling, too long for a metric's narrow box."""
    return f"{size}×{size} = {size * size} values in, {out}×{out} = {out * out} out: {size * size / (out * out):.3g}× fewer."


def pool_floor_note(size: int, pool: int, stride: int) -> str:
    """For 'valid' pooling: the last rows and columns the floor drops, or "" when none."""
    dropped = (size - pool) % stride
    if not dropped:
        return ""
    return (
        f"{size - pool} / {stride} is not whole: the floor drops the last {dropped} "
        f"{plural(dropped, 'row')} and {plural(dropped, 'column')}, which no window reaches."
    )


def pool_window_sentence(
    mode: str, selected: int, rows: list[int], cols: list[int], members: np.ndarray, result: float, pool: int
) -> str:
    """What window ``selected`` covers and keeps: max(…) or (… + …) / n with its numbers."""
    listed = ", ".join(f"{v:g}" for v in members)
    if mode == "max":
        what = f"max({listed}) = **{result:g}**"
    else:
        what = f"({' + '.join(f'{v:g}' for v in members)}) / {len(members)} = **{result:.2f}**"
    return (
        f"Window {selected} covers rows {rows[0]}–{rows[-1]}, columns {cols[0]}–{cols[-1]}: {what}"
        + (f" (only {len(members)} real numbers: the rest is padding)" if len(members) < pool * pool else "")
    )


def pool_shrink_sentence(size: int, out: int, mode: str) -> str:
    """What pooling did to a ``size``×``size`` image that became ``out``×``out``, and how each mode looks."""
    if out >= size:
        how_much = (
            f"Shape ({size}, {size}, 1) → ({out}, {out}, 1): **no shrinking at all** with stride 1 and "
            "'same' padding; the pooling only "
            + ("thickens the strokes" if mode == "max" else "blurs the image")
            + ", with **0 parameters**. "
        )
    else:
        shrink = (size * size) / (out * out)
        how_much = (
            f"Shape ({size}, {size}, 1) → ({out}, {out}, 1): {size * size:,} values become {out * out:,}, "
            f"**{shrink:.3g}× fewer** ({1 - 1 / shrink:.0%} less data), with **0 parameters**. "
        )
    return (
        how_much
        + ("Max pooling keeps the strongest ink of each window, so strokes survive. " if mode == "max"
           else "Average pooling blurs: thin strokes fade into grey. ")
        + "In the tutorial, the first 2×2 pooling turns 28×28×24 = 18,816 values into "
        "14×14×24 = 4,704: 4× fewer, channel by channel."
    )


# --- Model ------------------------------------------------------------------------------------


def network_formulas(rows: list[LayerRow], sizes: dict[str, str]) -> str:
    """A Markdown list: the size and parameter formulas, each shown on this network's first layer
    of that kind (``sizes``: how each layer's output side arises, by layer name)."""
    first_conv = next(r for r in rows if r.type == "Conv2D")
    first_pool = next((r for r in rows if r.type in ("MaxPooling2D", "AveragePooling2D")), None)
    fc1 = next(r for r in rows if r.name == "fc1")
    lines = [
        f"- **Output side** of a convolution, O = ⌊(I + P_before + P_after − K)/S⌋ + 1: "
        f"`{first_conv.name}` gives {sizes[first_conv.name]}.",
    ]
    if first_pool is not None:
        lines.append(f"- A **pooling** window of W with stride W, O = ⌊(I − W)/W⌋ + 1: `{first_pool.name}` gives "
                     f"{sizes[first_pool.name]}.")
    lines += [
        f"- A **convolution** learns K×K×C_in×C_out weights + C_out biases: `{first_conv.name}` has "
        f"{first_conv.params_formula}.",
        f"- A **dense** layer learns N_in×N_out weights + N_out biases: `fc1` has {fc1.params_formula}.",
    ]
    return "\n".join(lines)


def parameter_notice(big: LayerRow, rows: list[LayerRow], sizes: dict[str, str], dense_units: int) -> str:
    """Why ``big``, the layer holding the most parameters, holds them (fc1: because of the flatten)."""
    total = sum(r.params for r in rows)
    share = 100 * big.params / total
    if big.name == "fc1":
        return (
            f"**Notice:** `fc1` holds {share:.1f}% of all {total:,} parameters, because every one of "
            f"the {sizes['flatten']} flattened values connects to each of its {dense_units} units. "
            "Another pooling block shrinks the flatten, and with it most of the model; more filters in "
            "the convolutions cost little."
        )
    flatten = next(r for r in rows if r.type == "Flatten")
    return (
        f"**Notice:** `{big.name}` holds the most parameters here ({share:.1f}% of {total:,}); "
        f"the flatten passes only {flatten.output_shape[0]:,} values to fc1."
    )


def flat_map_warning(rows: list[LayerRow]) -> str:
    """A warning when the feature map the flatten unrolls is 1×1 (where a feature was is lost), else ""."""
    flatten = next(r for r in rows if r.type == "Flatten")
    last_map = rows[rows.index(flatten) - 1]
    if last_map.output_shape[0] != 1:
        return ""
    return (
        f"The image is down to 1×1 before the flatten (`{last_map.name}`): the network no longer "
        "knows where in the picture a feature was. Fewer poolings keep that information."
    )
