"""Load MNIST and Fashion-MNIST, and turn them into what a network eats.

Images are held as ``uint8`` arrays of shape (N, 28, 28), exactly as ``keras.datasets.*.load_data()``
returns them; scaled to [0, 1] float32 in :func:`preprocess` or ``tf.data``, never in a cached copy.

Sources: ``source="auto"`` tries the Keras download (the real 60,000 / 10,000 split, cached by Keras
after the first time), then the bundled sample in ``cnn_core/sample_data`` (offline, and in tests);
a path or a file's bytes gives a user's ``.npz`` in the Keras layout.
Nothing here imports TensorFlow: the Keras download is read from Keras's cache with numpy; filling
that cache (``keras.datasets``) and the ``tf.data`` pipeline are the worker's (:mod:`cnn_core.worker.data`).
"""

from __future__ import annotations

import gzip
import io
import math
import os
import socket
import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Union

import numpy as np

IMAGE_SIZE = 28
NUM_CLASSES = 10
DATASET_NAMES = ("mnist", "fashion_mnist")
DATASET_TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(NUM_CLASSES)),
    "fashion_mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
}
SAMPLE_DIR = Path(__file__).parent / "sample_data"
KEYS = ("x_train", "y_train", "x_test", "y_test")

# Where Keras downloads from, and how long we wait to learn whether it can be reached.
DOWNLOAD_HOST = ("storage.googleapis.com", 443)
PROBE_SECONDS = 3.0
# Set to 1 to never try the network (tests, air-gapped classrooms).
OFFLINE_ENV = "CNN_EXPLORER_OFFLINE"

NpzSource = Union[str, os.PathLike, bytes]
Downloader = Callable[[str], None]  # fills Keras's cache with a dataset's download (needs Keras)

# What a user's .npz may hold, checked from its array headers before anything is unpacked.
# Sized for a class on one 1-3 GB container whose server runs in about 1 GB: the real
# Fashion-MNIST (60,000 + 10,000 uint8 images, 53 MiB unpacked) fits with room to spare, and
# the largest file accepted (two full uint8 splits, 150 MiB) costs at most about one sixth of
# that budget while it is read.
MAX_IMAGES_PER_SPLIT = 100_000
MAX_UNPACKED_BYTES = 160 * 2**20  # the four arrays, as their headers say, before conversion to uint8
MAX_NPZ_FILE_BYTES = MAX_UNPACKED_BYTES + 2**20  # an uncompressed .npz is its arrays plus small headers
MAX_ZIP_DIRECTORY_BYTES = 64 * 2**10  # numpy.savez's four entries take about 400 bytes


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test images with their labels, and where they came from.

    ``x_*`` are uint8 arrays of shape (N, 28, 28) with 0 = background; ``y_*`` are uint8 (N,)
    labels in 0-9. ``source`` is ``"keras"``, ``"bundled"`` or ``"file"``; ``note`` says why the
    loader fell back to the bundled sample; ``file``, an ``.npz`` of these arrays that ``x_train``
    is mapped from (:mod:`cnn_core.dataset_files`); each may be empty.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str
    note: str = ""
    file: str = ""

    @property
    def title(self) -> str:
        return DATASET_TITLES.get(self.name, self.name)

    @property
    def source_label(self) -> str:
        """A short badge text, e.g. "bundled offline sample · 6,000 train / 1,000 test"."""
        kind = {
            "keras": "full Keras download",
            "bundled": "bundled offline sample",
            "file": "your .npz file",
        }[self.source]
        return f"{kind} · {len(self.y_train):,} train / {len(self.y_test):,} test"


def load_dataset(name: str, source: str | NpzSource = "auto", download: Downloader | None = None) -> Dataset:
    """Load ``"mnist"`` or ``"fashion_mnist"``.

    ``source`` is ``"auto"`` (Keras download, else the bundled sample), ``"keras"``,
    ``"bundled"``, or a user's ``.npz`` given as a path or as the file's bytes. The Keras
    download is read from Keras's cache; ``download(name)`` fills that cache when it is empty
    (it needs Keras: the worker's, or the command line's own). Raises ``ValueError`` with a
    readable sentence for an unknown name or a bad file.
    """
    if name not in DATASET_NAMES:
        raise ValueError(f"Unknown dataset {name!r}: choose one of {', '.join(DATASET_NAMES)}.")
    if isinstance(source, (bytes, bytearray, os.PathLike)) or (
        isinstance(source, str) and source.endswith(".npz")
    ):
        arrays = read_npz(source)
        return Dataset(name, *arrays, class_names=CLASS_NAMES[name], source="file")
    if source == "bundled":
        return _bundled(name)
    if source == "keras":
        return Dataset(name, *keras_arrays(name, download), class_names=CLASS_NAMES[name], source="keras")
    if source != "auto":
        raise ValueError(
            f"Unknown data source {source!r}: use 'auto', 'keras', 'bundled' or a path to a .npz file."
        )
    reason = keras_unavailable_reason(name)
    if reason is None:
        try:
            return load_dataset(name, "keras", download)
        except Exception as exc:  # any download or cache failure: fall back, and say why
            reason = f"the Keras download failed ({first_line(exc)})"
    return _bundled(name, note=f"Using the bundled offline sample: {reason}.")


