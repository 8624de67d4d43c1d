"""The dataset page, as a learner uses it: see where the data came from, switch to
Fashion-MNIST, shuffle and filter the grid, follow one image through the preprocessing, and
upload an .npz of their own (a bad one is explained and changes nothing); and an instructor's
link that opens the page on chosen settings, with chosen controls hidden."""

from __future__ import annotations

import io

import numpy as np
import pytest
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.testing.v1 import AppTest, local_script_runner

from cnn_core import datasets
from tests.app.conftest import open_app_page, url_param
from tests.conftest import npz_claiming
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
    """Drop a file on the page's uploader (a fresh, empty one after each accepted file)."""
    at.file_uploader[0].set_value((name, content, "application/octet-stream"))
    return at.run()


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

    def test_an_empty_file_is_explained_and_nothing_changes(self, page):
        upload(page, "empty.npz", b"")
        assert not page.exception
        assert "This file is empty (0 bytes)" in page.error[0].value
        assert "empty.npz cannot be used" in page.error[0].value
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

    def test_a_bomb_is_refused_from_its_headers_and_the_previous_data_stays(self, page):
        upload(page, "mine.npz", npz_bytes(30, 10))
        upload(page, "bomb.npz", npz_claiming(2_000_000))
        assert not page.exception
        assert "bomb.npz cannot be used" in page.error[0].value
        assert "x_train holds 2,000,000 images; this server takes at most 100,000" in page.error[0].value
        assert any("has not changed" in c.value for c in page.caption)
        assert len(page.session_state[UPLOAD_KEY].y_train) == 30 and "(mine.npz)" in badge(page)

    def test_two_sessions_uploading_the_same_file_share_one_copy(self, page, open_page):
        other = open_page(PAGE)
        raw = npz_bytes(40, 10)
        upload(page, "ours.npz", raw)
        upload(other, "ours.npz", raw)
        mine, theirs = page.session_state[UPLOAD_KEY], other.session_state[UPLOAD_KEY]
        assert len(mine.y_train) == 40 and mine.x_train is theirs.x_train

    def test_an_accepted_file_empties_the_uploader_and_the_page_names_the_file_in_use(self, page):
        upload(page, "fashion.npz", npz_bytes(30, 10))
        assert not page.exception
        uploader = page.file_uploader[0]
        assert uploader.key != "dataset_page_upload" and uploader.value is None  # a fresh, empty box
        line = next(m.value for m in page.markdown if "Using your upload" in m.value)
        assert "**fashion.npz** (40 images: 30 to train, 10 to test), read as MNIST classes" in line
        assert "(fashion.npz)" in badge(page) and not page.error
        upload(page, "second.npz", npz_bytes(50, 10))  # the fresh box takes the next file
        assert "**second.npz** (60 images" in next(
            m.value for m in page.markdown if "Using your upload" in m.value
        )
        assert page.file_uploader[0].value is None and len(page.session_state[UPLOAD_KEY].y_train) == 50

    def test_streamlit_no_longer_holds_an_accepted_file_but_keeps_a_refused_one(self, page, monkeypatch):
        """Streamlit keeps an upload's bytes in its UploadedFileManager until the browser deletes
        the file or the session ends; an accepted file is taken out of it at once."""
        managers, added = [], []

        class Recorded(MemoryUploadedFileManager):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                managers.append(self)

            def add_file(self, session_id, file):
                added.append(file.name)
                super().add_file(session_id, file)

        monkeypatch.setattr(local_script_runner, "MemoryUploadedFileManager", Recorded)
        upload(page, "mine.npz", npz_bytes(30, 10))
        assert added == ["mine.npz"] and len(page.session_state[UPLOAD_KEY].y_train) == 30
        assert not managers[-1].file_storage.get("test session id")  # gone from the manager
        page.run()  # and a later rerun does not bring it back
        assert not managers[-1].file_storage.get("test session id") and added == ["mine.npz"]
        upload(page, "broken.npz", npz_bytes(y_test=None))  # refused: stays in its box beside the sentence
        assert [f.name for f in managers[-1].file_storage["test session id"].values()] == ["broken.npz"]
        assert "broken.npz cannot be used" in page.error[0].value

    def test_uploaded_labels_follow_the_chosen_dataset_and_can_be_dropped(self, page):
        upload(page, "clothes.npz", npz_bytes(30, 10))
        page.radio(key="dataset_page_name").set_value("fashion_mnist").run()
        data = page.session_state[UPLOAD_KEY]
        assert data.name == "fashion_mnist" and data.class_names[9] == "Ankle boot"
        next(b for b in page.button if b.label.startswith("Back to the built-in")).click().run()
        assert UPLOAD_KEY not in page.session_state
        assert "Fashion-MNIST · bundled offline sample" in badge(page)


# --- Instructor links ---------------------------------------------------------------------------
NAME, CLASS, SEED, LOG, IMAGE = (f"dataset_page_{k}" for k in ("name", "class", "seed", "log", "image"))


class TestClassShares:
    @staticmethod
    def share_line(at) -> str:
        return next(m.value for m in at.markdown if m.value.startswith("Share of a class"))

    def test_equal_shares_are_said_once_not_as_a_range_from_a_value_to_itself(self, page):
        line = self.share_line(page)  # the bundled sample: 600 of each digit
        assert "here every class has **10.0%** of the 6,000 training images" in line
        assert " to " not in line

    def test_unequal_shares_are_a_range(self, page):
        labels = np.array([0] * 12 + [1] * 9 + [2] * 9, np.uint8)  # 40% and 30% of 30
        upload(page, "lopsided.npz", npz_bytes(30, 10, y_train=labels))
        assert "here from **0.0%** to **40.0%** of 30 training images" in self.share_line(page)


