"""What a trained network gets right and wrong on the test set, and whether a model fits at all.

:func:`predict` runs the network over the whole test set once and returns a
:class:`Predictions`; everything a learner filters or counts afterwards (the prediction grid, the
confusion matrix, accuracy per class) is cheap numpy on that one (N, 10) array, so a page can
re-filter in milliseconds.

:func:`check_model_file`, :func:`check_model` and :func:`explain_load_error` guard the door for a
user's ``.keras`` upload: the file's bytes, one 28×28×1 input, ten outputs, and a sentence that
says what to fix when the file does not fit; the worker loads it in Keras safe mode
(:func:`cnn_core.worker.inference.load_model`). Nothing here imports TensorFlow: the functions
that run a model take it as it is (the worker's).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Union

import numpy as np

from .datasets import IMAGE_SIZE, NUM_CLASSES, first_line, preprocess

# A .keras file of the presets is a few MB; refuse anything absurd before writing it to disk.
MAX_MODEL_BYTES = 200 * 1024 * 1024
PREDICT_BATCH = 500  # images per forward pass: big enough to be fast, small enough for a 1 GB box

ModelSource = Union[str, os.PathLike, bytes]

# Filter names (stable: pages and tests use them) -> what the learner reads.
FILTERS: dict[str, str] = {
    "all": "All test images",
    "mistakes": "Only mistakes",
    "true_class": "One true class",
    "confident_mistakes": "Most confident mistakes",
    "unsure_correct": "Least confident correct",
    "cell": "One cell of the confusion matrix",
}


@dataclass(frozen=True, eq=False)
class Predictions:
    """The network's answer for every test image.

    ``probabilities`` is float32 (N, 10), each row summing to 1; ``labels`` is the true class
    (N,) as uint8. ``from_logits`` is True when the model returned raw scores and softmax was
    applied here to turn them into probabilities.
    """

    probabilities: np.ndarray
    labels: np.ndarray
    from_logits: bool = False

    def __post_init__(self) -> None:
        # Derived once, read on every filter change.
        object.__setattr__(self, "predicted", self.probabilities.argmax(axis=1).astype(np.uint8))
        object.__setattr__(self, "confidence", self.probabilities.max(axis=1))
        object.__setattr__(self, "correct", self.predicted == self.labels)

    predicted: np.ndarray = field(init=False, repr=False)  # (N,) uint8, argmax of each row
    confidence: np.ndarray = field(init=False, repr=False)  # (N,) float32, the max probability
    correct: np.ndarray = field(init=False, repr=False)  # (N,) bool

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def n_correct(self) -> int:
        return int(self.correct.sum())

    @property
    def accuracy(self) -> float:
        """Fraction of test images whose most probable class is the true one (0-1)."""
        return self.n_correct / max(len(self), 1)


def predict(
    model: Any,
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int = PREDICT_BATCH,
    on_progress: Callable[[float], None] | None = None,
) -> Predictions:
    """Run ``model`` over uint8 ``images`` (N, 28, 28) in batches; return its :class:`Predictions`.

    Images are scaled to [0, 1] one batch at a time (no float copy of the whole set is kept).
    ``on_progress`` is called with the fraction done (0-1) after each batch. Raw scores that are
    not probabilities (a model without a final softmax) are turned into probabilities here.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"Images must have shape (N, 28, 28), not {images.shape}.")
    if len(images) != len(labels):
        raise ValueError(f"{len(images):,} images but {len(labels):,} labels.")
    if len(images) == 0:
        raise ValueError("There are no test images to predict.")
    outputs = []
    for start in range(0, len(images), batch_size):
        batch = preprocess(images[start : start + batch_size])
        outputs.append(np.asarray(model.predict_on_batch(batch), dtype=np.float32))
        if on_progress is not None:
            on_progress(min(1.0, (start + batch_size) / len(images)))
    raw = np.concatenate(outputs)
    if raw.ndim != 2 or raw.shape[1] != NUM_CLASSES:
        raise ValueError(f"The model returned shape {raw.shape}; it must give 10 numbers per image.")
    from_logits = not looks_like_probabilities(raw)
    probabilities = softmax(raw) if from_logits else raw
    return Predictions(probabilities, labels.astype(np.uint8, copy=False), from_logits)