def keras_unavailable_reason(name: str) -> str | None:
    """Why the Keras download cannot be used now, or None: a cached download always works; else one
    TCP connection to its host is tried in a daemon thread for about ``PROBE_SECONDS``, so a
    firewall that drops packets cannot make the app hang."""
    if keras_cached(name):
        return None
    if os.environ.get(OFFLINE_ENV, "") not in ("", "0"):
        return f"{OFFLINE_ENV} is set"
    result: list[str | None] = []

    def probe() -> None:
        try:
            socket.create_connection(DOWNLOAD_HOST, timeout=PROBE_SECONDS).close()
            result.append(None)
        except OSError as exc:
            result.append(f"no internet connection ({first_line(exc)})")

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(PROBE_SECONDS + 0.5)
    return result[0] if result else "no internet connection (the download host did not answer)"


def keras_cache_path(name: str) -> Path:
    """Where ``keras.datasets.<name>.load_data()`` keeps its download (a file, or a folder)."""
    base = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
    return base / ("mnist.npz" if name == "mnist" else "fashion-mnist")


# Fashion-MNIST's download: four gzipped IDX files (images after a 16-byte header, labels after 8).
FASHION_FILES = {
    "x_train": ("train-images-idx3-ubyte.gz", 16),
    "y_train": ("train-labels-idx1-ubyte.gz", 8),
    "x_test": ("t10k-images-idx3-ubyte.gz", 16),
    "y_test": ("t10k-labels-idx1-ubyte.gz", 8),
}


def keras_cached(name: str) -> bool:
    """Whether Keras's cache holds the whole download of ``name``."""
    path = keras_cache_path(name)
    if name == "mnist":
        return path.is_file()
    return all((path / file).is_file() for file, _ in FASHION_FILES.values())


def keras_arrays(name: str, download: Downloader | None = None) -> tuple[np.ndarray, ...]:
    """The Keras download's four arrays, read from Keras's cache with numpy alone (the files
    ``keras.datasets.<name>.load_data()`` reads); ``download(name)`` fills the cache first when it
    is empty. Raises ``ValueError`` when it is empty and nothing can download."""
    if not keras_cached(name):
        if download is None:
            raise ValueError(f"The Keras download of {DATASET_TITLES[name]} is not on this machine.")
        download(name)
    path = keras_cache_path(name)
    if name == "mnist":
        with np.load(path, allow_pickle=False) as files:
            arrays = {key: files[key] for key in KEYS}
    else:
        arrays = {key: idx_array(path / file, header) for key, (file, header) in FASHION_FILES.items()}
    return validate_arrays(arrays)


def idx_array(path: Path, header: int) -> np.ndarray:
    """A gzipped IDX file as uint8 of its shape, unpacked straight into the array (no bytes copy)."""
    with gzip.open(path, "rb") as f:
        out = np.empty(struct.unpack(f">{header // 4 - 1}I", f.read(header)[4:]), np.uint8)
        if f.readinto(memoryview(out).cast("B")) != out.size:
            raise ValueError(f"{path.name} ends before its {out.size:,} bytes: download it again.")
    return out


def _bundled(name: str, note: str = "") -> Dataset:
    arrays = read_npz(SAMPLE_DIR / f"{name}_sample.npz")
    return Dataset(name, *arrays, class_names=CLASS_NAMES[name], source="bundled", note=note)


