"""Loading data: the bundled sample offline, the Keras download when it can be had, a user's .npz."""

import io
import struct
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from cnn_core import datasets
from cnn_core.datasets import check_npz, load_dataset, preprocess, read_npz
from cnn_core.worker.data import make_tf_dataset, shared_tensors
from tests.conftest import npy_header, npz_claiming


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` as an IDX file, the format of Fashion-MNIST's download: a magic number (uint8
    data, its number of dimensions), each dimension as a big-endian uint32, then the bytes."""
    return struct.pack(f">I{array.ndim}I", 0x0800 + array.ndim, *array.shape) + array.tobytes()


def good_arrays(n_train=20, n_test=10):
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


class TestBundledSample:
    @pytest.mark.parametrize("name", datasets.DATASET_NAMES)
    def test_holds_uint8_images_in_the_keras_layout(self, name):
        data = load_dataset(name, "bundled")
        assert data.source == "bundled"
        assert data.x_train.dtype == np.uint8 and data.x_train.shape[1:] == (28, 28)
        assert data.x_test.dtype == np.uint8 and data.x_test.shape[1:] == (28, 28)
        assert len(data.x_train) == len(data.y_train) >= 5000
        assert len(data.x_test) == len(data.y_test) >= 1000

    @pytest.mark.parametrize("name", datasets.DATASET_NAMES)
    def test_is_class_balanced(self, name):
        data = load_dataset(name, "bundled")
        assert np.bincount(data.y_train, minlength=10).min() == np.bincount(data.y_train).max()
        assert np.bincount(data.y_test, minlength=10).min() == np.bincount(data.y_test).max()

    def test_fits_the_size_budget(self):
        total = sum(p.stat().st_size for p in datasets.SAMPLE_DIR.glob("*.npz"))
        assert total <= 8 * 1024 * 1024

    def test_class_names(self):
        assert load_dataset("mnist", "bundled").class_names == tuple("0123456789")
        names = load_dataset("fashion_mnist", "bundled").class_names
        assert names[0] == "T-shirt/top" and names[9] == "Ankle boot" and len(names) == 10

    def test_badge_says_where_the_data_came_from(self):
        label = load_dataset("mnist", "bundled").source_label
        assert "bundled offline sample" in label and "6,000 train" in label


class TestAutomaticSource:
    def test_offline_falls_back_to_the_bundled_sample_and_says_why(self, monkeypatch, tmp_path):
        monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # nothing cached
        data = load_dataset("mnist")  # tests run with CNN_EXPLORER_OFFLINE=1
        assert data.source == "bundled"
        assert "bundled offline sample" in data.note and "CNN_EXPLORER_OFFLINE" in data.note

    def test_uses_the_keras_download_when_it_can_be_reached(self, monkeypatch):
        monkeypatch.setattr(datasets, "keras_unavailable_reason", lambda name: None)
        arrays = good_arrays()
        monkeypatch.setattr(
            datasets, "keras_arrays", lambda name, download=None: datasets.validate_arrays(arrays)
        )
        data = load_dataset("fashion_mnist")
        assert data.source == "keras" and data.note == ""
        assert "full Keras download" in data.source_label

    def test_a_failed_download_falls_back_with_the_reason(self, monkeypatch):
        monkeypatch.setattr(datasets, "keras_unavailable_reason", lambda name: None)

        def fail(name, download=None):
            raise OSError("URL fetch failure: Name or service not known")

        monkeypatch.setattr(datasets, "keras_arrays", fail)
        data = load_dataset("mnist")
        assert data.source == "bundled" and "URL fetch failure" in data.note

    def test_a_fashion_mnist_file_cut_short_is_refused_in_words(self, tmp_path):
        import gzip

        images = good_arrays()["x_train"]
        path = tmp_path / "train-images-idx3-ubyte.gz"
        path.write_bytes(gzip.compress(idx_bytes(images)[:-100]))
        with pytest.raises(ValueError, match="ends before its .* bytes: download it again"):
            datasets.idx_array(path, 16)
        path.write_bytes(gzip.compress(idx_bytes(images)))
        assert np.array_equal(datasets.idx_array(path, 16), images)

    def test_the_keras_download_is_read_from_keras_cache_without_tensorflow(self, monkeypatch, tmp_path):
        """The server reads what keras.datasets downloaded; only an empty cache calls for the
        download (the worker's, which has Keras)."""
        import gzip

        monkeypatch.setenv("KERAS_HOME", str(tmp_path))
        arrays = good_arrays()
        asked = []

        def download(name):  # writes the files keras.datasets would
            asked.append(name)
            if name == "mnist":
                np.savez(datasets.keras_cache_path(name), **arrays)
                return
            folder = datasets.keras_cache_path(name)
            folder.mkdir(parents=True)
            for key, (file, _) in datasets.FASHION_FILES.items():
                (folder / file).write_bytes(gzip.compress(idx_bytes(arrays[key])))

        (tmp_path / "datasets").mkdir()
        for name in ("mnist", "fashion_mnist"):
            assert not datasets.keras_cached(name)
            data = load_dataset(name, "keras", download=download)
            assert data.source == "keras" and (data.x_test == arrays["x_test"]).all()
            assert (data.y_train == arrays["y_train"]).all() and datasets.keras_cached(name)
            load_dataset(name, "keras", download=download)  # cached now: no second download
        assert asked == ["mnist", "fashion_mnist"]
        datasets.keras_cache_path("mnist").unlink()
        with pytest.raises(ValueError, match="not on this machine"):
            datasets.keras_arrays("mnist")  # an empty cache, and nothing to download with

    def test_a_silent_firewall_cannot_make_it_hang(self, monkeypatch, tmp_path):
        monkeypatch.setenv("KERAS_HOME", str(tmp_path))
        monkeypatch.delenv(datasets.OFFLINE_ENV)
        monkeypatch.setattr(datasets, "PROBE_SECONDS", 0.2)

        def silent_firewall(*args, **kwargs):
            time.sleep(5)  # packets dropped: no answer, no refusal
            raise OSError("timed out")

        monkeypatch.setattr(datasets.socket, "create_connection", silent_firewall)
        started = time.monotonic()
        reason = datasets.keras_unavailable_reason("mnist")
        assert "did not answer" in reason
        assert time.monotonic() - started < 10  # a hang guard, not a speed measurement

    def test_a_cached_download_needs_no_network(self, monkeypatch, tmp_path):
        monkeypatch.setenv("KERAS_HOME", str(tmp_path))
        (tmp_path / "datasets").mkdir()
        (tmp_path / "datasets" / "mnist.npz").write_bytes(b"")
        assert datasets.keras_unavailable_reason("mnist") is None

    def test_unknown_names_and_sources_are_refused(self):
        with pytest.raises(ValueError, match="Unknown dataset"):
            load_dataset("cifar10")
        with pytest.raises(ValueError, match="Unknown data source"):
            load_dataset("mnist", "ftp")


class TestUserFile:
    def test_a_good_file_loads_from_bytes_and_from_a_path(self, tmp_path):
        raw = npz_bytes(**good_arrays())
        from_bytes = load_dataset("mnist", raw)
        path = tmp_path / "mine.npz"
        path.write_bytes(raw)
        from_path = load_dataset("mnist", path)
        assert from_bytes.source == from_path.source == "file"
        np.testing.assert_array_equal(from_bytes.x_train, from_path.x_train)
        assert "your .npz file" in from_bytes.source_label

    def test_a_channel_axis_and_wider_integer_types_are_accepted(self):
        arrays = good_arrays()
        arrays["x_train"] = arrays["x_train"][..., None].astype(np.int64)
        arrays["y_test"] = arrays["y_test"].reshape(-1, 1).astype(np.int32)
        x_train, y_train, x_test, y_test = read_npz(npz_bytes(**arrays))
        assert x_train.shape == (20, 28, 28) and x_train.dtype == np.uint8
        assert y_test.shape == (10,) and y_test.dtype == np.uint8

    @pytest.mark.parametrize(
        "change, message",
        [
            (lambda a: a.update(x_train=np.zeros((5, 32, 32), np.uint8)), "must be 28×28"),
            (lambda a: a.update(x_train=a["x_train"] / 255.0), "whole numbers 0-255"),
            (lambda a: a.update(y_train=np.full(20, 10, np.uint8)), "labels must be 0-9"),
            (lambda a: a.update(y_test=np.zeros(3, np.uint8)), "must match one to one"),
            (lambda a: a.update(y_train=np.zeros((20, 10), np.uint8)), "not one-hot"),
            (
                lambda a: a.update(x_test=np.zeros((0, 28, 28), np.uint8), y_test=np.zeros(0, np.uint8)),
                "holds no images",
            ),
            (lambda a: a.update(x_train=np.full((20, 28, 28), 300, np.int32)), "pixels must be 0-255"),
            (lambda a: a.pop("y_test"), "has no y_test"),
        ],
        ids=["shape", "float", "label-range", "lengths", "one-hot", "empty", "pixel-range", "missing"],
    )
    def test_a_bad_file_is_refused_with_a_readable_sentence(self, change, message):
        arrays = good_arrays()
        change(arrays)
        with pytest.raises(ValueError, match=message):
            load_dataset("mnist", npz_bytes(**arrays))

    def test_pickled_objects_are_never_unpickled(self):
        arrays = good_arrays()
        arrays["y_train"] = np.array([{"evil": 1}] * 20, dtype=object)
        with pytest.raises(ValueError, match="never unpickled"):
            load_dataset("mnist", npz_bytes(**arrays))

    def test_a_truncated_file_is_refused(self):
        raw = npz_bytes(**good_arrays(200, 100))
        with pytest.raises(ValueError, match="truncated or damaged"):
            load_dataset("mnist", raw[: len(raw) // 2])

    def test_a_file_that_is_not_an_npz_is_refused(self):
        with pytest.raises(ValueError, match="not a .npz file"):
            load_dataset("mnist", b"\x89PNG\r\n\x1a\n not numbers")

    def test_an_empty_file_is_refused_with_a_sentence(self, tmp_path):
        empty = tmp_path / "empty.npz"
        empty.write_bytes(b"")
        for source in (b"", bytearray(), empty, str(empty)):
            with pytest.raises(ValueError, match=r"empty \(0 bytes\)"):
                load_dataset("mnist", source)
        with pytest.raises(ValueError, match=r"empty \(0 bytes\)"):
            read_npz(memoryview(b""))


def peak_traced_bytes(call) -> int:
    """The most memory Python and numpy held at once while ``call()`` ran (it may raise)."""
    tracemalloc.start()
    try:
        call()
    except ValueError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


class TestUploadCaps:
    """A small file must not unpack into more than the server can hold: refused from its headers."""

    def test_a_header_claiming_two_million_images_is_refused_before_anything_is_allocated(self):
        bomb = npz_claiming(2_000_000)
        assert len(bomb) < 2_000  # the file is tiny; its header claims 1.5 GB
        with pytest.raises(
            ValueError, match=r"x_train holds 2,000,000 images; this server takes at most 100,000"
        ):
            read_npz(bomb)
        # numpy.load would allocate the 1.5 GB the header claims before finding the data missing.
        assert peak_traced_bytes(lambda: load_dataset("mnist", bomb)) < 4 * 2**20

    def test_a_complete_compressed_file_over_the_image_cap_is_refused_from_its_header(self):
        images = datasets.MAX_IMAGES_PER_SPLIT + 1
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("x_train.npy", "w", force_zip64=True) as member:
                member.write(npy_header((images, 28, 28)))
                zeros = bytes(784 * 1000)
                for start in range(0, images, 1000):  # written in chunks: never one big array
                    member.write(zeros[: 784 * min(1000, images - start)])
            for key, shape in [("y_train", (images,)), ("x_test", (10, 28, 28)), ("y_test", (10,))]:
                with archive.open(f"{key}.npy", "w") as member:
                    member.write(npy_header(shape) + bytes(int(np.prod(shape))))
        raw = buffer.getvalue()
        assert len(raw) < 1_000_000
        with pytest.raises(ValueError, match="100,001 images"):
            read_npz(raw)
        assert peak_traced_bytes(lambda: read_npz(raw)) < 4 * 2**20

    def test_too_many_unpacked_bytes_are_refused_from_the_header(self):
        bomb = npz_claiming(90_000, descr="<i4")  # fewer images than the cap, but 4 bytes a pixel
        with pytest.raises(
            ValueError, match=r"would take 269 MiB once unpacked; this server takes at most 160 MiB"
        ):
            read_npz(bomb)
        assert peak_traced_bytes(lambda: read_npz(bomb)) < 4 * 2**20

    def test_the_real_fashion_mnist_fits_the_caps(self):
        unpacked = check_npz(npz_claiming(60_000, test_images=10_000))
        assert unpacked == 70_000 * 784 + 100 + 100
        assert unpacked < datasets.MAX_UNPACKED_BYTES / 2

    def test_labels_over_the_cap_are_refused_too(self):
        arrays = {
            "x_train.npy": npy_header((10, 28, 28)) + bytes(7840),
            "y_train.npy": npy_header((3_000_000,), "<i8"),
            "x_test.npy": npy_header((10, 28, 28)) + bytes(7840),
            "y_test.npy": npy_header((10,)) + bytes(10),
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, body in arrays.items():
                archive.writestr(name, body)
        with pytest.raises(ValueError, match="y_train holds 3,000,000 labels"):
            read_npz(buffer.getvalue())

    def test_a_file_larger_than_any_acceptable_one_is_refused_before_it_is_read(self, tmp_path, monkeypatch):
        monkeypatch.setattr(datasets, "MAX_NPZ_FILE_BYTES", 100)
        path = tmp_path / "big.npz"
        path.write_bytes(npz_bytes(**good_arrays()))
        with pytest.raises(ValueError, match="this server takes .npz files up to"):
            load_dataset("mnist", path)

    def test_thousands_of_tiny_entries_are_refused_before_the_zip_is_listed(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for i in range(3000):
                archive.writestr(f"{i}.npy", b"")
        with pytest.raises(ValueError, match="table of contents"):
            read_npz(buffer.getvalue())

    def test_a_member_that_is_not_an_array_is_refused_without_reading_it(self):
        arrays = good_arrays()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("x_train", bytes(50_000_000))  # no .npy suffix: numpy.load returns raw bytes
            for key in ("y_train", "x_test", "y_test"):
                member = io.BytesIO()
                np.save(member, arrays[key])
                archive.writestr(f"{key}.npy", member.getvalue())
        raw = buffer.getvalue()
        with pytest.raises(ValueError, match="cannot be read"):
            read_npz(raw)
        assert peak_traced_bytes(lambda: read_npz(raw)) < 4 * 2**20


def sources(shown: np.ndarray, images: np.ndarray) -> list[int]:
    """For each image a pipeline yields (float, 0-1, with a channel axis), the index of the
    uint8 image it came from; ``images`` must all differ, so that the answer is unique."""
    index_of = {image.tobytes(): i for i, image in enumerate(images)}
    assert len(index_of) == len(images)
    return [index_of[np.rint(image[..., 0] * 255).astype(np.uint8).tobytes()] for image in shown]


class TestPreprocessing:
    def test_adds_the_channel_axis_and_scales_to_0_1(self):
        images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
        out = preprocess(images)
        assert out.shape == (1, 2, 2, 1) and out.dtype == np.float32
        np.testing.assert_allclose(out[0, :, :, 0], [[0, 1], [0.2, 0.4]])

    def test_tf_data_pipeline_batches_and_scales_the_uint8_arrays(self):
        data = load_dataset("mnist", "bundled")
        ds = make_tf_dataset(data.x_test[:300], data.y_test[:300], batch_size=128, seed=1)
        batches = list(ds.as_numpy_iterator())
        assert [len(y) for _, y in batches] == [128, 128, 44]
        x, y = batches[0]
        assert x.shape == (128, 28, 28, 1) and x.dtype == np.float32
        assert 0.0 <= x.min() and x.max() <= 1.0 and y.dtype == np.int64

    def test_the_shuffled_pipeline_yields_every_image_once_per_epoch_with_its_own_label(self):
        data = load_dataset("mnist", "bundled")
        images, labels = data.x_test[:100], data.y_test[:100]
        ds = make_tf_dataset(images, labels, batch_size=32, seed=3)
        for _ in range(2):  # each epoch is shuffled anew
            shown, told = (np.concatenate(parts) for parts in zip(*ds.as_numpy_iterator()))
            source = sources(shown, images)
            assert sorted(source) == list(range(100)) and source != list(range(100))  # shuffled
            assert np.array_equal(told, labels[source])  # each image with its own label

    def test_the_pipeline_over_indices_yields_those_images_in_order_when_not_shuffled(self):
        """A run's training and validation pipelines are index sets into one copy of the images."""
        data = load_dataset("mnist", "bundled")
        indices = np.array([7, 0, 42, 3, 99], dtype=np.int32)
        ds = make_tf_dataset(data.x_test, data.y_test, batch_size=2, shuffle=False, indices=indices)
        batches = list(ds.as_numpy_iterator())
        assert [len(y) for _, y in batches] == [2, 2, 1]
        x = np.concatenate([b[0] for b in batches])
        y = np.concatenate([b[1] for b in batches])
        np.testing.assert_allclose(x[..., 0], data.x_test[indices] / 255.0, atol=1e-6)
        assert y.tolist() == data.y_test[indices].tolist()
        shuffled = make_tf_dataset(data.x_test, data.y_test, batch_size=5, seed=0, indices=indices)
        shown, told = next(shuffled.as_numpy_iterator())
        source = sources(shown, data.x_test[indices])
        assert sorted(source) == list(range(5))  # those images, each once
        assert np.array_equal(told, data.y_test[indices][source])  # each with its own label

    def test_runs_on_the_same_dataset_share_one_tensorflow_copy_of_its_images(self):
        """The line starts a run as the last one ends: each copying the images would grow
        TensorFlow's memory pool (which never shrinks) by a dataset a time."""
        import gc

        images, labels = np.zeros((50, 28, 28), np.uint8), np.zeros(50, np.uint8)
        x, y = shared_tensors(images, labels)
        again_x, again_y = shared_tensors(images, labels)
        assert again_x is x and again_y is y
        other_x, _ = shared_tensors(images.copy(), labels)
        assert other_x is not x  # another dataset, another copy
        del x, y, again_x, again_y, other_x
        gc.collect()
        fresh_x, _ = shared_tensors(images, labels)  # the last user let go: a new copy
        assert fresh_x.shape == (50, 28, 28) and int(fresh_x.numpy().sum()) == 0
