"""The sentences the pages write around the learner's numbers: the tutorial network's shape
table, the Model page's formulas and notices, and the words they share (ordinals, plurals).

The explorers (Convolution, Pooling, transposed) write their sentences in the browser, next to
the arithmetic they come from (ui/explorers/). Pure Python (no TensorFlow, no Streamlit).
"""

from __future__ import annotations

from .layer_shapes import ShapeStep
from .models import LayerRow
from .size_formulas import conv_size_formula, pool_size_formula


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st, …, 111th, 112th."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(n: int, word: str) -> str:
    """``word`` with an s unless ``n`` is 1 ("1 row", "2 rows", "0 rows")."""
    return word + "s" * (n != 1)


# --- Convolution: the tutorial's network ------------------------------------------------------


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


# --- Model ------------------------------------------------------------------------------------


def network_formulas(rows: list[LayerRow], sizes: dict[str, str]) -> str:
    """A Markdown list: the size and parameter formulas, each shown on this network's first layer
    of that kind (``sizes``: how each layer's output side arises, by layer name)."""
    first_conv = next(r for r in rows if r.type == "Conv2D")
    first_pool = next((r for r in rows if r.type in ("MaxPooling2D", "AveragePooling2D")), None)
    fc1 = next(r for r in rows if r.name == "fc1")
    lines = [
        f"- **Output side** of a convolution, O = {conv_size_formula(1, 1, 1, 'same', symbols=True)}: "
        f"`{first_conv.name}` gives {sizes[first_conv.name]}.",
    ]
    if first_pool is not None:
        lines.append(
            f"- A **pooling** window of F with stride S = F, O = {pool_size_formula(1, 1, symbols=True)}: "
            f"`{first_pool.name}` gives "
            f"{sizes[first_pool.name]}."
        )
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
