"""Keras models from files: a user's upload, a finished run, the shipped networks.

Every model is loaded in Keras safe mode (no Lambda layers or other Python code in the file, so
an uploaded file cannot run code here), without its optimizer, and checked to take (28, 28, 1)
images and give 10 scores (:func:`cnn_core.evaluation.check_model`); a file that does not fit
is refused with a sentence that says what to fix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .. import pretrained
from ..evaluation import Predictions, check_model, check_model_file, explain_load_error, predict


def load_model(path: str | os.PathLike) -> Any:
    """The ``.keras`` model at ``path``, loaded safely and checked; ``ValueError`` with a sentence."""
    check_model_file(Path(path).read_bytes())
    import keras

    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises ValueError, TypeError, KeyError, zip errors ...
        raise ValueError(explain_load_error(exc, str(path))) from None
    check_model(model)
    return model


def load_pretrained(name: str) -> Any:
    """The network shipped for dataset ``name``; ``ValueError`` when none is shipped."""
    if not pretrained.available(name):
        raise ValueError(f"No pretrained network is shipped for the dataset {name!r}.")
    return load_model(pretrained.model_path(name))


def write_predictions(name: str, images: np.ndarray, labels: np.ndarray) -> Predictions:
    """Run the shipped network over these test images and store its answers beside it."""
    preds = predict(load_pretrained(name), images, labels)
    np.savez_compressed(
        pretrained.predictions_path(name),
        digest=np.str_(pretrained.test_set_digest(images, labels)),
        probabilities=preds.probabilities,
    )
    return preds
