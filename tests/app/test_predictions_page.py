"""The Predictions page, used as a learner would: with the pretrained network, a trained model,
an upload.

One tiny model (the tutorial's network, 1 epoch on 1,000 bundled images) is trained once for
the module and saved as a ``.keras`` file, as a run's model is; the page then runs through the
router in-process (AppTest) and asks the real TensorFlow worker about it. The page's own quick
run is a job in the registry: a fake trainer (tests/app/fake_trainer.py) stands in for it.
"""

import dataclasses
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnn_core import datasets, drawn_digit, evaluation, models, pretrained, training_config
from cnn_core.protocol import ModelRef
from tests.app.conftest import ROOT, open_app_page
from tests.app.fake_trainer import FakeTrainer
from ui import common, jobs
from ui.common import DATASET_KEY, TRAINED_MODEL_KEY, TrainedModel
from ui.quick_run import QUICK_MODEL_KEY

PAGE = "app_pages/predictions.py"


@pytest.fixture(scope="module")
def mnist() -> datasets.Dataset:
    return datasets.load_dataset("mnist", "bundled")


@pytest.fixture(scope="module")
def tiny_model(mnist):
    """The tiny network itself (the test's own TensorFlow: the app's server has none)."""
    import keras

    from cnn_core.worker.data import make_tf_dataset
    from cnn_core.worker.models import build_model, compile_model

    keras.utils.set_random_seed(1)
    model = compile_model(build_model(models.PRESETS["tutorial"]), 1e-2)
    model.fit(
        make_tf_dataset(mnist.x_train[:1000], mnist.y_train[:1000], batch_size=256, shuffle=True, seed=1),
        epochs=1,
        verbose=0,
        shuffle=False,
    )
    return model


@pytest.fixture(scope="module")
def tiny(tiny_model, tmp_path_factory) -> TrainedModel:
    """The tiny network as the Training page hands a run's model over: its .keras file."""
    path = tmp_path_factory.mktemp("tiny") / "model.keras"
    tiny_model.save(path)
    return TrainedModel(ModelRef.of(path), "mnist", "tiny test model · 1 epoch")


@pytest.fixture
def quick_runs(trainers, monkeypatch, tiny):
    """The quick runs the page asks for: the Training page's fake trainers, whose model is the
    tiny one; a fresh registry per test."""
    made_by_training_fixture = jobs.make_trainer

    def make(*args, **kwargs):
        trainer = made_by_training_fixture(*args, **kwargs)
        trainer.model = tiny.model
        return trainer

    monkeypatch.setattr(jobs, "make_trainer", make)
    return trainers


def open_quick_run(open_page):
    """The page with "The tutorial's network, trained here" chosen (the pretrained one is the default)."""
    at = open_page(PAGE)
    at.radio(key="pred_source").set_value("quick").run()
    return at


@pytest.fixture(scope="module")
def expected(tiny_model, mnist) -> evaluation.Predictions:
    """What the page should find, computed independently of it."""
    return evaluation.predict(tiny_model, mnist.x_test, mnist.y_test)


@pytest.fixture
def page_state(tiny) -> dict:
    """The ``page`` fixture opens the page with the tiny model handed over from the training page."""
    return {TRAINED_MODEL_KEY: tiny}


def assert_ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def text(at) -> str:
    return " ".join(
        [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.latex]
    )


def png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def open_tab(at, name: str):
    at.session_state["pred_tab"] = name
    at.run()
    assert_ok(at)
    return at


