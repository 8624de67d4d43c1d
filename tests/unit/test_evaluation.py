"""What the network got right and wrong, counted and filtered; and the door for uploaded models.

Counting and filtering use a hand-made set of predictions (no TensorFlow); the model checks
build small Keras models and save them to .keras files as a user would.
"""

import io
import zipfile

import numpy as np
import pytest

from cnn_core import datasets, evaluation
from cnn_core.worker.inference import load_model
from cnn_core.worker.models import build_model


def load_model_file(source) -> object:
    """An uploaded file as the app hands it to the worker: its bytes written to a file, loaded from there."""
    import tempfile
    from pathlib import Path

    if isinstance(source, (bytes, bytearray)):
        path = Path(tempfile.mkdtemp()) / "upload.keras"
        path.write_bytes(bytes(source))
        source = path
    return load_model(source)


def make_predictions(labels, predicted, confidence) -> evaluation.Predictions:
    """Predictions whose argmax is ``predicted`` with probability ``confidence``."""
    n = len(labels)
    probs = np.full((n, 10), 0.0, np.float32)
    for i, (p, c) in enumerate(zip(predicted, confidence)):
        probs[i] = (1 - c) / 9
        probs[i, p] = c
    return evaluation.Predictions(probs, np.asarray(labels, np.uint8))


@pytest.fixture
def preds() -> evaluation.Predictions:
    #            0    1    2    3    4    5    6    7
    labels = [0, 0, 1, 1, 2, 2, 2, 3]
    predicted = [0, 1, 1, 0, 2, 1, 2, 3]
    confidence = [0.9, 0.95, 0.4, 0.6, 0.99, 0.7, 0.5, 0.8]
    return make_predictions(labels, predicted, confidence)


class FakeModel:
    """Stands in for a keras.Model: records the batches it sees, returns fixed scores."""

    def __init__(self, logits: bool = False):
        self.batches = []
        self.logits = logits

    def predict_on_batch(self, x):
        self.batches.append(x)
        scores = x.reshape(len(x), -1)[:, :10] * 10 + np.arange(10)  # depends on the pixels
        if self.logits:
            return scores
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


class TestCounting:
    def test_derived_answers_come_from_the_probabilities(self, preds):
        np.testing.assert_array_equal(preds.predicted, [0, 1, 1, 0, 2, 1, 2, 3])
        np.testing.assert_allclose(preds.confidence, [0.9, 0.95, 0.4, 0.6, 0.99, 0.7, 0.5, 0.8], rtol=1e-6)
        assert preds.n_correct == 5 and preds.accuracy == pytest.approx(5 / 8)

    def test_confusion_matrix_counts_true_rows_against_predicted_columns(self, preds):
        m = evaluation.confusion_matrix(preds.labels, preds.predicted)
        assert m.shape == (10, 10)
        assert m[0, 0] == 1 and m[0, 1] == 1  # one 0 right, one 0 read as 1
        assert m[1, 1] == 1 and m[1, 0] == 1
        assert m[2, 2] == 2 and m[2, 1] == 1
        assert m[3, 3] == 1
        assert m.sum() == 8
        np.testing.assert_array_equal(m.sum(axis=1)[:4], [2, 2, 3, 1])  # rows: class sizes
        assert np.trace(m) == preds.n_correct

    def test_confusion_matrix_refuses_mismatched_or_out_of_range_classes(self):
        with pytest.raises(ValueError):
            evaluation.confusion_matrix([0, 1], [0])
        with pytest.raises(ValueError, match="0-9"):
            evaluation.confusion_matrix([0, 10], [0, 1])

    def test_accuracy_per_class_is_the_diagonal_over_the_row(self, preds):
        m = evaluation.confusion_matrix(preds.labels, preds.predicted)
        acc = evaluation.per_class_accuracy(m)
        np.testing.assert_allclose(acc[:4], [0.5, 0.5, 2 / 3, 1.0])
        assert np.isnan(acc[4:]).all()  # no images of classes 4-9: no accuracy, not zero

    def test_most_confused_lists_off_diagonal_cells_largest_first(self):
        m = np.zeros((10, 10), int)
        m[7, 9], m[4, 9], m[3, 5], m[1, 1] = 18, 14, 3, 99
        assert evaluation.most_confused(m, top=2) == [(7, 9, 18), (4, 9, 14)]
        assert evaluation.most_confused(np.eye(10, dtype=int)) == []


