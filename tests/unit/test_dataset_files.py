"""A dataset kept on disk: written once as the .npz a worker trains from, its training images
mapped from that file by the server, and scans of a whole split that leave them on disk."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from cnn_core import dataset_files, datasets
from cnn_core.client import Workers
from cnn_core.figures import dataset as dataset_figures
from cnn_core.upload_cache import UploadCache
from tests.unit.test_upload_cache import npz_file


def synthetic(n_train: int, seed: int = 0) -> datasets.Dataset:
    rng = np.random.default_rng(seed)
    return datasets.Dataset(
        "fashion_mnist",
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        (np.arange(n_train) % 10).astype(np.uint8),
        rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
        (np.arange(50) % 10).astype(np.uint8),
        class_names=datasets.CLASS_NAMES["fashion_mnist"],
        source="keras",
    )


def resident_file_kib() -> int:
    """This process's resident pages that are mapped from files (kB, /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1])
    raise AssertionError("no RssFile line")


class TestKeptOnDisk:
    def test_holds_the_same_images_read_from_the_file_a_worker_trains_from(self, tmp_path):
        data = synthetic(300)
        kept = dataset_files.kept_on_disk(data, tmp_path)
        assert np.array_equal(kept.x_train, data.x_train) and not kept.x_train.flags.owndata
        assert kept.y_train is data.y_train and kept.x_test is data.x_test  # small: still in memory
        with np.load(kept.file) as npz:  # what the worker loads
            for key in datasets.KEYS:
                assert np.array_equal(npz[key], getattr(data, key))
        assert (kept.name, kept.source, kept.class_names) == (data.name, data.source, data.class_names)

    def test_the_same_images_are_written_once(self, tmp_path):
        first = dataset_files.kept_on_disk(synthetic(300), tmp_path)
        written = Path(first.file).stat().st_mtime_ns
        again = dataset_files.kept_on_disk(synthetic(300), tmp_path)  # another session's load
        assert again.file == first.file and Path(again.file).stat().st_mtime_ns == written
        assert dataset_files.kept_on_disk(again, tmp_path) is again  # already on disk
        assert dataset_files.kept_on_disk(synthetic(300, seed=1), tmp_path).file != first.file

    def test_a_worker_reads_the_file_back_with_the_training_images_mapped(self, tmp_path):
        data = synthetic(300)
        path = dataset_files.write_once(data, tmp_path)
        read = dataset_files.read_kept("mnist", str(path), "file")  # a relabelled upload
        for key in datasets.KEYS:
            assert np.array_equal(getattr(read, key), getattr(data, key))
        assert not read.x_train.flags.owndata and read.file == str(path)
        assert (read.name, read.source, read.class_names) == ("mnist", "file", datasets.CLASS_NAMES["mnist"])

    def test_a_compressed_file_is_refused_in_words(self, tmp_path):
        path = tmp_path / "compressed.npz"
        np.savez_compressed(path, x_train=np.zeros((3, 28, 28), np.uint8))
        with pytest.raises(ValueError, match="only an uncompressed .npz can be mapped"):
            dataset_files.mapped_member(path, "x_train")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
class TestScansLeaveTheImagesOnDisk:
    N = 40_000  # 31 MB of images

    def test_the_page_s_histogram_and_class_means_keep_the_split_out_of_memory(self, tmp_path):
        kept = dataset_files.kept_on_disk(synthetic(self.N), tmp_path)
        before = resident_file_kib()
        counts = dataset_figures.pixel_counts(kept.x_train)
        means = dataset_figures.class_means(kept.x_train, kept.y_train)
        assert resident_file_kib() - before < 4_000  # at most a few blocks' pages
        assert counts.sum() == kept.x_train.size and means.shape == (10, 28, 28)

    def test_a_plain_pass_over_the_map_would_hold_it(self, tmp_path):
        """The measure above can fail: reading every image without the blocks keeps them resident."""
        kept = dataset_files.kept_on_disk(synthetic(self.N), tmp_path)
        before = resident_file_kib()
        assert int(kept.x_train.sum(dtype=np.int64)) > 0
        assert resident_file_kib() - before > 25_000


class TestTheServersCopies:
    def test_a_run_on_a_kept_dataset_is_sent_its_file_without_writing_another(self, tmp_path):
        pool = Workers(scratch=str(tmp_path))
        try:
            kept = pool.keep_on_disk(synthetic(300))
            assert Path(kept.file).parent == tmp_path / "data"
            assert pool.data_ref(kept).path == kept.file
            assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [Path(kept.file).name]
        finally:
            pool.close()

    def test_every_session_uploading_a_file_shares_its_images_on_disk(self, tmp_path):
        cache = UploadCache(keep=lambda data: dataset_files.kept_on_disk(data, tmp_path))
        a, b = cache.get(npz_file(), "fashion_mnist"), cache.get(npz_file(), "mnist")
        assert cache.parses == 1 and a.x_train is b.x_train and not a.x_train.flags.owndata
        assert a.file and a.file == b.file and b.class_names == datasets.CLASS_NAMES["mnist"]
