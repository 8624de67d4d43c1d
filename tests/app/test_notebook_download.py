"""Take it to Colab: "Download as a notebook" on the Model and Training pages, driven as a learner.

The button hands Streamlit a function that builds the notebook when it is clicked (a deferred
download): the ``downloads`` fixture keeps each one the pages register, so a test can build the
file the click would give and read it.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from cnn_core import datasets, models, notebook
from cnn_core.model_code import keras_code
from cnn_core.training_config import training_defaults
from tests.app.conftest import open_app_page
from ui.common import DATASET_KEY, UPLOAD_KEY
from ui.notebook_download import LABEL, data_source

MODEL_PAGE = "app_pages/model.py"
TRAINING_PAGE = "app_pages/training.py"


@pytest.fixture
def downloads(monkeypatch) -> dict[str, tuple]:
    """{file name: (build function, mime type)} of every deferred download the pages register."""
    kept: dict[str, tuple] = {}
    register = MediaFileManager.add_deferred

    def keep(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        kept[file_name] = (data_callable, mimetype)
        return register(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    return kept


def downloaded(downloads: dict, name: str):
    """The notebook the click on the button would download as ``name``."""
    build, mime = downloads[name]
    assert mime == "application/x-ipynb+json"
    return nbformat.reads(build().decode("utf-8"), as_version=4)


def settings(nb) -> dict:
    values: dict = {}
    exec(
        next(c.source for c in nb.cells if notebook.PARAMETERS_TAG in c.metadata.get("tags", [])), {}, values
    )
    return values


def code(nb, tag: str) -> str:
    return next(c.source for c in nb.cells if tag in c.metadata.get("tags", []))


def notebook_button(at):
    (button,) = [b for b in at.get("download_button") if b.proto.label == LABEL]
    return button


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


class TestOnTheModelPage:
    def test_the_network_on_the_page_downloads_as_a_notebook_with_how_to_open_it(self, downloads):
        at = open_app_page(MODEL_PAGE)
        assert not at.exception
        assert notebook_button(at).proto.ignore_rerun  # the click changes nothing on the page
        assert "File → Upload notebook" in captions(at) and "Jupyter" in captions(at)
        nb = downloaded(downloads, "cnn-explorer-tutorial.ipynb")
        assert code(nb, "model") == keras_code(models.PRESETS["tutorial"]).rstrip("\n")
        assert settings(nb)["EPOCHS"] == 10 and settings(nb)["DATASET"] == "mnist"

    def test_another_preset_downloads_its_network_with_the_training_it_is_meant_for(self, downloads):
        at = open_app_page(MODEL_PAGE)
        at.radio(key="model_page_preset").set_value("strong").run()
        assert not at.exception
        nb = downloaded(downloads, "cnn-explorer-strong.ipynb")
        assert code(nb, "model") == keras_code(models.PRESETS["strong"]).rstrip("\n")
        values = settings(nb)
        strong = training_defaults("strong")  # not the Tutorial's 10 epochs, constant η
        assert (values["EPOCHS"], values["BATCH_SIZE"], values["SCHEDULE"]) == (
            strong.epochs,
            strong.batch_size,
            strong.schedule,
        )
        tutorial = training_defaults("tutorial")  # so the check can fail
        assert (strong.epochs, strong.schedule) != (tutorial.epochs, tutorial.schedule)


class TestOnTheTrainingPage:
    def test_the_settings_on_the_page_are_the_notebooks(self, downloads):
        at = open_app_page(TRAINING_PAGE, **{DATASET_KEY: "fashion_mnist"})
        at.number_input(key="train_epochs").set_value(3).run()
        at.radio(key="train_loop").set_value("custom").run()
        at.selectbox(key="train_augment").set_value("flip").run()
        assert not at.exception
        assert notebook_button(at).proto.ignore_rerun
        assert "Or take it to Colab" in captions(at)
        nb = downloaded(downloads, "cnn-explorer-tutorial.ipynb")
        values = settings(nb)
        assert (values["DATASET"], values["EPOCHS"], values["AUGMENT"]) == ("fashion_mnist", 3, "flip")
        assert "tf.GradientTape()" in code(nb, "train")
        # Tests run offline: the page trained on the bundled sample, and the notebook says so.
        assert "bundled offline sample" in nb.cells[0].source and values["DATA_FILE"] is None

    def test_an_uploaded_dataset_is_asked_for_in_the_notebook(self, downloads):
        upload = datasets.Dataset(
            "mnist",
            np.zeros((20, 28, 28), np.uint8),
            np.arange(20, dtype=np.uint8) % 10,
            np.zeros((10, 28, 28), np.uint8),
            np.arange(10, dtype=np.uint8),
            datasets.CLASS_NAMES["mnist"],
            source="file",
        )
        at = open_app_page(TRAINING_PAGE, **{UPLOAD_KEY: upload})
        assert not at.exception
        nb = downloaded(downloads, "cnn-explorer-tutorial.ipynb")
        assert settings(nb)["DATA_FILE"] == notebook.UPLOAD_NAME
        assert "files.upload()" in code(nb, "upload")
        assert "your own .npz (20 training and 10 test images)" in nb.cells[0].source


def test_where_the_data_came_from_decides_the_notebooks_data_cell():
    data = datasets.load_dataset("mnist", "bundled")
    assert data_source(data)[0] is None and "bundled offline sample" in data_source(data)[1]
    keras = datasets.Dataset("mnist", data.x_train, data.y_train, data.x_test, data.y_test, (), "keras")
    assert data_source(keras) == (None, "")