class TestFilters:
    def test_all_keeps_test_set_order(self, preds):
        np.testing.assert_array_equal(evaluation.select(preds, "all"), np.arange(8))

    def test_only_mistakes(self, preds):
        np.testing.assert_array_equal(evaluation.select(preds, "mistakes"), [1, 3, 5])

    def test_one_true_class(self, preds):
        np.testing.assert_array_equal(evaluation.select(preds, "true_class", true_class=2), [4, 5, 6])

    def test_one_cell_of_the_confusion_matrix(self, preds):
        np.testing.assert_array_equal(evaluation.select(preds, "cell", 2, 1), [5])
        np.testing.assert_array_equal(evaluation.select(preds, "cell", 2, 2), [4, 6])

    def test_most_confident_mistakes_come_first(self, preds):
        np.testing.assert_array_equal(evaluation.select(preds, "confident_mistakes"), [1, 5, 3])

    def test_least_confident_correct_answers_come_first(self, preds):
        np.testing.assert_array_equal(evaluation.select(preds, "unsure_correct"), [2, 6, 7, 0, 4])

    def test_every_filter_is_named_for_the_page(self):
        assert set(evaluation.FILTERS) == {
            "all",
            "mistakes",
            "true_class",
            "confident_mistakes",
            "unsure_correct",
            "cell",
        }

    def test_a_filter_without_its_class_or_an_unknown_filter_is_refused(self, preds):
        with pytest.raises(ValueError, match="true_class"):
            evaluation.select(preds, "true_class")
        with pytest.raises(ValueError, match="predicted_class"):
            evaluation.select(preds, "cell", 1)
        with pytest.raises(ValueError, match="Unknown filter"):
            evaluation.select(preds, "best")


class TestPredicting:
    def test_the_test_set_is_scaled_to_0_1_and_sent_in_batches(self):
        images = np.random.default_rng(0).integers(0, 256, (23, 28, 28)).astype(np.uint8)
        model, progress = FakeModel(), []
        preds = evaluation.predict(model, images, np.zeros(23), batch_size=10, on_progress=progress.append)
        assert [len(b) for b in model.batches] == [10, 10, 3]
        first = model.batches[0]
        assert first.shape == (10, 28, 28, 1) and first.dtype == np.float32
        assert 0.0 <= first.min() and first.max() <= 1.0
        assert progress == sorted(progress) and progress[-1] == 1.0
        assert preds.probabilities.shape == (23, 10) and not preds.from_logits

    def test_raw_scores_are_turned_into_probabilities(self):
        images = np.zeros((4, 28, 28), np.uint8)
        preds = evaluation.predict(FakeModel(logits=True), images, np.zeros(4))
        assert preds.from_logits
        np.testing.assert_allclose(preds.probabilities.sum(axis=1), 1.0, rtol=1e-5)
        assert (preds.predicted == 9).all()

    def test_softmax_is_stable_for_large_scores(self):
        p = evaluation.softmax(np.array([[1000.0, 1000.0, -1000.0]]))
        np.testing.assert_allclose(p, [[0.5, 0.5, 0.0]], atol=1e-6)

    def test_bad_inputs_are_refused(self):
        with pytest.raises(ValueError, match="28, 28"):
            evaluation.predict(FakeModel(), np.zeros((2, 32, 32)), np.zeros(2))
        with pytest.raises(ValueError, match="labels"):
            evaluation.predict(FakeModel(), np.zeros((2, 28, 28)), np.zeros(3))
        with pytest.raises(ValueError, match="28×28"):
            evaluation.predict_image(FakeModel(), np.zeros((32, 32)))

    def test_one_image_gives_ten_probabilities(self):
        p = evaluation.predict_image(FakeModel(logits=True), np.zeros((28, 28), np.uint8))
        assert p.shape == (10,) and p.sum() == pytest.approx(1.0, abs=1e-5)