class TestWithTheTrainingPagesModel:
    def test_it_shows_the_test_accuracy_with_the_formula(self, page, expected):
        assert page.title[0].value == "Predictions and insight"
        metrics = {m.label: m.value for m in page.metric}
        assert metrics["Test accuracy"] == f"{expected.accuracy:.1%}"
        assert metrics["Right"] == f"{expected.n_correct:,}"
        assert f"\\frac{{{expected.n_correct}}}{{1{{,}}000}}" in text(page)
        assert "tiny test model" in text(page)

    def test_predictions_are_computed_once_and_reused_on_every_rerun(self, page):
        cache = page.session_state["predictions_cache"]
        (first,) = [preds for _, preds in cache.values()]
        page.selectbox(key="pred_filter").set_value("mistakes").run()
        page.slider(key="pred_rows").set_value(2).run()
        (again,) = [preds for _, preds in page.session_state["predictions_cache"].values()]
        assert again is first

    def test_a_rerun_that_changes_nothing_draws_no_new_grid(self, page, monkeypatch):
        """A student's own model: its grid is drawn when it changes, not on every rerun (on a
        class's server each drawing held the GIL that everyone, the instructor's run too, waits for)."""
        from cnn_core.figures import predictions as predictions_figures

        drawn = []
        real = predictions_figures.prediction_grid
        monkeypatch.setattr(
            predictions_figures, "prediction_grid", lambda *a, **k: drawn.append(1) or real(*a, **k)
        )
        first = page.image[0].value
        for _ in range(3):
            page.run()
        assert_ok(page)
        assert drawn == [] and page.image[0].value == first
        page.slider(key="pred_rows").set_value(2).run()  # another picture: drawn for it
        assert_ok(page)
        assert len(drawn) == 1
        assert "Showing 1–6 of 1,000" in text(page)

    def test_the_grid_starts_with_the_tutorials_5_by_3(self, page):
        assert len(page.image) == 1
        assert "Showing 1–15 of 1,000" in text(page)

    def test_grid_size_and_pages(self, page):
        page.slider(key="pred_rows").set_value(2).run()
        page.slider(key="pred_cols").set_value(2).run()
        assert "Showing 1–4 of 1,000" in text(page)
        page.get("pagination")[0].set_value(3).run()
        assert_ok(page)
        assert "Showing 9–12 of 1,000" in text(page)

    def test_only_mistakes(self, page, expected):
        wrong = len(expected) - expected.n_correct
        page.selectbox(key="pred_filter").set_value("mistakes").run()
        assert_ok(page)
        assert f"× 1,000 = **{wrong:,}**" in text(page)
        assert f"of {wrong:,}" in text(page)

    def test_one_true_class(self, page, expected):
        page.selectbox(key="pred_filter").set_value("true_class").run()
        page.selectbox(key="pred_class").set_value(3).run()
        assert_ok(page)
        right = int(((expected.labels == 3) & expected.correct).sum())
        assert f"{right} / 100" in text(page)

    def test_the_confidence_orderings(self, page, expected):
        page.selectbox(key="pred_filter").set_value("confident_mistakes").run()
        assert_ok(page)
        sure = int(((~expected.correct) & (expected.confidence >= 0.9)).sum())
        assert f"**{sure:,}** of the" in text(page)
        page.selectbox(key="pred_filter").set_value("unsure_correct").run()
        assert_ok(page)
        assert "least confident first" in text(page)

    def test_the_chosen_filter_survives_a_visit_to_another_tab(self, page):
        page.selectbox(key="pred_filter").set_value("mistakes").run()
        open_tab(page, "Confusion matrix")
        open_tab(page, "Prediction grid")
        assert page.selectbox(key="pred_filter").value == "mistakes"


