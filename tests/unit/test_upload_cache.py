"""Uploads shared by content: one parse and one copy however many sessions send the same file,
released when the last session lets go, and a cap on how many different ones are alive."""

from __future__ import annotations

import gc
import io
import threading
import tracemalloc

import numpy as np
import pytest

from cnn_core import datasets
from cnn_core.upload_cache import MAX_SHARED_UPLOAD_BYTES, UploadCache
from tests.conftest import npz_claiming


def npz_file(n_train: int = 30, n_test: int = 10, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=(np.arange(n_train) % 10).astype(np.uint8),
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=(np.arange(n_test) % 10).astype(np.uint8),
    )
    return buffer.getvalue()


def test_twenty_sessions_uploading_one_file_hold_one_copy_parsed_once():
    cache, raw = UploadCache(), npz_file()
    sessions = [cache.get(bytes(raw), "fashion_mnist") for _ in range(20)]  # each its own bytes object
    assert cache.parses == 1
    assert all(s.x_train is sessions[0].x_train and s.y_test is sessions[0].y_test for s in sessions)
    assert cache.held() == (1, 30 * 784 + 30 + 10 * 784 + 10)
    assert sessions[0].source == "file" and sessions[0].class_names[9] == "Ankle boot"


def test_each_session_gets_the_class_names_it_chose_on_the_same_arrays():
    cache, raw = UploadCache(), npz_file()
    digits, clothes = cache.get(raw, "mnist"), cache.get(raw, "fashion_mnist")
    assert digits.name == "mnist" and clothes.name == "fashion_mnist"
    assert digits.x_train is clothes.x_train and cache.parses == 1


def test_sessions_uploading_at_the_same_moment_parse_it_once():
    cache, raw = UploadCache(), npz_file(200, 50)
    results, start = [], threading.Barrier(8)

    def session():
        start.wait()
        results.append(cache.get(raw, "mnist"))

    threads = [threading.Thread(target=session) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.parses == 1 and len({id(r.x_train) for r in results}) == 1


def test_released_when_the_last_session_lets_go():
    cache, raw = UploadCache(), npz_file()
    first, second = cache.get(raw, "mnist"), cache.get(raw, "mnist")
    del first
    gc.collect()
    assert cache.held()[0] == 1  # the second session still uses it
    del second
    gc.collect()
    assert cache.held() == (0, 0)
    cache.get(raw, "mnist")  # a later upload of the same file is read again
    assert cache.parses == 2


def test_different_files_are_different_datasets():
    cache = UploadCache()
    a, b = cache.get(npz_file(seed=1), "mnist"), cache.get(npz_file(seed=2), "mnist")
    assert a.x_train is not b.x_train and not np.array_equal(a.x_train, b.x_train)
    assert cache.parses == 2 and cache.held()[0] == 2


def test_a_cap_on_different_uploads_alive_at_once_refuses_with_a_sentence():
    cache = UploadCache(max_uploads=2)
    held = [cache.get(npz_file(seed=s), "mnist") for s in (1, 2)]
    with pytest.raises(ValueError, match=r"already holds 2 uploaded datasets for other sessions"):
        cache.get(npz_file(seed=3), "mnist")
    assert cache.get(npz_file(seed=1), "mnist").x_train is held[0].x_train  # a shared one still comes
    del held
    gc.collect()
    cache.get(npz_file(seed=3), "mnist")  # room again once the others have gone


def test_the_byte_cap_counts_what_the_new_file_would_unpack_to():
    raw, other = npz_file(100, 10), npz_file(100, 10, seed=5)
    size = datasets.check_npz(raw)
    cache = UploadCache(max_bytes=size + 100)  # room for one such file, not two
    kept = cache.get(raw, "mnist")
    with pytest.raises(ValueError, match=r"this file needs 0 MiB"):
        cache.get(other, "mnist")
    # The refusal leaves the held upload as it was: still shared, not parsed again.
    assert cache.held() == (1, size)
    assert cache.get(raw, "mnist").x_train is kept.x_train and cache.parses == 1
    del kept
    gc.collect()
    assert cache.get(other, "mnist").x_train.shape == (100, 28, 28)  # fits once the first has gone


def test_the_default_byte_cap_holds_the_largest_file_one_upload_may_be():
    assert MAX_SHARED_UPLOAD_BYTES > datasets.MAX_UNPACKED_BYTES


def test_a_bad_file_is_refused_by_its_headers_and_nothing_is_held():
    cache = UploadCache()
    with pytest.raises(ValueError, match="2,000,000 images"):
        cache.get(npz_claiming(2_000_000), "mnist")
    with pytest.raises(ValueError, match="not a .npz file"):
        cache.get(b"hello", "mnist")
    assert cache.parses == 0 and cache.held() == (0, 0)


def test_reading_an_uploaded_file_copies_none_of_its_bytes():
    """Streamlit's UploadedFile shares the uploaded bytes (a BytesIO made from them): the upload
    box hands them to the cache with getvalue(), which returns that very object, and parsing
    allocates the arrays plus small read buffers, never a second copy of the file."""
    from streamlit.proto.Common_pb2 import FileURLs
    from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

    raw = npz_file(3_000, 500)  # 2.7 MB, incompressible: a copy of it would double the peak
    file = UploadedFile(UploadedFileRec("id", "mine.npz", "application/octet-stream", raw), FileURLs())
    tracemalloc.start()
    try:
        data = UploadCache().get(file.getvalue(), "mnist")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    arrays = data.x_train.nbytes + data.y_train.nbytes + data.x_test.nbytes + data.y_test.nbytes
    assert file.getvalue() is raw
    assert arrays <= peak < arrays + 2**20 < arrays + len(raw)