def open_link(**query) -> AppTest:
    """Open the page with ``query`` in the URL, as a shared link does."""
    at = open_app_page(PAGE, query=query)
    assert not at.exception, [e.value for e in at.exception]
    return at


def log_axis(at) -> bool:
    """Whether the pixel histogram (the page's last Vega-Lite chart) has a logarithmic axis."""
    return '"type": "log"' in at.get("vega_lite_chart")[-1].proto.spec


class TestInstructorLinks:
    def test_a_link_restores_the_dataset_grid_axis_and_image(self):
        at = open_link(**{NAME: "fashion_mnist", CLASS: "9", SEED: "42", LOG: "0", IMAGE: "17"})
        assert not at.warning
        assert at.radio(key=NAME).value == "fashion_mnist"
        assert at.session_state[DATASET_KEY] == "fashion_mnist"  # the session works on it, as a click would
        assert "Fashion-MNIST · bundled offline sample" in badge(at)
        assert at.selectbox(key=CLASS).value == 9 and at.number_input(key=SEED).value == 42
        assert any("all 36 are 9 (Ankle boot)," in i.value for i in at.info)
        assert at.toggle(key=LOG).value is False and not log_axis(at)
        assert at.number_input(key=IMAGE).value == 17
        assert "of image #17 is" in next(m.value for m in at.markdown if "**Before:**" in m.value)

    def test_moving_a_control_updates_the_url_with_only_what_differs(self, page):
        assert all(url_param(page, k) is None for k in (NAME, CLASS, SEED, LOG, IMAGE))  # all defaults
        page.number_input(key=SEED).set_value(7).run()
        page.selectbox(key=CLASS).set_value(3).run()
        page.toggle(key=LOG).set_value(False).run()
        page.number_input(key=IMAGE).set_value(5).run()
        page.radio(key=NAME).set_value("fashion_mnist").run()
        assert (
            url_param(page, SEED),
            url_param(page, CLASS),
            url_param(page, LOG),
            url_param(page, IMAGE),
            url_param(page, NAME),
        ) == ("7", "3", "0", "5", "fashion_mnist")
        page.button[0].click().run()  # Shuffle: a new seed, and the URL follows it
        assert url_param(page, SEED) == str(page.number_input(key=SEED).value)
        page.selectbox(key=CLASS).set_value(-1).run()
        assert url_param(page, CLASS) is None
        assert f"{SEED}={page.number_input(key=SEED).value}" in page.code[-1].value  # the share box's link

    @pytest.mark.parametrize(
        "query, bad",
        [
            (
                {NAME: "cifar10", CLASS: "10", SEED: "9" * 5000, LOG: "maybe", IMAGE: "-5"},
                [NAME, CLASS, SEED, LOG, IMAGE],
            ),
            ({SEED: "1e9", IMAGE: "60000", CLASS: "<script>"}, [SEED, IMAGE, CLASS]),
        ],
    )
    def test_a_tampered_link_falls_back_to_defaults_with_a_notice(self, query, bad):
        at = open_link(**query)
        notice = at.warning[0].value
        assert "not valid and were reset to their defaults" in notice
        assert all(f"`{key}=" in notice for key in bad)
        assert at.radio(key=NAME).value == "mnist" and at.selectbox(key=CLASS).value == -1
        assert at.number_input(key=SEED).value == 0 and at.number_input(key=IMAGE).value == 0
        assert at.toggle(key=LOG).value is True and log_axis(at)
        assert all(url_param(at, k) is None for k in bad)  # the URL no longer carries the bad values

    def test_an_image_past_the_end_of_this_dataset_shows_image_0_with_a_notice(self):
        at = open_link(**{IMAGE: "59999"})  # a valid index of the full MNIST; the sample has 6,000
        assert "there is no image #59,999; showing image #0" in at.warning[0].value
        assert at.number_input(key=IMAGE).value == 0 and url_param(at, IMAGE) is None

    def test_hidden_controls_are_absent_but_their_linked_values_are_used(self):
        at = open_link(
            **{
                NAME: "fashion_mnist",
                CLASS: "3",
                SEED: "42",
                LOG: "0",
                IMAGE: "17",
                "hide": f"{NAME},{CLASS},{SEED},{LOG},{IMAGE}",
            }
        )
        assert not at.radio and not at.selectbox and not at.main.toggle and not at.number_input
        assert not [b for b in at.button if b.label == "Shuffle"]  # Shuffle would change a hidden seed
        assert "Fashion-MNIST · bundled offline sample" in badge(at)
        assert at.session_state[DATASET_KEY] == "fashion_mnist"
        assert any("all 36 are 3 (Dress)," in i.value for i in at.info)
        assert at.session_state[SEED] == 42
        assert "of image #17 is" in next(m.value for m in at.markdown if "**Before:**" in m.value)
        assert not log_axis(at)  # the linked linear axis, without its toggle
        assert url_param(at, "hide") == f"{NAME},{CLASS},{SEED},{LOG},{IMAGE}" and url_param(at, SEED) == "42"
        assert set(at.multiselect(key="_url_state_hide").value) == {NAME, CLASS, SEED, LOG, IMAGE}
