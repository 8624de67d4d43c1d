"""Datasets written once to this machine's disk: the ``.npz`` a TensorFlow worker reads, and the
server's training images read from that same file as pages need them.

A Fashion-MNIST training split is 47 MiB of uint8 images, yet the pages show 36 at a time and
scan all of them only to count pixels and average each class (once per dataset, cached). So the
server keeps the training images in the worker's ``.npz`` (uncompressed: numpy.savez) and maps
them from it read-only; a scan goes a block at a time and lets each block's pages go, so the
images are read from the system's file cache instead of held in the server's memory. Labels and
test images stay in memory (the test set is scored, hashed and shown whole).
"""

from __future__ import annotations

import hashlib
import mmap
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from .datasets import CLASS_NAMES, KEYS, Dataset

SCAN_ROWS = 1024  # images per block when a page scans a whole split (~0.8 MB of uint8)
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # a zip member's local header: signature, name and extra lengths


def write_once(data: Dataset, folder: Path) -> Path:
    """``data``'s four arrays as an uncompressed ``.npz`` in ``folder``, named by a hash of their
    shapes and bytes: written the first time, found by its name after that."""
    digest = hashlib.sha256()
    for key in KEYS:
        array = getattr(data, key)
        digest.update(repr(array.shape).encode())
        digest.update(np.ascontiguousarray(array))  # hashed in place: no copy of 50 MB of images
    path = Path(folder) / f"{digest.hexdigest()}.npz"
    if not path.exists():
        partial = path.with_name(f"{path.stem}.part.npz")
        np.savez(partial, **{key: getattr(data, key) for key in KEYS})
        partial.replace(path)
    return path


def kept_on_disk(data: Dataset, folder: Path) -> Dataset:
    """``data`` with its training images mapped from :func:`write_once`'s file instead of held
    in memory, and ``file`` naming that file (a worker reads it as it is). A dataset already
    on disk is returned as it is."""
    if data.file:
        return data
    path = write_once(data, folder)
    return replace(data, x_train=mapped_member(path, "x_train"), file=str(path))


def mapped_member(path: Path, key: str) -> np.ndarray:
    """The array ``key`` of the uncompressed ``.npz`` at ``path``, mapped read-only from the file
    (a plain ndarray whose pages are read as they are touched). Raises ValueError for a member
    that is compressed or not a ``.npy``."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(f"{key}.npy")
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{key} is compressed in {path}: only an uncompressed .npz can be mapped.")
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        signature, name_len, extra_len = _LOCAL_HEADER.unpack(f.read(_LOCAL_HEADER.size))
        if signature != b"PK\x03\x04":
            raise ValueError(f"{path} is not a zip file where its directory says.")
        f.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
        version = np.lib.format.read_magic(f)
        read_header = (
            np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(f)
        offset = f.tell()
    order = "F" if fortran else "C"
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order=order).view(np.ndarray)


def read_kept(name: str, path: str, source: str) -> Dataset:
    """The dataset :func:`write_once` wrote at ``path``, as dataset ``name`` from ``source``, its
    training images mapped from the file: how a worker reads what the server sends, so that the
    only copy it holds of them is the one TensorFlow makes (the server checked the arrays)."""
    with np.load(path) as npz:
        y_train, x_test, y_test = (npz[key] for key in ("y_train", "x_test", "y_test"))
    x_train = mapped_member(Path(path), "x_train")
    return Dataset(name, x_train, y_train, x_test, y_test, CLASS_NAMES[name], source, file=str(path))


def image_blocks(images: np.ndarray, rows: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, images[start:start + rows])`` for each block of a whole split (``rows``: default
    ``SCAN_ROWS``). Images mapped from a file have their pages let go after each block, so a
    scan leaves them on disk."""
    rows = rows or SCAN_ROWS
    for start in range(0, len(images), rows):
        yield start, images[start : start + rows]
        release_pages(images)


def release_pages(array: np.ndarray) -> None:
    """Let go of the resident pages of an array mapped from a file (clean pages: read again from
    the system's file cache when touched); nothing for an array in memory, or without madvise."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    if base is not None and hasattr(mmap, "MADV_DONTNEED"):
        base.madvise(mmap.MADV_DONTNEED)