# --- Keras models ------------------------------------------------------------------------------


def saved(model) -> bytes:
    """The bytes of ``model.save('x.keras')``, as a user would upload them."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        return path.read_bytes()


def small_model(input_shape=(28, 28, 1), outputs=10, lambda_layer=False):
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(2, 3, activation="relu")(inputs)
    if lambda_layer:
        x = layers.Lambda(lambda t: t * 2.0)(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(outputs, activation="softmax")(x))


class TestModelChecks:
    def test_the_tutorial_network_fits(self):
        evaluation.check_model(build_model())

    def test_a_model_for_other_images_is_refused_with_the_shape_it_needs(self):
        with pytest.raises(ValueError, match=r"\(32, 32, 3\).*\(28, 28, 1\)"):
            evaluation.check_model(small_model(input_shape=(32, 32, 3)))

    def test_a_model_with_the_wrong_number_of_classes_is_refused(self):
        with pytest.raises(ValueError, match=r"\(5,\).*10 numbers"):
            evaluation.check_model(small_model(outputs=5))

    def test_a_model_with_two_outputs_is_refused(self):
        import keras

        inputs = keras.Input(shape=(28, 28, 1))
        flat = keras.layers.Flatten()(inputs)
        model = keras.Model(inputs, [keras.layers.Dense(10)(flat), keras.layers.Dense(10)(flat)])
        with pytest.raises(ValueError, match="2 outputs"):
            evaluation.check_model(model)

    def test_a_fully_convolutional_model_with_open_sizes_is_accepted(self):
        import keras

        inputs = keras.Input(shape=(None, None, 1))
        x = keras.layers.Conv2D(10, 3)(inputs)
        evaluation.check_model(keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x)))

    def test_a_saved_model_loads_from_bytes_and_from_a_path(self, tmp_path):
        model = small_model()
        data = saved(model)
        loaded = load_model_file(data)
        (tmp_path / "m.keras").write_bytes(data)
        from_path = load_model_file(tmp_path / "m.keras")
        x = datasets.preprocess(np.zeros((1, 28, 28), np.uint8))
        np.testing.assert_allclose(loaded.predict_on_batch(x), model.predict_on_batch(x), rtol=1e-5)
        np.testing.assert_allclose(from_path.predict_on_batch(x), model.predict_on_batch(x), rtol=1e-5)

    def test_an_uploaded_model_of_the_wrong_shape_is_refused_after_loading(self):
        with pytest.raises(ValueError, match="28, 28, 1"):
            load_model_file(saved(small_model(input_shape=(32, 32, 1))))

    def test_python_code_in_a_model_is_refused_by_safe_mode(self):
        with pytest.raises(ValueError, match="safe mode"):
            load_model_file(saved(small_model(lambda_layer=True)))

    def test_files_that_are_not_keras_models_are_refused_with_a_sentence(self):
        with pytest.raises(ValueError, match="not a .keras model"):
            load_model_file(b"hello, I am a text file")
        with pytest.raises(ValueError, match="HDF5"):
            load_model_file(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("readme.txt", "a zip, but not a model")
        with pytest.raises(ValueError, match="Keras could not read"):
            load_model_file(buf.getvalue())

    def test_a_truncated_model_file_is_refused_without_naming_a_server_path(self):
        data = saved(small_model())
        for cut in (data[: len(data) // 2], b"PK\x03\x04 cut short"):
            with pytest.raises(ValueError) as refused:
                load_model_file(cut)
            assert "/" not in str(refused.value) and "tmp" not in str(refused.value), refused.value
