"""Pooling: max and average pooling on a grid of numbers and on a real image. Never loads TensorFlow.

The explorer is drawn in the browser (``ui/explorers/pooling.js``): a slider step costs the server
nothing. Python sends what it draws from (the random numbers of the chosen seed among it) and
writes what follows from the settled settings: the Keras line and the link.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import streamlit as st

from cnn_core import kernels, shapes
from cnn_core.datasets import DATASET_NAMES, NUM_CLASSES
from cnn_core.figures import vega
from cnn_core.figures.pooling import WINNER_COLOUR
from ui import explorers, quiz, url_state
from ui.common import current_dataset_name

SOURCES = {"random": "random numbers 0–9", "digit": "a shrunken image (0–255)"}
PADDINGS = ["valid", "same"]
MAX_GRID = 10  # the largest grid of numbers: its I² random numbers are sent for the chosen seed
# Each setting's key is also its URL parameter; the explorer's key holds its report.
MODE_KEY = "pool_mode"
SIZE_KEY = "pool_size"
KERAS_STRIDE_KEY = "pool_keras_stride"
STRIDE_KEY = "pool_stride"
PADDING_KEY = "pool_padding"
GRID_KEY = "pool_grid"
SOURCE_KEY = "pool_source"
SEED_KEY = "pool_seed"
WINDOW_KEY = "pool_window"
DATASET_KEY = "pool_dataset"
CLASS_KEY = "pool_class"
EXAMPLE_KEY = "pool_example"
EXPLORER_KEY = "pool_explorer"

SETTINGS: dict[str, url_state.Param] = {
    MODE_KEY: url_state.Choice("max", list(kernels.POOL_MODES)),
    SIZE_KEY: url_state.Int(2, 1, 5),
    KERAS_STRIDE_KEY: url_state.Bool(True),
    STRIDE_KEY: url_state.Int(2, 1, 5),
    PADDING_KEY: url_state.Choice("valid", PADDINGS),
    GRID_KEY: url_state.Int(6, 3, MAX_GRID),
    SOURCE_KEY: url_state.Choice("random", list(SOURCES)),
    SEED_KEY: url_state.Int(0, 0, 999),
    WINDOW_KEY: url_state.Int(0, 0, 99),
    DATASET_KEY: url_state.Choice(current_dataset_name(), list(DATASET_NAMES)),
    CLASS_KEY: url_state.Int(0, 0, NUM_CLASSES - 1),
    EXAMPLE_KEY: url_state.Int(0, 0, explorers.EXAMPLES_PER_CLASS - 1),
}
LABELS = {
    MODE_KEY: "Pooling",
    SIZE_KEY: "Pool size F",
    KERAS_STRIDE_KEY: "Stride = pool size (Keras default)",
    STRIDE_KEY: "Stride S",
    PADDING_KEY: "Padding",
    GRID_KEY: "Grid size I",
    SOURCE_KEY: "Numbers",
    SEED_KEY: "Random seed",
    WINDOW_KEY: "Window",
    DATASET_KEY: "Dataset",
    CLASS_KEY: "Class",
    EXAMPLE_KEY: "Example",
}
HELP = {
    SIZE_KEY: "Each window is F×F numbers.",
    GRID_KEY: "The grid of numbers is I×I.",
    SEED_KEY: "Another seed, other numbers.",
}


def render() -> None:
    intro()
    if quiz.page_quiz("pooling"):
        return  # the quiz hides the explorer: nothing is worked out before the answer
    url_state.bind(SETTINGS)
    explorer()


def intro() -> None:
    st.title("Pooling: shrink, keep what matters")
    st.markdown(
        "Look at each **outlined window** of the grid: pooling replaces it with one number (its "
        "largest, or its mean), so the output is smaller and has learnt nothing: a pooling layer "
        "has no weights."
    )


@st.fragment
def explorer() -> None:
    """The explorer, drawn in the browser; then what its settled settings give: the Keras layer
    and the link. Its report reruns this fragment only."""
    explorers.explorer("pooling", EXPLORER_KEY, SETTINGS, explorer_data)
    state = st.session_state
    stride = state[SIZE_KEY] if state[KERAS_STRIDE_KEY] else state[STRIDE_KEY]
    st.markdown("**The same layer in Keras** (it follows the controls once they rest):")
    st.code(
        shapes.pool_layer_code(state[SIZE_KEY], stride, state[PADDING_KEY], state[MODE_KEY]),
        language="python",
        wrap_lines=True,
    )
    url_state.sync(SETTINGS)  # a fragment run does not pass through bind()
    url_state.share_box(SETTINGS, LABELS, lazy=True)  # built only while open


def explorer_data() -> dict[str, Any]:
    """What the browser draws from: the shared part (labels, hidden controls, images), the bounds,
    the random numbers of the seed in the settings, and the figure's colours."""
    seed = st.session_state[SEED_KEY]
    return {
        **explorers.shared_data(LABELS),
        **_fixed_data(),
        "numbers": {"seed": seed, "values": random_numbers(seed)},
    }


def random_numbers(seed: int) -> list[int]:
    """The first MAX_GRID² digits 0–9 of ``seed``'s generator: an I×I grid takes the first I² of
    them, exactly the numbers ``default_rng(seed).integers(0, 10, (I, I))`` draws."""
    return np.random.default_rng(seed).integers(0, 10, MAX_GRID * MAX_GRID).tolist()


@functools.cache
def _fixed_data() -> dict[str, Any]:
    return {
        "bounds": explorers.bounds(SETTINGS),
        "help": HELP,
        "modes": [[mode, mode.capitalize()] for mode in kernels.POOL_MODES],
        "paddings": PADDINGS,
        "sources": list(SOURCES.items()),
        "colours": {"window": vega.WINDOW_COLOUR, "frame": vega.FRAME_COLOUR, "winner": WINNER_COLOUR},
    }


render()