def predict_image(model: Any, image: np.ndarray) -> np.ndarray:
    """The ten class probabilities (float32, sum 1) for one uint8 (28, 28) image."""
    image = np.asarray(image)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"An image must be 28×28, not {image.shape}.")
    raw = np.asarray(model.predict_on_batch(preprocess(image[None])), dtype=np.float32)
    if raw.shape != (1, NUM_CLASSES):
        raise ValueError(f"The model returned shape {raw.shape}; it must give 10 numbers per image.")
    return (raw if looks_like_probabilities(raw) else softmax(raw))[0]


def looks_like_probabilities(values: np.ndarray, tolerance: float = 1e-3) -> bool:
    """Whether every row of (N, C) ``values`` is non-negative and sums to 1 (within ``tolerance``)."""
    return bool((values >= -tolerance).all() and np.allclose(values.sum(axis=1), 1.0, atol=tolerance))


def softmax(scores: np.ndarray) -> np.ndarray:
    """p_k = e^{z_k} / Σ_j e^{z_j} along the last axis, computed stably (shift by the max)."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Counts M[t, p] of images of true class t predicted as p: int64 (C, C), rows sum to class sizes."""
    labels = np.asarray(labels, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    if labels.shape != predicted.shape:
        raise ValueError(f"{labels.shape} labels but {predicted.shape} predictions.")
    if len(labels) and (
        min(labels.min(), predicted.min()) < 0 or max(labels.max(), predicted.max()) >= num_classes
    ):
        raise ValueError(f"Classes must be 0-{num_classes - 1}.")
    return np.bincount(labels * num_classes + predicted, minlength=num_classes**2).reshape(
        num_classes, num_classes
    )


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """Recall of each true class: M[c, c] / Σ_p M[c, p], float (C,); NaN for a class with no images."""
    totals = matrix.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / totals, np.nan)