def read_npz(source: NpzSource) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read and check a ``.npz`` in the Keras layout; return (x_train, y_train, x_test, y_test).

    Every array's ``.npy`` header is checked against the upload caps (:func:`check_npz`)
    before any array is allocated; nothing is ever unpickled. Every problem is a
    ``ValueError`` that says what to fix.
    """
    data = _npz_bytes(source)
    check_npz(data)
    arrays = {}
    with _open_zip(data) as archive:
        for key in KEYS:
            try:
                with archive.open(_member(archive, key)) as stream:
                    arrays[key] = np.lib.format.read_array(stream, allow_pickle=False)
            except _DAMAGED as exc:
                raise _damaged(exc) from None
            except ValueError as exc:  # the data ends before the header's shape is filled
                if "EOF" in str(exc):
                    raise _damaged(exc) from None
                raise ValueError(f"This .npz file cannot be read ({first_line(exc)}).") from None
    return validate_arrays(arrays)


def check_npz(source: NpzSource) -> int:
    """Refuse a ``.npz`` that is not a Keras-layout file of bearable size; return its unpacked bytes.

    Reads only the zip directory and each array's ``.npy`` header (a few hundred bytes), never
    the zip directory's sizes alone: the header's shape and dtype say what reading the array
    would allocate. Refused: more than ``MAX_IMAGES_PER_SPLIT`` images in a split, more than
    ``MAX_UNPACKED_BYTES`` for the four arrays together, pickled objects, missing arrays.
    """
    data = _npz_bytes(source)
    total = 0
    with _open_zip(data) as archive:
        present = sorted({n[:-4] if n.endswith(".npy") else n for n in archive.namelist()})
        missing = [k for k in KEYS if _member(archive, k) is None]
        if missing:
            raise ValueError(
                f"The file has no {', '.join(missing)}. A dataset file needs the four arrays "
                f"{', '.join(KEYS)}, as keras.datasets.mnist.load_data() returns them "
                f"(it has: {', '.join(present) or 'nothing'})."
            )
        for key in KEYS:
            shape, dtype = _npy_header(archive, key)
            if dtype.hasobject:
                raise ValueError(
                    "The file holds Python objects rather than plain number arrays; for safety they "
                    "are never unpickled. Save plain uint8 image and integer label arrays with "
                    "numpy.savez."
                )
            count = len(shape) and shape[0]
            if count > MAX_IMAGES_PER_SPLIT:
                what = "images" if key.startswith("x") else "labels"
                raise ValueError(
                    f"{key} holds {count:,} {what}; this server takes at most "
                    f"{MAX_IMAGES_PER_SPLIT:,} per split (Fashion-MNIST has 60,000 + 10,000). "
                    f"Save a part of your data, e.g. x_train[:{MAX_IMAGES_PER_SPLIT}]."
                )
            total += math.prod(shape) * dtype.itemsize
    if total > MAX_UNPACKED_BYTES:
        raise ValueError(
            f"The four arrays would take {total / 2**20:,.0f} MiB once unpacked; this server takes "
            f"at most {MAX_UNPACKED_BYTES / 2**20:,.0f} MiB (Fashion-MNIST's 70,000 uint8 images take "
            f"53 MiB). Save images as uint8 (0-255) and fewer of them."
        )
    return total


# Errors of a zip archive or a compressed stream that ends early, was damaged, is encrypted
# (RuntimeError) or uses a compression numpy.savez never writes (NotImplementedError).
_DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    KeyError,
    zlib.error,
    struct.error,
    RuntimeError,
    NotImplementedError,
)


def _damaged(exc: BaseException) -> ValueError:
    return ValueError(
        "This is not a complete .npz file: it may be truncated or damaged "
        f"({first_line(exc)}). Save it again with numpy.savez."
    )


def _npz_bytes(source: NpzSource) -> bytes:
    """The file's bytes, refusing a file larger than any acceptable one before reading it."""
    in_memory = isinstance(source, (bytes, bytearray, memoryview))
    if in_memory:
        size = len(source)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ValueError(f"The file {path} cannot be read ({first_line(exc)}).") from None
    if size > MAX_NPZ_FILE_BYTES:
        raise ValueError(
            f"The file is {size / 2**20:,.0f} MiB; this server takes .npz files up to "
            f"{MAX_NPZ_FILE_BYTES / 2**20:,.0f} MiB (Fashion-MNIST's 70,000 images are 30 MiB compressed)."
        )
    if size == 0:
        raise ValueError(
            "This file is empty (0 bytes): the upload or the save stopped before it began. Save "
            "your arrays with numpy.savez('data.npz', x_train=..., y_train=..., x_test=..., y_test=...)."
        )
    data = bytes(source) if in_memory else path.read_bytes()
    if not data.startswith(b"PK"):
        raise ValueError(
            "This is not a .npz file (a zip archive of numpy arrays). Save your arrays with "
            "numpy.savez('data.npz', x_train=..., y_train=..., x_test=..., y_test=...)."
        )
    return data


def _open_zip(data: bytes) -> zipfile.ZipFile:
    """The archive, once its central directory is known to be small (zipfile keeps an object
    per entry, so millions of tiny entries would be a bomb of their own)."""
    directory = _zip_directory_bytes(data)
    if directory > MAX_ZIP_DIRECTORY_BYTES:
        raise ValueError(
            f"This .npz file's table of contents is {directory:,} bytes long: a dataset file lists "
            f"four arrays in a few hundred bytes. Save your arrays with numpy.savez."
        )
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except _DAMAGED as exc:
        raise _damaged(exc) from None


