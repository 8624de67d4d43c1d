"""The dataset page, as a learner uses it: see where the data came from, switch to
Fashion-MNIST, shuffle and filter the grid, follow one image through the preprocessing, and
upload an .npz of their own (a bad one is explained and changes nothing)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from cnn_core import datasets
from ui.common import DATASET_KEY, UPLOAD_KEY

PAGE = "app_pages/dataset.py"


def npz_bytes(n_train: int = 30, n_test: int = 10, **overrides) -> bytes:
    """A small dataset file in the Keras layout; ``overrides`` replace or (None) drop arrays."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }
    arrays.update(overrides)
    buffer = io.BytesIO()
    np.savez(buffer, **{k: v for k, v in arrays.items() if v is not None})
    return buffer.getvalue()


def badge(at) -> str:
    return next(m.value for m in at.markdown if "-badge[" in m.value)


def upload(at, name: str, content: bytes):
    at.file_uploader(key="dataset_page_upload").set_value((name, content, "application/octet-stream"))
    return at.run()


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    return at


class TestWhereTheDataComesFrom:
    def test_badge_says_bundled_offline_sample_and_how_many_images(self, page):
        assert page.title[0].value.startswith("Dataset")
        assert "MNIST · bundled offline sample · 6,000 train / 1,000 test" in badge(page)
        assert [m.value for m in page.metric][:2] == ["6,000", "1,000"]

    def test_switching_to_fashion_mnist_changes_the_sessions_dataset(self, page):
        page.radio(key="dataset_page_name").set_value("fashion_mnist").run()
        assert page.session_state[DATASET_KEY] == "fashion_mnist"
        assert "Fashion-MNIST · bundled offline sample" in badge(page)
        options = page.selectbox(key="dataset_page_class").options
        assert "only 9 (Ankle boot)" in options


class TestTheGrid:
    def test_shuffle_draws_a_new_seed_and_a_class_filter_explains_itself(self, page):
        before = page.number_input(key="dataset_page_seed").value
        page.button[0].click().run()  # the only button on the page without an upload: Shuffle
        assert page.number_input(key="dataset_page_seed").value != before
        page.selectbox(key="dataset_page_class").set_value(3).run()
        assert any("all 36 are 3," in i.value for i in page.info)
        assert not page.exception


class TestPreprocessing:
    def test_follows_one_real_image_from_uint8_to_float32(self, page):
        page.number_input(key="dataset_page_image").set_value(5).run()
        steps = next(m.value for m in page.markdown if "**Before:**" in m.value)
        data = datasets.load_dataset("mnist", "bundled")
        assert "(6000, 28, 28) **uint8**" in steps and "(6000, 28, 28, 1) **float32**" in steps
        assert f"image #5 is labelled {int(data.y_train[5])}" in steps
        # The worked example is a real pixel of image #5, divided by 255.
        value = int(steps.split("of image #5 is **")[1].split(" ")[0])
        assert value in data.x_train[5] and f"{value} / 255 = {value / 255:.3f}" in steps


class TestUploadingAFile:
    def test_a_file_that_is_not_npz_is_explained_and_nothing_changes(self, page):
        upload(page, "digits.npz", b"this is not a zip file")
        assert not page.exception
        assert "This is not a .npz file" in page.error[0].value
        assert "digits.npz cannot be used" in page.error[0].value
        assert UPLOAD_KEY not in page.session_state
        assert "bundled offline sample" in badge(page)

    def test_a_good_upload_is_used_and_a_bad_one_afterwards_keeps_it(self, page):
        upload(page, "mine.npz", npz_bytes(30, 10))
        assert "your .npz file · 30 train / 10 test" in badge(page) and "(mine.npz)" in badge(page)
        assert len(page.session_state[UPLOAD_KEY].y_train) == 30
        upload(page, "broken.npz", npz_bytes(y_test=None))
        assert "The file has no y_test" in page.error[0].value
        assert len(page.session_state[UPLOAD_KEY].y_train) == 30  # the previous data stays in use
        assert "30 train / 10 test" in badge(page)

    def test_uploaded_labels_follow_the_chosen_dataset_and_can_be_dropped(self, page):
        upload(page, "clothes.npz", npz_bytes(30, 10))
        page.radio(key="dataset_page_name").set_value("fashion_mnist").run()
        data = page.session_state[UPLOAD_KEY]
        assert data.name == "fashion_mnist" and data.class_names[9] == "Ankle boot"
        next(b for b in page.button if b.label.startswith("Back to the built-in")).click().run()
        assert UPLOAD_KEY not in page.session_state
        assert "Fashion-MNIST · bundled offline sample" in badge(page)