def most_confused(matrix: np.ndarray, top: int = 3) -> list[tuple[int, int, int]]:
    """The ``top`` off-diagonal cells by count, as (true, predicted, count), largest first."""
    off = matrix.astype(np.int64).copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None, kind="stable")[::-1][:top]
    cells = [(int(i // off.shape[1]), int(i % off.shape[1])) for i in order]
    return [(t, p, int(off[t, p])) for t, p in cells if off[t, p] > 0]


def select(
    preds: Predictions,
    how: str = "all",
    true_class: int | None = None,
    predicted_class: int | None = None,
) -> np.ndarray:
    """Indices (int64) of the test images a filter keeps, in the order they should be shown.

    ``how`` is one of :data:`FILTERS`: "all" and "mistakes" keep test-set order; "true_class"
    needs ``true_class``; "cell" needs both classes (one confusion-matrix cell);
    "confident_mistakes" sorts wrong answers by confidence, highest first; "unsure_correct"
    sorts right answers by confidence, lowest first.
    """
    if how == "all":
        return np.arange(len(preds))
    if how == "mistakes":
        return np.flatnonzero(~preds.correct)
    if how == "true_class":
        _check_class("true_class", true_class)
        return np.flatnonzero(preds.labels == true_class)
    if how == "cell":
        _check_class("true_class", true_class)
        _check_class("predicted_class", predicted_class)
        return np.flatnonzero((preds.labels == true_class) & (preds.predicted == predicted_class))
    if how == "confident_mistakes":
        wrong = np.flatnonzero(~preds.correct)
        return wrong[np.argsort(-preds.confidence[wrong], kind="stable")]
    if how == "unsure_correct":
        right = np.flatnonzero(preds.correct)
        return right[np.argsort(preds.confidence[right], kind="stable")]
    raise ValueError(f"Unknown filter {how!r}: choose one of {', '.join(FILTERS)}.")


def _check_class(name: str, value: int | None) -> None:
    if value is None or not 0 <= int(value) < NUM_CLASSES:
        raise ValueError(f"This filter needs {name} between 0 and {NUM_CLASSES - 1}, not {value!r}.")


# ---------------------------------------------------------------------------------------------
# Model checks: the door for uploads and for models handed over by the training page.


def check_model_file(data: bytes) -> None:
    """Refuse bytes that cannot be a ``.keras`` model of ours before anything loads them: too big,
    a legacy HDF5 file, or not a zip archive. ``ValueError`` with a sentence saying what to do."""
    if len(data) > MAX_MODEL_BYTES:
        raise ValueError(
            f"The file is {len(data) / 1e6:,.0f} MB; a model for 28×28 images should be a few MB "
            f"(the limit here is {MAX_MODEL_BYTES / 1e6:,.0f} MB)."
        )
    if data.startswith(b"\x89HDF"):
        raise ValueError(
            "This is a legacy HDF5 (.h5) file. Save the model in the Keras 3 format with "
            "model.save('model.keras') and upload that."
        )
    if not data.startswith(b"PK"):
        raise ValueError(
            "This is not a .keras model file (a zip archive written by model.save('model.keras'))."
        )


def explain_load_error(exc: BaseException, path: str = "") -> str:
    """A sentence for a learner; never the server's temporary ``path`` Keras may quote."""
    text = str(exc).replace(path, "the uploaded file") if path else str(exc)
    lowered = text.lower()
    if "file not found" in lowered or "not a zip" in lowered or "bad zip" in lowered:
        return (
            "This is not a complete .keras archive: the file may have been cut short. "
            "Save it again and upload that."
        )
    if "lambda" in lowered or "safe_mode" in lowered or "unsafe" in lowered:
        return (
            "The model contains Python code (a Lambda layer or similar), which safe mode refuses "
            "to load on a shared server. Replace the Lambda with a built-in Keras layer and save "
            "it again."
        )
    if "could not locate" in lowered or "unknown layer" in lowered or "custom" in lowered:
        return (
            "The model uses a custom layer or function that this app does not know "
            f"({first_line(text)}). Use built-in Keras layers only."
        )
    return f"Keras could not read this .keras file ({first_line(text)})."


def check_model(model: Any) -> None:
    """Raise ``ValueError`` unless ``model`` takes one (28, 28, 1) image batch and gives 10 scores.

    Spatial sizes left open (None) are accepted: a fully convolutional model reads 28×28 too.
    """
    try:
        inputs, outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError):
        raise ValueError(
            "The model has no defined input: build it from keras.Input(shape=(28, 28, 1)) "
            "(or call it once on a batch) before saving."
        ) from None
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            f"The model has {len(inputs)} inputs and {len(outputs)} outputs; it needs exactly "
            f"one image input and one output of {NUM_CLASSES} class scores."
        )
    shape = tuple(inputs[0].shape)[1:]
    fits = len(shape) == 3 and shape[2] == 1 and all(s in (None, IMAGE_SIZE) for s in shape[:2])
    if not fits:
        raise ValueError(
            f"The model expects input of shape {_shape_text(shape)} per image; MNIST images are "
            "28×28 with one grey channel, so it needs (28, 28, 1)."
        )
    out = tuple(outputs[0].shape)[1:]
    if out != (NUM_CLASSES,):
        raise ValueError(
            f"The model gives output of shape {_shape_text(out)} per image; it needs {NUM_CLASSES} numbers, "
            f"one per class (a final Dense({NUM_CLASSES}, activation='softmax'))."
        )


def _shape_text(shape: tuple) -> str:
    return "(" + ", ".join("any" if s is None else str(s) for s in shape) + (",)" if len(shape) == 1 else ")")