def _zip_directory_bytes(data: bytes) -> int:
    """The central directory's size as the end record (or its zip64 record) states it, as
    ``zipfile`` will read it; 0 when there is no end record (``zipfile`` then refuses the file)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65_535), len(data) - 18)
    if end < 0:
        return 0
    size = struct.unpack_from("<I", data, end + 12)[0]
    locator = end - 20
    if locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":
        # The zip64 record sits just before its locator (Python 3.11) or where the locator points.
        stated = struct.unpack_from("<Q", data, locator + 8)[0]
        for record in {locator - 56, stated}:
            if 0 <= record <= len(data) - 56 and data[record : record + 4] == b"PK\x06\x06":
                size = max(size, struct.unpack_from("<Q", data, record + 40)[0])
    return size


def _member(archive: zipfile.ZipFile, key: str) -> str | None:
    """The archive member holding ``key`` (numpy.savez names it ``key.npy``), or None."""
    names = set(archive.namelist())
    return next((n for n in (f"{key}.npy", key) if n in names), None)


def _npy_header(archive: zipfile.ZipFile, key: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from the ``.npy`` header of ``key``'s member; reads a few hundred bytes."""
    fmt = np.lib.format
    try:
        with archive.open(_member(archive, key)) as stream:
            version = fmt.read_magic(stream)
            if version == (1, 0):
                shape, _, dtype = fmt.read_array_header_1_0(stream)
            elif version == (2, 0):
                shape, _, dtype = fmt.read_array_header_2_0(stream)
            else:
                raise ValueError(f"{key} is in .npy format {version[0]}.{version[1]}, which is not read here")
    except _DAMAGED as exc:
        raise _damaged(exc) from None
    except ValueError as exc:  # not a .npy member, or a header numpy cannot parse
        raise ValueError(
            f"This .npz file cannot be read ({first_line(exc)}). Save plain arrays with numpy.savez."
        ) from None
    return tuple(int(n) for n in shape), np.dtype(dtype)


def validate_arrays(arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Check shapes, dtypes, value ranges and lengths; return uint8 arrays in KEYS order."""
    out = []
    for split in ("train", "test"):
        x, y = np.asarray(arrays[f"x_{split}"]), np.asarray(arrays[f"y_{split}"])
        if x.ndim == 4 and x.shape[-1] == 1:
            x = x[..., 0]  # (N, 28, 28, 1) is the same images with the channel axis added
        if x.ndim != 3 or x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                f"x_{split} has shape {x.shape}; images must be 28×28 grey pictures, "
                f"an array of shape (N, 28, 28)."
            )
        if len(x) == 0:
            raise ValueError(f"x_{split} holds no images.")
        if not np.issubdtype(x.dtype, np.integer):
            raise ValueError(
                f"x_{split} has dtype {x.dtype}; images must be whole numbers 0-255 (uint8), as "
                f"Keras gives them. If yours are 0-1 floats, save (x * 255).astype('uint8')."
            )
        if x.min() < 0 or x.max() > 255:
            raise ValueError(f"x_{split} has values from {x.min()} to {x.max()}; pixels must be 0-255.")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(
                f"y_{split} has shape {y.shape} and dtype {y.dtype}; labels must be one whole "
                f"number 0-{NUM_CLASSES - 1} per image (not one-hot)."
            )
        if len(y) != len(x):
            raise ValueError(
                f"x_{split} has {len(x):,} images but y_{split} has {len(y):,} labels; "
                f"they must match one to one."
            )
        if y.min() < 0 or y.max() >= NUM_CLASSES:
            raise ValueError(
                f"y_{split} has labels from {y.min()} to {y.max()}; labels must be 0-{NUM_CLASSES - 1}."
            )
        out += [x.astype(np.uint8, copy=False), y.astype(np.uint8, copy=False)]
    return tuple(out)


def preprocess(images: np.ndarray) -> np.ndarray:
    """The tutorial's preprocessing: (N, 28, 28) uint8 0-255 -> (N, 28, 28, 1) float32 0-1.

    MNIST is one grey channel (not RGB, as the tutorial says), so the channel axis has length 1.
    """
    return (np.expand_dims(images, axis=-1) / 255.0).astype(np.float32)


def first_line(error: BaseException | str) -> str:
    """An exception's (or a message's) first line, at most 200 characters, for a sentence on the page."""
    lines = str(error).strip().splitlines()
    fallback = type(error).__name__ if isinstance(error, BaseException) else "no details"
    return lines[0][:200] if lines else fallback