class TestConfusionMatrix:
    def test_choosing_a_cell_shows_its_images(self, page, expected):
        open_tab(page, "Confusion matrix")
        assert len(page.get("vega_lite_chart")) == 2  # the matrix and accuracy per class
        m = evaluation.confusion_matrix(expected.labels, expected.predicted)
        t, p, count = evaluation.most_confused(m, top=1)[0]
        # It opens on the most frequent confusion ...
        assert f"Cell M[{t}, {p}]: {count:,} images" in text(page)
        # ... and any cell can be chosen (a click on the chart sets these two boxes).
        page.selectbox(key="pred_cell_true").set_value(4).run()
        page.selectbox(key="pred_cell_pred").set_value(4).run()
        assert_ok(page)
        assert f"Cell M[4, 4]: {m[4, 4]:,} images of 4 answered 4 (right answers)" in text(page)

    def test_a_cells_pictures_are_drawn_when_the_cell_changes_not_on_every_rerun(self, page, monkeypatch):
        from cnn_core.figures import predictions as predictions_figures

        open_tab(page, "Confusion matrix")
        drawn = []
        real = predictions_figures.prediction_grid
        monkeypatch.setattr(
            predictions_figures, "prediction_grid", lambda *a, **k: drawn.append(1) or real(*a, **k)
        )
        for _ in range(3):
            page.run()
        assert_ok(page)
        assert drawn == []
        page.selectbox(key="pred_cell_true").set_value(4).run()
        page.selectbox(key="pred_cell_pred").set_value(4).run()
        assert_ok(page)
        assert len(drawn) == 2  # one per cell chosen
        assert len(page.image) == 1


class TestDrawing:
    def test_a_photo_of_a_digit_is_prepared_and_read(self, page, mnist):
        open_tab(page, "Draw a digit")
        photo = 255 - np.kron(mnist.x_test[0], np.ones((6, 6), np.uint8))  # dark ink on white paper
        page.file_uploader(key="pred_photo").upload("seven.png", png(photo), "image/png")
        page.run()
        assert_ok(page)
        assert "The network reads your photo as" in text(page)
        assert "Without this preparation" in text(page)
        seen = page.session_state["predictions_drawing"]
        assert seen.shape == (28, 28) and seen.dtype == np.uint8
        # ... and Look inside can then study what the network made of it.
        open_tab(page, "Look inside")
        page.radio(key="pred_inside_source").set_value("drawing").run()
        assert_ok(page)
        assert "**block1_conv1**" in text(page)

    def test_nothing_drawn_a_blank_photo_and_a_non_image_each_get_a_clear_message(self, page):
        open_tab(page, "Draw a digit")
        assert any("Draw on the black square" in i.value for i in page.info)
        uploader = page.file_uploader(key="pred_photo")
        uploader.set_value(("blank.png", png(np.full((100, 100), 255, np.uint8)), "image/png")).run()
        assert_ok(page)
        assert any("empty" in i.value for i in page.info)
        page.file_uploader(key="pred_photo").set_value(
            ("notes.png", b"these are my notes", "image/png")
        ).run()
        assert_ok(page)
        assert any("not an image" in e.value for e in page.error)

    def test_a_png_claiming_60000_by_60000_pixels_gets_a_sentence_not_a_traceback(self, page):
        from tests.conftest import png_claiming

        open_tab(page, "Draw a digit")
        page.file_uploader(key="pred_photo").set_value(
            ("huge.png", png_claiming(60_000, 60_000), "image/png")
        ).run()
        assert_ok(page)
        assert any("header claims more than 40 megapixels" in e.value for e in page.error)

    def test_the_centring_says_what_it_aims_at_and_how_close_it_got(self, page, mnist):
        open_tab(page, "Draw a digit")
        photo = 255 - np.kron(mnist.x_test[0], np.ones((6, 6), np.uint8))
        page.file_uploader(key="pred_photo").upload("seven.png", png(photo), "image/png")
        page.run()
        assert_ok(page)
        cy, cx = drawn_digit.center_of_mass(page.session_state["predictions_drawing"])
        assert f"= ({cy:.2f},\\ {cx:.2f})" in text(page)
        assert "\\approx (13.5" not in text(page)  # no claim the numbers do not bear out
        line = next(c.value for c in page.caption if c.value.startswith("The centring aims"))
        assert "field's centre (13.5, 13.5)" in line
        assert f"{cy - 13.5:+.2f} rows and {cx - 13.5:+.2f} columns off" in line
        assert ("within half a pixel" in line) == (max(abs(cy - 13.5), abs(cx - 13.5)) <= 0.5)


