"""The pretrained networks shipped with the app: a model to look at before anybody trains.

``cnn_core/pretrained_models/{name}.keras`` is the tutorial's network trained by
``tools/make_pretrained.py`` (with this project's own command line) on the largest offline
training set of each dataset, saved without optimizer state (~1 MB); ``{name}.json`` beside it
is its provenance: the exact command, the data file and its sha256, epochs, batch, learning
rate, seed, test accuracy on that file's test split, library versions and the date.
``{name}.predictions.npz`` holds the network's answers on the bundled sample's test images
(keyed by a hash of those images): with them a first visit shows the prediction grid and the
confusion matrix without TensorFlow. Loading a network is the worker's
(:func:`cnn_core.worker.inference.load_pretrained`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from .evaluation import Predictions

MODELS_DIR = Path(__file__).resolve().parent / "pretrained_models"


@dataclass(frozen=True)
class Provenance:
    """How a shipped network was made (read from its ``{name}.json``).

    ``learning_rate`` is Adam's step size η; ``test_accuracy`` (0-1) was measured on the
    ``test_images`` of ``data_file``'s own test split with the shipped (re-saved) model;
    ``model_bytes`` is the size of the ``.keras`` file.
    """

    name: str
    title: str
    preset: str
    command: str
    data_file: str
    data_sha256: str
    train_images: int
    test_images: int
    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: str
    seed: int
    test_accuracy: float
    cli_test_accuracy: float
    wall_seconds: float
    keras_version: str
    tensorflow_version: str
    date: str
    model_bytes: int


def model_path(name: str) -> Path:
    """The shipped ``.keras`` file of dataset ``name`` ("mnist" or "fashion_mnist")."""
    return MODELS_DIR / f"{name}.keras"


def provenance_path(name: str) -> Path:
    return MODELS_DIR / f"{name}.json"


def available(name: str) -> bool:
    """True when a pretrained network (model and provenance) is shipped for dataset ``name``."""
    if not isinstance(name, str) or not name.isidentifier():  # never a path from a user
        return False
    return model_path(name).is_file() and provenance_path(name).is_file()


def provenance(name: str) -> Provenance:
    """The provenance of the network shipped for ``name``; ``ValueError`` when there is none."""
    if not available(name):
        raise ValueError(f"No pretrained network is shipped for the dataset {name!r}.")
    raw = json.loads(provenance_path(name).read_text())
    missing = [f.name for f in fields(Provenance) if f.name not in raw]
    if missing:
        raise ValueError(f"{provenance_path(name).name} lacks {', '.join(missing)}.")
    return Provenance(**{f.name: raw[f.name] for f in fields(Provenance)})


def describe(prov: Provenance) -> str:
    """One sentence for the page: which network, trained how, and how well on which images."""
    return (
        f"The tutorial's network, trained by `python -m cnn_core train …` on {prov.train_images:,} "
        f"{prov.title} images for {prov.epochs} epochs; {prov.test_accuracy:.1%} on its "
        f"{prov.test_images:,} test images."
    )


def details(prov: Provenance) -> str:
    """Everything else a reader may want to check or repeat: the exact command, the data, versions."""
    return (
        f"Exact command: {prov.command}  \n"
        f"Data: {prov.data_file} (sha256 {prov.data_sha256[:16]}…), {prov.train_images:,} training "
        f"and {prov.test_images:,} test images; batch {prov.batch_size}, {prov.optimizer} at "
        f"η = {prov.learning_rate:g}, seed {prov.seed}  \n"
        f"Keras {prov.keras_version}, TensorFlow {prov.tensorflow_version}, {prov.date}; "
        f"rebuilt by tools/make_pretrained.py"
    )


def predictions_path(name: str) -> Path:
    return MODELS_DIR / f"{name}.predictions.npz"


def test_set_digest(images: np.ndarray, labels: np.ndarray) -> str:
    """sha256 of a test set's uint8 images (N, 28, 28) and labels (N,), shapes included."""
    digest = hashlib.sha256(repr((images.shape, labels.shape)).encode())
    digest.update(np.ascontiguousarray(images, dtype=np.uint8).tobytes())
    digest.update(np.ascontiguousarray(labels, dtype=np.uint8).tobytes())
    return digest.hexdigest()


def shipped_predictions(name: str, images: np.ndarray, labels: np.ndarray) -> Predictions | None:
    """The shipped network's :class:`Predictions` on exactly these test images, read from its
    ``{name}.predictions.npz`` (no TensorFlow), or None when they are other images."""
    if not available(name) or not predictions_path(name).is_file():
        return None
    with np.load(predictions_path(name), allow_pickle=False) as stored:
        if str(stored["digest"]) != test_set_digest(images, labels):
            return None
        probabilities = stored["probabilities"].astype(np.float32)
    return Predictions(probabilities, np.asarray(labels, dtype=np.uint8))
