"""Home: what CNN Explorer teaches, and the way through it. Never loads TensorFlow."""

import streamlit as st

from ui.navigation import PAGES

st.title("CNN Explorer")
st.markdown(
    "Learn how a **convolutional neural network** sees a 28×28 image, one idea at a time. "
    "The explorer follows the tutorial *Deep Learning with Colab*: a small CNN that reads "
    "handwritten digits (MNIST), then clothes (Fashion-MNIST). Move the sliders, build the "
    "network, train it live and look at what it gets wrong."
)

st.subheader("The lesson, in the tutorial's order")
lessons = [p for p in PAGES if p.path != "app_pages/home.py"]
if not lessons:
    st.info("The lesson pages are on their way; this build has only the Home page.")
for step, info in enumerate(lessons, start=1):
    with st.container(border=True):
        st.page_link(info.path, label=f"{step}. {info.title}", icon=info.icon)
        caption = info.blurb + (f" *Tutorial § {info.section}.*" if info.section else "")
        st.caption(caption)

st.subheader("Where the tutorial slips, the app teaches the right thing")
st.markdown(
    "- Formula (1.1) needs a **floor**: O = ⌊(I − K + 2P) / S⌋ + 1.\n"
    "- A 3×3 kernel keeps the size with **P = 1**, not 2 (P = (K − 1)/2 at stride 1).\n"
    "- MNIST is **one grey channel**, not RGB.\n"
    "- The tutorial imports Keras from TensorFlow's **private** `python` package: use `import keras`; "
    "and `compile` needs **keywords** "
    "(`optimizer=`, `loss=`, `metrics=`) in Keras 3.\n"
    "- No TPU? No error: the app uses a GPU, or the CPU, and says which in the sidebar."
)
