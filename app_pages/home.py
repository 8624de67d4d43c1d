"""Home: what CNN Explorer teaches, and the way through it. Never loads TensorFlow."""

import streamlit as st

from cnn_core.datasets import IMAGE_SIZE
from cnn_core.size_formulas import conv_size_formula
from ui.navigation import lesson_pages


def render() -> None:
    intro()
    lesson_steps()
    tutorial_slips()


def intro() -> None:
    st.title("CNN Explorer")
    st.markdown(
        f"Learn how a **convolutional neural network** sees a {IMAGE_SIZE}×{IMAGE_SIZE} image, one idea at "
        "a time. "
        "The explorer follows the tutorial *Deep Learning with Colab*: a small CNN that reads "
        "handwritten digits (MNIST), then clothes (Fashion-MNIST). Move the sliders, build the "
        "network, train it live and look at what it gets wrong."
    )


def lesson_steps() -> None:
    """Every lesson page as a numbered card: its link, its blurb and the tutorial section it teaches."""
    st.subheader("The lesson, in the tutorial's order")
    for step, info in enumerate(lesson_pages(), start=1):
        with st.container(border=True):
            st.page_link(info.path, label=f"{step}. {info.title}", icon=info.icon)
            st.caption(info.blurb + (f" *Tutorial § {info.section}.*" if info.section else ""))


def tutorial_slips() -> None:
    st.subheader("Where the tutorial slips, the app teaches the right thing")
    st.markdown(
        f"- Formula (1.1) needs a **floor**: O = {conv_size_formula(1, 1, 1, 1, symbols=True)}.\n"
        "- A 3×3 kernel keeps the size with **P = 1**, not 2 (P = (K − 1)/2 at stride 1).\n"
        "- MNIST is **one grey channel**, not RGB.\n"
        "- The tutorial imports Keras from TensorFlow's **private** `python` package: use `import keras`; "
        "and `compile` needs **keywords** "
        "(`optimizer=`, `loss=`, `metrics=`) in Keras 3.\n"
        "- No TPU? No error: the app uses a GPU, or the CPU, and says which in the sidebar."
    )


render()
