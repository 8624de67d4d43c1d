"""Take it to Colab in the browser: a learner clicks "Download as a notebook" on the Model and the
Training page and gets a notebook of that page's network and settings (light and dark theme).
Running a notebook is tests/unit/test_notebook_runs.py."""

from __future__ import annotations

import nbformat
import pytest

from cnn_core import models
from cnn_core.model_code import keras_code
from cnn_core.training_config import training_defaults
from tests.e2e.conftest import VIEWPORT, assert_no_exception, assert_shows_a_page, open_page, screenshot
from ui.notebook_download import LABEL

pytestmark = pytest.mark.e2e


def download(page, tmp_path, name: str):
    """Click the page's notebook button; the file the browser saves, read as a notebook."""
    button = page.get_by_role("button", name=LABEL)
    button.scroll_into_view_if_needed()
    with page.expect_download() as info:
        button.click()
    saved = tmp_path / name
    info.value.save_as(saved)
    assert info.value.suggested_filename == name
    return nbformat.read(saved, as_version=4)


def settings(nb) -> dict:
    values: dict = {}
    exec(next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", [])), {}, values)
    return values


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_both_pages_download_the_learners_network_as_a_notebook(browser, app_url, tmp_path, scheme):
    context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme, accept_downloads=True)
    page = context.new_page()
    try:
        open_page(page, app_url, "model?model_config=strong")
        assert_no_exception(page)
        nb = download(page, tmp_path, "cnn-explorer-strong.ipynb")
        model_cell = next(c.source for c in nb.cells if "model" in c.metadata.get("tags", []))
        assert model_cell == keras_code(models.PRESETS["strong"]).rstrip("\n")
        assert page.get_by_text("File → Upload notebook").first.is_visible()
        assert_shows_a_page(screenshot(page, f"notebook-model-{scheme}"))

        open_page(page, app_url, "training?model_config=strong&train_epochs=3&train_loop=custom")
        assert_no_exception(page)
        nb = download(page, tmp_path, "cnn-explorer-strong.ipynb")
        values = settings(nb)
        strong = training_defaults("strong")  # the page's defaults for Strong, 3 epochs from the link
        assert (values["EPOCHS"], values["LEARNING_RATE"]) == (3, strong.learning_rate)
        assert any("tf.GradientTape()" in c.source for c in nb.cells)
        assert_no_exception(page)  # the click reran nothing that broke
        assert_shows_a_page(screenshot(page, f"notebook-training-{scheme}"))
    finally:
        context.close()