class TestLookInside:
    def test_feature_maps_filters_grad_cam_and_saliency_for_a_test_image(self, page):
        open_tab(page, "Look inside")
        body = text(page)
        assert "**block1_conv1**: 24 filters of 3×3×1" in body and "= **28**" in body
        assert "**block2_conv1**: 36 filters of 3×3×24" in body and "= **14**" in body
        assert "3\\cdot3\\cdot1\\cdot24 + 24 = 240" in body
        assert "\\alpha_k" in body
        # digit, heat map, two layers of maps, filters
        assert len(page.image) == 5
        # Saliency instead of Grad-CAM
        page.session_state["pred_heat_method"] = "saliency"
        page.run()
        assert_ok(page)
        assert "\\partial x_{ij}" in text(page)

    def test_the_grad_cam_caption_says_what_the_map_can_and_cannot_tell(self, page):
        open_tab(page, "Look inside")
        body = text(page)
        # The tutorial's last conv layer is 14×14: cells of 2×2 pixels, smoothed up to 28×28.
        assert "averaged over its 14×14 positions" in body and "about 2×2 pixels" in body
        assert "What it tells:" in body and "What it cannot:" in body
        assert "belongs to this model" in body and "proves no shortcut" in body
        assert "has learnt a shortcut" not in body  # no verdict from one image

    def test_it_studies_the_grids_current_filter(self, page, expected):
        page.selectbox(key="pred_filter").set_value("confident_mistakes").run()
        open_tab(page, "Look inside")
        first = int(evaluation.select(expected, "confident_mistakes")[0])
        assert page.selectbox(key="pred_inside_index").value == first


