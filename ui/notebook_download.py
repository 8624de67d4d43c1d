"""Take it to Colab: the "Download as a notebook" button that the Model and Training pages share.

The notebook (:mod:`cnn_core.notebook`) is built when the learner clicks, in Streamlit's download
thread (a plain function of plain values, which calls no Streamlit), so a page's reruns never pay
for it; the click itself does not rerun the page.
"""

from __future__ import annotations

import functools

import streamlit as st

from cnn_core import datasets, notebook
from cnn_core.models import ModelConfig
from cnn_core.training_config import TrainingConfig
from ui.common import UPLOAD_KEY, current_dataset_name, load_shared_dataset, loaded_key

LABEL = "Download as a notebook (.ipynb)"


def data_source(data: datasets.Dataset) -> tuple[str | None, str]:
    """(the notebook's DATA_FILE, a sentence for its first cell) for the data ``data`` came from:
    Keras's download needs neither; an upload is asked for; the bundled sample is said."""
    if data.source == "file":
        return notebook.UPLOAD_NAME, (
            f"CNN Explorer trained on your own .npz ({len(data.y_train):,} training and "
            f"{len(data.y_test):,} test images): the data cell asks for it."
        )
    if data.source == "bundled":
        return None, (
            f"CNN Explorer trained on its bundled offline sample ({len(data.y_train):,} training and "
            f"{len(data.y_test):,} test images); this notebook downloads the whole {data.title} "
            f"(60,000 and 10,000), so expect a higher test accuracy."
        )
    return None, ""


def session_data() -> datasets.Dataset | None:
    """This session's data when knowing it costs nothing (an upload, or a dataset it has loaded),
    else None: the Model page never loads a dataset only to name it."""
    upload = st.session_state.get(UPLOAD_KEY)
    if isinstance(upload, datasets.Dataset):
        return upload
    name = current_dataset_name()
    return load_shared_dataset(name) if st.session_state.get(loaded_key(name)) else None


def download_button(model_config: ModelConfig, training: TrainingConfig, key: str, what: str) -> None:
    """The button, named ``cnn-explorer-<preset>.ipynb``, and how to open the file; ``what`` says
    which settings it holds. ``key`` is the page's own widget key for it."""
    data = session_data()
    name = data.name if data is not None else current_dataset_name()
    data_file, note = data_source(data) if data is not None else (None, "")
    st.download_button(
        LABEL,
        functools.partial(notebook.notebook_bytes, model_config, training, name, data_file, note),
        file_name=notebook.file_name(model_config),
        mime=notebook.MIME,
        key=key,
        icon=":material/download:",
        on_click="ignore",  # nothing on the page changes: no rerun
        help="A Jupyter notebook that trains this network step by step in the tutorial's order, "
        "on its own: no CNN Explorer needed.",
    )
    st.caption(f"{what} {notebook.HOW_TO_OPEN}")
