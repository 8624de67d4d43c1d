"""What the unit tests share: a small seeded dataset and quick training settings; the
tutorial's (untrained) network and one test digit for the tests that look inside a network."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np
import pytest

from cnn_core.datasets import load_dataset
from cnn_core.training_config import TrainingConfig
from cnn_core.worker import models

BATCH = 32
FAST = TrainingConfig(epochs=2, batch_size=BATCH, learning_rate=1e-3, validation_fraction=0.1)


@pytest.fixture(scope="module")
def small():
    """300 training and 100 test images of Fashion-MNIST, all classes (a seeded sample)."""
    data = load_dataset("fashion_mnist", "bundled")
    rng = np.random.default_rng(1)
    train = np.sort(rng.permutation(len(data.y_train))[:300])
    test = np.sort(rng.permutation(len(data.y_test))[:100])
    return replace(
        data,
        x_train=data.x_train[train],
        y_train=data.y_train[train],
        x_test=data.x_test[test],
        y_test=data.y_test[test],
    )


def wait_until(condition, timeout=60.0, every=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    raise AssertionError("condition not reached in time")


def batches_done(trainer):
    return len(trainer.snapshot().batch_loss)


@pytest.fixture(scope="module")
def tutorial():
    """The tutorial's network, untrained (built once per test module)."""
    return models.build_model()


@pytest.fixture(scope="module")
def digit() -> np.ndarray:
    """The bundled MNIST sample's first test digit, uint8 (28, 28)."""
    return load_dataset("mnist", "bundled").x_test[0]


def cpu_only_env() -> dict[str, str]:
    """The environment for a fresh interpreter that must train on the CPU even on a GPU build
    (the logical-CPU replicas of the multi-device tests): every GPU hidden from TensorFlow."""
    return {**os.environ, "CUDA_VISIBLE_DEVICES": "-1"}