class TestThePretrainedNetwork:
    def test_a_first_visit_with_no_training_shows_the_grid_and_says_which_network(self, open_page):
        at = open_page(PAGE)
        assert_ok(at)
        assert at.radio(key="pred_source").value == "pretrained"
        prov = pretrained.provenance("mnist")
        assert any(pretrained.describe(prov) in c.value for c in at.caption)
        assert "8,000 MNIST images for 10 epochs" in text(at)
        assert at.metric[0].label == "Test accuracy"
        assert len(at.image) == 1 and "Showing 1–15 of 1,000" in text(at)
        assert not at.button  # nothing to train first

    def test_the_grid_on_a_first_visit_starts_no_worker_until_draw_or_look_inside(self):
        """The shipped answers draw the grid; Draw asks the network itself, which starts the
        worker; the server's own process never imports TensorFlow."""
        code = (
            "import sys; from tests.app.conftest import open_app_page; from ui import worker;"
            "at = open_app_page('app_pages/predictions.py'); assert not at.exception;"
            "assert at.metric and len(at.image) == 1; before = worker.workers().running;"
            "at.session_state['pred_tab'] = 'Look inside'; at.run(); assert not at.exception;"
            "print(before, worker.workers().running, 'tensorflow' in sys.modules); worker.workers().close()"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip().splitlines()[-1] == "False True False"

    def test_fashion_gets_its_own_network_and_every_tab_works(self, open_page):
        at = open_page(PAGE, **{DATASET_KEY: "fashion_mnist"})
        assert_ok(at)
        assert "60,000 Fashion-MNIST images for 10 epochs" in text(at)
        assert "tested on** Fashion-MNIST" in text(at)
        open_tab(at, "Confusion matrix")
        assert "Cell M[" in text(at)
        open_tab(at, "Look inside")
        assert "**block1_conv1**: 24 filters of 3×3×1" in text(at)

    def test_a_class_opening_the_page_asks_the_worker_once(self, open_page, monkeypatch, mnist):
        # Two students who uploaded the same file (test images the package has no answers for).
        upload = dataclasses.replace(
            mnist, x_test=mnist.x_test[:500], y_test=mnist.y_test[:500], source="file"
        )
        pool = common.worker.workers()
        calls, real = [], pool.call
        monkeypatch.setattr(pool, "call", lambda op, **k: calls.append(op) or real(op, **k))
        common.pretrained_predictions.clear()
        for _ in range(2):
            at = open_page(PAGE, **{common.UPLOAD_KEY: dataclasses.replace(upload)})
            assert_ok(at)
            assert "Showing 1–15 of 500" in text(at) and "your .npz file" in text(at)
        assert calls.count("predict") == 1

    def test_a_class_opening_the_grid_draws_each_picture_once(self, open_page, monkeypatch):
        from cnn_core.figures import predictions as predictions_figures

        drawn = []
        real = predictions_figures.prediction_grid
        monkeypatch.setattr(
            predictions_figures, "prediction_grid", lambda *a, **k: drawn.append(1) or real(*a, **k)
        )
        common.st.cache_data.clear()
        for _ in range(3):  # three students on the same first page
            assert_ok(open_page(PAGE))
        assert len(drawn) == 1
        at = open_page(PAGE)
        at.slider(key="pred_rows").set_value(2).run()  # another picture: drawn for it
        assert_ok(at)
        assert len(drawn) == 2

    def test_a_link_applies_at_once_to_the_pretrained_network(self):
        at = open_app_page(PAGE, query={"pred_filter": "mistakes", "pred_rows": "2"})
        assert_ok(at)
        assert "apply as soon as there is a model" not in text(at)
        assert at.selectbox(key="pred_filter").value == "mistakes"
        assert at.slider(key="pred_rows").value == 2
        # With no model chosen (an upload not made yet) the link's settings wait for one.
        at.radio(key="pred_source").set_value("upload").run()
        assert "apply as soon as there is a model" in text(at)


class TestOtherModels:
    def test_the_quick_run_trains_the_tutorials_network_here_as_a_registry_job(
        self, open_page, quick_runs, tiny
    ):
        at = open_page(PAGE)
        assert_ok(at)
        at.radio(key="pred_source").set_value("quick").run()
        assert not at.metric
        at.get("button_group")[0].set_value(1)  # one epoch
        at.button(key="pred_quick_train").click().run()
        assert_ok(at)
        (trainer,) = quick_runs
        job = jobs.get_registry().get(at.session_state[jobs.QUICK_JOB_KEY])
        assert job.trainer is trainer and job.active and job.page == PAGE  # a job like any run
        assert trainer.model_config == models.PRESETS["tutorial"]
        assert (trainer.config.epochs, trainer.config.checkpoint_every, trainer.folder) == (1, 0, None)
        assert trainer.config.learning_rate == training_config.training_defaults("tutorial").learning_rate
        trainer.advance(2)
        at.run()
        assert at.get("progress")[0].proto.text.startswith("Epoch 1 of 1")
        assert all(b.key != "pred_quick_train" for b in at.button)  # one run at a time

        at.switch_page("app_pages/home.py").run()  # it survives a page change
        trainer.finish()
        at.run()  # the sidebar's line notices the end, on any page, and takes the model
        assert at.session_state[QUICK_MODEL_KEY].model == tiny.model
        at.switch_page(PAGE).run()
        assert_ok(at)
        assert "Trained." in " ".join(s.value for s in at.success)
        assert at.metric[0].label == "Test accuracy"
        assert "1 epoch on this page" in text(at)
        assert jobs.QUICK_JOB_KEY not in at.session_state

    def test_a_quick_run_asked_for_while_another_trains_waits_in_line_then_starts(
        self, open_page, quick_runs, mnist
    ):
        registry = jobs.get_registry()
        other = FakeTrainer(mnist, models.PRESETS["tutorial"], training_config.TrainingConfig())
        registry.submit("the-instructor", other, "Tutorial on MNIST", "mnist", work_images=54_000)
        at = open_quick_run(open_page)
        at.button(key="pred_quick_train").click().run()
        assert_ok(at)
        (mine,) = quick_runs
        shown = " ".join(i.value for i in at.info)
        assert "1st in line" in shown and "start in about" in shown
        assert "start" not in mine.calls and not at.get("progress")
        assert not at.error  # a place in line, not a refusal

        other.finish()
        registry.dispatch()  # what the registry's own thread does within a fraction of a second
        at.run()
        assert mine.calls == ["start"]
        assert at.get("progress")[0].proto.text.startswith("Epoch 1 of 2")

    def test_a_quick_run_that_failed_says_why_and_offers_the_button_again(self, open_page, quick_runs):
        at = open_quick_run(open_page)
        at.button(key="pred_quick_train").click().run()
        quick_runs[0].fail("Training failed: ResourceExhaustedError: out of memory")
        at.run()
        assert_ok(at)
        assert any("out of memory" in e.value for e in at.error)
        assert at.button(key="pred_quick_train") and QUICK_MODEL_KEY not in at.session_state

    def test_a_quick_run_stopped_part_way_says_how_far_it_got(self, open_page, quick_runs, tiny):
        at = open_quick_run(open_page)  # two epochs, the default
        at.button(key="pred_quick_train").click().run()
        (trainer,) = quick_runs
        trainer.advance(trainer.steps)  # the first epoch ends...
        trainer.stop()  # ... and the run is stopped in the second
        at.run()
        assert_ok(at)
        assert any("Stopped after 1 of 2 epochs" in w.value for w in at.warning)
        assert not at.success  # not "Trained."
        assert "1 epoch on this page" in text(at) and at.metric[0].label == "Test accuracy"

    def test_a_quick_run_stopped_in_its_first_epoch_leaves_no_model(self, open_page, quick_runs):
        at = open_quick_run(open_page)
        at.button(key="pred_quick_train").click().run()
        quick_runs[0].advance(2)
        quick_runs[0].stop()
        at.run()
        assert_ok(at)
        assert any("before its first epoch ended" in e.value for e in at.error)
        assert QUICK_MODEL_KEY not in at.session_state and at.button(key="pred_quick_train")

    def test_a_quick_run_may_leave_the_line(self, open_page, quick_runs, mnist):
        registry = jobs.get_registry()
        registry.submit(
            "the-instructor",
            FakeTrainer(mnist, models.PRESETS["tutorial"], training_config.TrainingConfig()),
            "Tutorial on MNIST",
            "mnist",
            work_images=54_000,
        )
        at = open_quick_run(open_page)
        at.button(key="pred_quick_train").click().run()
        at.button(key="pred_quick_leave").click().run()
        assert_ok(at)
        assert registry.line() == [] and jobs.QUICK_JOB_KEY not in at.session_state
        assert at.button(key="pred_quick_train")  # back to the button

    def test_an_uploaded_keras_model_is_checked_and_used(self, open_page, tiny, expected):
        content = Path(tiny.model.path).read_bytes()
        at = open_page(PAGE)
        at.radio(key="pred_source").set_value("upload").run()
        at.file_uploader(key="pred_model_file").upload("mine.keras", content).run()
        assert_ok(at)
        assert {m.label: m.value for m in at.metric}["Test accuracy"] == f"{expected.accuracy:.1%}"
        assert "mine.keras (uploaded)" in text(at)

    def test_a_kept_upload_is_not_read_again_on_each_rerun(self, open_page, tiny, monkeypatch):
        import hashlib

        from ui import predictions_model

        content = Path(tiny.model.path).read_bytes()
        hashed, sha1 = [], hashlib.sha1
        monkeypatch.setattr(hashlib, "sha1", lambda data: hashed.append(1) or sha1(data))
        at = open_page(PAGE)
        at.radio(key="pred_source").set_value("upload").run()
        at.file_uploader(key="pred_model_file").upload("mine.keras", content).run()
        model = at.session_state[predictions_model.UPLOADED_KEY][2]
        at.run()
        at.run()
        assert_ok(at)
        assert len(hashed) == 1 and at.session_state[predictions_model.UPLOADED_KEY][2] is model

    def test_an_uploaded_model_that_does_not_fit_is_refused_with_a_sentence(self, open_page):
        import keras

        inputs = keras.Input((32, 32, 3))
        model = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs)))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "cifar.keras"
            model.save(path)
            content = path.read_bytes()
        at = open_page(PAGE)
        at.radio(key="pred_source").set_value("upload").run()
        at.file_uploader(key="pred_model_file").upload("cifar.keras", content).run()
        assert_ok(at)
        assert any("(32, 32, 3)" in e.value and "(28, 28, 1)" in e.value for e in at.error)
        assert not at.metric

    def test_a_model_trained_on_fashion_is_tested_on_fashion(self, open_page, tiny):
        other = TrainedModel(tiny.model, "fashion_mnist", "a digits model, mislabelled as clothes")
        at = open_page(PAGE, **{TRAINED_MODEL_KEY: other, DATASET_KEY: "mnist"})
        assert_ok(at)
        assert any("trained on **Fashion-MNIST**" in i.value for i in at.info)
        assert "tested on** Fashion-MNIST" in text(at)


