"""One copy per process of each uploaded dataset, however many sessions upload it.

A class uploads the same file many times: twenty students with one Fashion-MNIST ``.npz``
would otherwise hold twenty copies of its 53 MiB. :class:`UploadCache` keys each upload by the
SHA-256 of its bytes and parses a given file once; every session gets a :class:`~cnn_core.datasets.Dataset`
sharing the same uint8 arrays (under the dataset name that session chose).

The cache holds only weak references: the sessions that use an upload keep it alive, and it is
released when the last of them lets go (back to the built-in data, or the session ends). A cap
on the uploads alive at once (count and bytes) keeps many *different* files from filling the
server; parsing happens one file at a time, so at most one file's arrays are being unpacked.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import datasets

# Uploads alive at once in one server process (held by at least one session). With the app's
# ~1 GB budget (TensorFlow and Keras ~650 MiB, the built-in data ~60 MiB), 192 MiB holds one
# upload of the largest size accepted (datasets.MAX_UNPACKED_BYTES) or three Fashion-MNIST files.
MAX_SHARED_UPLOADS = 8
MAX_SHARED_UPLOAD_BYTES = 192 * 2**20


@dataclass(frozen=True)
class _Entry:
    arrays: tuple[weakref.ref, ...]  # x_train, y_train, x_test, y_test
    nbytes: int
    file: str  # the Dataset's file: where its training images are read from, or ""

    def alive(self) -> tuple[np.ndarray, ...] | None:
        arrays = tuple(ref() for ref in self.arrays)
        return None if any(a is None for a in arrays) else arrays


class UploadCache:
    """Uploaded ``.npz`` files, parsed once per distinct content and shared while in use.

    ``load`` is :func:`datasets.load_dataset` (a test may count or replace it); ``keep`` turns
    each parsed dataset into the one sessions share (the server's keeps its training images on
    disk: :meth:`cnn_core.client.Workers.keep_on_disk`). Thread-safe: every Streamlit session
    calls :meth:`get` from its own script thread.
    """

    def __init__(
        self,
        max_uploads: int = MAX_SHARED_UPLOADS,
        max_bytes: int = MAX_SHARED_UPLOAD_BYTES,
        load: Callable[[str, bytes], datasets.Dataset] = datasets.load_dataset,
        keep: Callable[[datasets.Dataset], datasets.Dataset] = lambda dataset: dataset,
    ) -> None:
        self.max_uploads = max_uploads
        self.max_bytes = max_bytes
        self._load, self._keep = load, keep
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()  # also makes parses one at a time: bounded transient memory
        self.parses = 0  # files parsed so far (each distinct upload once while it is alive)

    def get(self, data: bytes, name: str) -> datasets.Dataset:
        """The dataset in ``data`` (an ``.npz``'s bytes) labelled as ``name``'s classes.

        Raises ``ValueError`` with a sentence for a bad file (see :func:`datasets.read_npz`) or
        when the uploads already held leave no room for this one.
        """
        if name not in datasets.DATASET_NAMES:
            raise ValueError(f"Unknown dataset {name!r}: choose one of {', '.join(datasets.DATASET_NAMES)}.")
        key = hashlib.sha256(data).hexdigest()
        with self._lock:
            entry = self._entries.get(key)
            arrays = entry.alive() if entry is not None else None
            if arrays is None:
                return self._parse(key, data, name)
        names = datasets.CLASS_NAMES[name]
        return datasets.Dataset(name, *arrays, class_names=names, source="file", file=entry.file)

    def held(self) -> tuple[int, int]:
        """(uploads alive, their bytes): what the sessions hold through this cache now."""
        with self._lock:
            self._forget_released()
            return len(self._entries), sum(e.nbytes for e in self._entries.values())

    def _parse(self, key: str, data: bytes, name: str) -> datasets.Dataset:
        self._forget_released()
        needed = datasets.check_npz(data)  # refuses a bad or oversized file from its headers
        count, held = len(self._entries), sum(e.nbytes for e in self._entries.values())
        if count >= self.max_uploads or held + needed > self.max_bytes:
            raise ValueError(
                f"This server already holds {count} uploaded dataset{'s' * (count != 1)} for other "
                f"sessions ({held / 2**20:,.0f} MiB of the {self.max_bytes / 2**20:,.0f} MiB it keeps for "
                f"uploads), and this file needs {needed / 2**20:,.0f} MiB. Use the built-in dataset for "
                f"now, or try again when others have gone back to it."
            )
        dataset = self._keep(self._load(name, data))
        self.parses += 1
        arrays = (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test)
        self._entries[key] = _Entry(
            tuple(weakref.ref(a) for a in arrays), sum(a.nbytes for a in arrays), dataset.file
        )
        return dataset

    def _forget_released(self) -> None:
        for key in [k for k, e in self._entries.items() if e.alive() is None]:
            del self._entries[key]
