"""Data on TensorFlow's side: the one ``tf.data`` pipeline every run trains on, a run's training,
validation and test pipelines, and the Keras download of MNIST and Fashion-MNIST (into Keras's
cache, which the server then reads itself).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

from ..dataset_files import release_pages
from ..datasets import Dataset
from ..training_config import TrainingConfig


def make_tf_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int = 256,
    shuffle: bool = True,
    seed: int | None = None,
    indices: np.ndarray | None = None,
) -> Any:
    """A ``tf.data`` pipeline (the tutorial's exercise 1) over ``images[indices]`` (all when None):
    shuffle, batch, scale, prefetch.

    Takes the uint8 (N, 28, 28) arrays as they are held and yields ``(float32 (B, 28, 28, 1)
    in [0, 1], int64 (B,))`` batches. It shuffles indices, not images, and gathers each batch
    from the one TensorFlow copy :func:`shared_tensors` keeps, so every pipeline over the same
    arrays (training, validation, other runs) shares that copy and scaling adds none.
    """
    import tensorflow as tf

    x, y = shared_tensors(images, labels)
    if indices is None:
        indices = np.arange(len(labels), dtype=np.int32)
    ds = tf.data.Dataset.from_tensor_slices(indices)
    if shuffle:
        ds = ds.shuffle(len(indices), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)

    def gather(idx: Any) -> tuple[Any, Any]:
        batch = tf.cast(tf.expand_dims(tf.gather(x, idx), -1), tf.float32) / 255.0
        return batch, tf.cast(tf.gather(y, idx), tf.int64)

    return ds.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def run_datasets(dataset: Dataset, config: TrainingConfig, n_val: int, replicas: int) -> tuple[Any, Any, Any]:
    """A run's (training, validation, test) pipelines over ``dataset``: ``n_val`` training
    images held out for validation (None when 0), a flip of half of each training batch when
    ``config.augment`` asks for it. Evaluation batches split evenly over ``replicas``."""
    import tensorflow as tf

    batch = config.batch_size
    # Evaluation reports per-image means, whatever its batch: one that splits evenly over the
    # replicas (Keras sums an evaluation's first batch across them before it starts).
    eval_batch = -(-batch // replicas) * replicas
    train_idx, val_idx = split_indices(len(dataset.y_train), n_val, config.seed)
    # One copy of the images, shared by training and validation, and by every run on them.
    x, y = dataset.x_train, dataset.y_train
    train_ds = make_tf_dataset(x, y, batch, shuffle=True, seed=config.seed, indices=train_idx)
    val_ds = make_tf_dataset(x, y, eval_batch, shuffle=False, indices=val_idx) if len(val_idx) else None
    if config.augment == "flip":
        train_ds = train_ds.map(flip_half, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    test_ds = make_tf_dataset(dataset.x_test, dataset.y_test, eval_batch, shuffle=False)
    return train_ds, val_ds, test_ds


def split_indices(n: int, n_val: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) image indices: a seeded random hold-out of ``n_val`` of ``n``
    (random, because the files are sorted by class). int32 arrays, each sorted."""
    order = np.random.default_rng(seed).permutation(n).astype(np.int32)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def flip_half(x: Any, y: Any) -> tuple[Any, Any]:
    """Mirror a random half of a batch (B, 28, 28, 1) left-right; labels are unchanged."""
    import tensorflow as tf

    flip = tf.random.uniform([tf.shape(x)[0], 1, 1, 1]) < 0.5
    return tf.where(flip, tf.reverse(x, axis=[2]), x), y


def shared_tensors(images: np.ndarray, labels: np.ndarray) -> tuple[Any, Any]:
    """TensorFlow copies of ``images`` and ``labels``, one per process while a pipeline uses them.

    TensorFlow's memory pool never shrinks, so runs of a class on one dataset must not each copy
    it. Held weakly: the pipelines keep the copies alive, and they go with the last pipeline.
    """
    import tensorflow as tf

    with _tensor_lock:
        for key in [k for k, v in _tensors.items() if v[0]() is None or v[1]() is None]:
            del _tensors[key]
        hit = _tensors.get((id(images), id(labels)))
        if hit is not None and hit[0]() is images and hit[1]() is labels:
            x, y = hit[2](), hit[3]()
            if x is not None and y is not None:
                return x, y
        x, y = tf.constant(images), tf.constant(labels)
        release_pages(images)  # images mapped from the server's file: TensorFlow's copy is the one held
        _tensors[(id(images), id(labels))] = (
            weakref.ref(images),
            weakref.ref(labels),
            weakref.ref(x),
            weakref.ref(y),
        )
        return x, y


def keras_download(name: str) -> None:
    """Fill Keras's cache with the download of ``name`` ("mnist" or "fashion_mnist"), as
    ``keras.datasets.<name>.load_data()`` does the first time; the arrays are read from there by
    :func:`cnn_core.datasets.keras_arrays`."""
    import keras

    getattr(keras.datasets, name).load_data()


# TensorFlow copies of datasets' arrays, by (id of images, id of labels): see shared_tensors.
_tensors: dict[tuple[int, int], tuple[weakref.ref, ...]] = {}
_tensor_lock = threading.Lock()