class TestInstructorLinks:
    """Settings travel in the URL (ui/url_state.py). The query parameters are set before the
    router's first run; AppTest keeps them through switch_page, so the page reads them as a
    browser opening /predictions?... would."""

    @staticmethod
    def open_link(model: TrainedModel | None = None, **query: str):
        state = {TRAINED_MODEL_KEY: model} if model is not None else {}
        at = open_app_page(PAGE, query=query, **state)
        assert_ok(at)
        return at

    @staticmethod
    def url(at) -> dict[str, str]:
        """The query parameters as the browser shows them (AppTest may hold lists)."""
        return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}

    def test_a_link_restores_the_grid_settings(self, tiny):
        at = self.open_link(
            tiny, pred_filter="true_class", pred_class="3", pred_rows="2", pred_cols="2", pred_page="2"
        )
        assert not at.warning
        assert at.selectbox(key="pred_filter").value == "true_class"
        assert at.selectbox(key="pred_class").value == 3
        assert (at.slider(key="pred_rows").value, at.slider(key="pred_cols").value) == (2, 2)
        assert "Showing 5–8 of 100" in text(at)
        # The share box offers the same link to copy.
        assert "pred_class=3" in at.code[0].value and "pred_page=2" in at.code[0].value

    def test_a_link_opens_look_inside_on_its_image_with_its_method(self, tiny, expected):
        right = int(np.flatnonzero(expected.correct)[0])  # not one of the mistakes
        at = self.open_link(
            tiny,
            pred_tab="inside",
            pred_filter="mistakes",
            pred_inside_index=str(right),
            pred_heat_method="saliency",
        )
        assert not at.warning
        # The link's image is offered first even though the filter would not list it.
        assert at.selectbox(key="pred_inside_index").value == right
        assert at.selectbox(key="pred_inside_index").options[0].startswith(f"#{right} ")
        assert at.get("button_group")[0].value == "saliency"
        assert "\\partial x_{ij}" in text(at)

    def test_a_link_opens_a_confusion_cell(self, tiny):
        at = self.open_link(tiny, pred_tab="confusion", pred_cell_true="4", pred_cell_pred="9")
        assert "Cell M[4, 9]" in text(at)

    def test_moving_a_control_updates_the_url(self, page):
        assert not {k for k in self.url(page) if k.startswith("pred_")}  # defaults stay implicit
        page.slider(key="pred_rows").set_value(2).run()
        page.selectbox(key="pred_filter").set_value("mistakes").run()
        page.get("pagination")[0].set_value(3).run()
        assert self.url(page) == {"pred_rows": "2", "pred_filter": "mistakes", "pred_page": "3"}
        page.selectbox(key="pred_filter").set_value("all").run()  # another filter: its first page
        assert self.url(page) == {"pred_rows": "2"}
        assert "Showing 1–6 of 1,000" in text(page)
        open_tab(page, "Look inside")
        page.get("button_group")[0].set_value("saliency").run()
        assert self.url(page)["pred_tab"] == "inside"
        assert self.url(page)["pred_heat_method"] == "saliency"

    def test_a_tampered_link_falls_back_to_defaults_with_a_notice(self, tiny):
        tampered = {
            "pred_tab": "<script>",
            "pred_filter": "everything",
            "pred_class": "11",
            "pred_rows": "1000",
            "pred_cols": "-1",
            "pred_page": "1" + "0" * 12,
            "pred_inside_index": "abc",
            "pred_heat_method": "magic",
            "pred_quick_epochs": "1000000000",
            "pred_cell_true": "nan",
        }
        at = self.open_link(tiny, **tampered)
        notice = " ".join(w.value for w in at.warning)
        for key, value in tampered.items():
            assert f"{key}={value}" in notice
        assert at.selectbox(key="pred_filter").value == "all"
        assert "Showing 1–15 of 1,000" in text(at)  # 5×3, page 1
        assert not {k for k in self.url(at) if k.startswith("pred_")}

    def test_a_link_past_the_end_of_this_models_data_shows_the_last_page_or_a_notice(self, tiny, expected):
        wrong = len(expected) - expected.n_correct
        at = self.open_link(tiny, pred_filter="mistakes", pred_rows="1", pred_cols="1", pred_page="999999")
        assert f"Showing {wrong:,}–{wrong:,} of {wrong:,}" in text(at)
        at = self.open_link(tiny, pred_tab="inside", pred_inside_index="5000")  # the sample has 1,000
        assert any("test image #5,000" in w.value for w in at.warning)
        assert at.selectbox(key="pred_inside_index").value == 0

    def test_hidden_controls_are_absent_but_their_link_values_apply(self, tiny):
        at = self.open_link(
            tiny,
            pred_filter="true_class",
            pred_class="7",
            pred_rows="1",
            hide="pred_filter,pred_class,pred_rows",
        )
        keys = {w.key for w in [*at.selectbox, *at.slider]}
        assert {"pred_filter", "pred_class", "pred_rows"}.isdisjoint(keys)
        assert "pred_cols" in keys
        assert "Accuracy on class **7**" in text(at)
        assert "Showing 1–3 of" in text(at)  # 1 row × 3 columns
        assert self.url(at)["hide"] == "pred_filter,pred_class,pred_rows"

    def test_hiding_the_tabs_shows_only_the_links_section(self, tiny):
        at = self.open_link(tiny, pred_tab="confusion", hide="pred_tab")
        assert not at.tabs
        assert at.subheader[0].value == "Confusion matrix"
        assert "Cell M[" in text(at)

    def test_the_links_settings_carry_over_to_the_quick_training(self, quick_runs):
        at = self.open_link(pred_filter="mistakes", pred_rows="2", pred_quick_epochs="1")
        at.radio(key="pred_source").set_value("quick").run()
        assert "apply as soon as there is a model" in text(at)
        assert at.get("button_group")[0].value == 1
        at.button(key="pred_quick_train").click().run()
        quick_runs[0].finish()
        at.run()
        assert_ok(at)
        assert "1 epoch on this page" in text(at)
        assert at.selectbox(key="pred_filter").value == "mistakes"
        assert at.slider(key="pred_rows").value == 2
        assert {"pred_filter": "mistakes", "pred_rows": "2", "pred_quick_epochs": "1"}.items() <= self.url(
            at
        ).items()
