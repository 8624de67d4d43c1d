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
from cnn_core.datasets import DATASET_NAMES
from cnn_core.figures import vega
from cnn_core.figures.pooling import WINNER_COLOUR
from ui import explorers, quiz, url_state
from ui.common import current_dataset_name

SOURCES = {"random": "random numbers 0–9", "digit": "a shrunken image (0–255)"}
PADDINGS = ["valid", "same"]
MAX_GRID = 10  # the largest grid of numbers: its I² random numbers are sent for the chosen seed

SETTINGS: dict[str, url_state.Param] = {
    "pool_mode": url_state.Choice("max", list(kernels.POOL_MODES)),
    "pool_size": url_state.Int(2, 1, 5),
    "pool_keras_stride": url_state.Bool(True),
    "pool_stride": url_state.Int(2, 1, 5),
    "pool_padding": url_state.Choice("valid", PADDINGS),
    "pool_grid": url_state.Int(6, 3, MAX_GRID),
    "pool_source": url_state.Choice("random", list(SOURCES)),
    "pool_seed": url_state.Int(0, 0, 999),
    "pool_window": url_state.Int(0, 0, 99),
    "pool_dataset": url_state.Choice(current_dataset_name(), list(DATASET_NAMES)),
    "pool_class": url_state.Int(0, 0, 9),
    "pool_example": url_state.Int(0, 0, explorers.EXAMPLES_PER_CLASS - 1),
}
LABELS = {
    "pool_mode": "Pooling",
    "pool_size": "Pool size F",
    "pool_keras_stride": "Stride = pool size (Keras default)",
    "pool_stride": "Stride S",
    "pool_padding": "Padding",
    "pool_grid": "Grid size I",
    "pool_source": "Numbers",
    "pool_seed": "Random seed",
    "pool_window": "Window",
    "pool_dataset": "Dataset",
    "pool_class": "Class",
    "pool_example": "Example",
}
HELP = {
    "pool_size": "Each window is F×F numbers.",
    "pool_grid": "The grid of numbers is I×I.",
    "pool_seed": "Another seed, other numbers.",
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
    explorers.explorer("pooling", "pool_explorer", SETTINGS, explorer_data)
    state = st.session_state
    stride = state["pool_size"] if state["pool_keras_stride"] else state["pool_stride"]
    st.markdown("**The same layer in Keras** (it follows the controls once they rest):")
    st.code(
        shapes.pool_layer_code(state["pool_size"], stride, state["pool_padding"], state["pool_mode"]),
        language="python",
        wrap_lines=True,
    )
    url_state.sync(SETTINGS)  # a fragment run does not pass through bind()
    url_state.share_box(SETTINGS, LABELS, lazy=True)  # built only while open


def explorer_data() -> dict[str, Any]:
    """What the browser draws from: the shared part (labels, hidden controls, images), the bounds,
    the random numbers of the seed in the settings, and the figure's colours."""
    seed = st.session_state["pool_seed"]
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
