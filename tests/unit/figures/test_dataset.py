"""The dataset page's figures and numbers: the 6×6 grid, class counts, mean images, the pixel
histogram and the preprocessing example, on small synthetic data and on the bundled sample."""

from __future__ import annotations

import tracemalloc

import altair as alt
import numpy as np
import pytest
from matplotlib.figure import Figure

from cnn_core import dataset_files, datasets
from cnn_core.figures import dataset as dataset_figures

FASHION = datasets.CLASS_NAMES["fashion_mnist"]
DIGITS = datasets.CLASS_NAMES["mnist"]


@pytest.fixture(scope="module")
def sample():
    return datasets.load_dataset("fashion_mnist", "bundled")


def synthetic(n: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


class TestTheRandomGrid:
    def test_draws_36_different_images_and_the_same_ones_for_the_same_seed(self, sample):
        a = dataset_figures.grid_indices(sample.y_train, seed=7)
        assert len(a) == 36 and len(set(a.tolist())) == 36
        assert np.array_equal(a, dataset_figures.grid_indices(sample.y_train, seed=7))
        assert not np.array_equal(a, dataset_figures.grid_indices(sample.y_train, seed=8))

    def test_filtered_to_one_class_shows_only_that_class(self, sample):
        idx = dataset_figures.grid_indices(sample.y_train, seed=1, label=9)
        assert len(idx) == 36 and set(sample.y_train[idx].tolist()) == {9}

    def test_a_class_with_few_images_shows_what_there_is(self):
        labels = np.array([0] * 40 + [3] * 5, dtype=np.uint8)
        assert sorted(dataset_figures.grid_indices(labels, seed=0, label=3).tolist()) == [40, 41, 42, 43, 44]
        assert len(dataset_figures.grid_indices(labels, seed=0, label=5)) == 0

    def test_labels_fashion_images_with_class_names_and_their_index(self, sample):
        idx = dataset_figures.grid_indices(sample.y_train, seed=3)
        fig = dataset_figures.sample_grid_figure(sample.x_train, sample.y_train, idx, sample.class_names)
        labels = texts(fig)
        assert len(labels) == 36
        assert labels[0] == f"{FASHION[sample.y_train[idx[0]]]}\n#{idx[0]}"

    def test_draws_the_images_in_the_tutorials_binary_colour_map(self, sample):
        idx = dataset_figures.grid_indices(sample.y_train, seed=3)
        fig = dataset_figures.sample_grid_figure(sample.x_train, sample.y_train, idx, sample.class_names)
        image = fig.axes[0].images[0]
        assert image.get_cmap().name == "binary" and image.get_clim() == (0, 255)
        # The mosaic holds each chosen image unchanged.
        mosaic = image.get_array()
        assert np.array_equal(mosaic[0:28, 3:31], sample.x_train[idx[0]])


class TestClassCounts:
    def test_counts_each_class_in_both_splits(self):
        y_train = np.array([0, 0, 1, 2, 2, 2], dtype=np.uint8)
        y_test = np.array([1, 1], dtype=np.uint8)
        table = dataset_figures.class_count_table(y_train, y_test, DIGITS)
        assert table["train"].tolist()[:3] == [2, 1, 3] and table["test"].tolist()[:3] == [0, 2, 0]
        assert table["train %"].tolist()[:3] == [33.3, 16.7, 50.0]
        assert len(table) == 10  # a class with no image still gets its row

    def test_chart_groups_train_and_test_bars_per_class(self, sample):
        chart = dataset_figures.class_count_chart(
            dataset_figures.class_count_table(sample.y_train, sample.y_test, sample.class_names)
        )
        spec = chart.to_dict()
        assert isinstance(chart, alt.Chart)
        assert spec["encoding"]["xOffset"]["field"] == "split"
        assert spec["encoding"]["x"]["sort"] == list(FASHION)


class TestMeanImages:
    def test_equal_the_pixelwise_mean_of_each_class(self):
        x, y = synthetic(60)
        means = dataset_figures.class_means(x, y)
        for c in range(10):
            assert np.allclose(means[c], x[y == c].astype(np.float64).mean(axis=0), atol=1e-3)

    def test_are_the_same_summed_block_by_block(self, monkeypatch):
        x, y = synthetic(60)
        monkeypatch.setattr(dataset_files, "SCAN_ROWS", 7)  # several blocks and a partial last one
        means = dataset_figures.class_means(x, y)
        for c in range(10):
            assert np.allclose(means[c], x[y == c].astype(np.float64).mean(axis=0), atol=1e-3)

    def test_a_class_without_images_is_marked_not_invented(self):
        x, y = synthetic(20)
        y[:] = 1
        means = dataset_figures.class_means(x, y)
        assert np.isnan(means[0]).all() and not np.isnan(means[1]).any()
        fig = dataset_figures.mean_image_figure(means, FASHION)
        assert texts(fig).count("no images") == 9

    def test_figure_labels_each_panel_once_for_digits(self):
        x, y = synthetic(60)
        fig = dataset_figures.mean_image_figure(dataset_figures.class_means(x, y), DIGITS)
        assert [ax.get_xlabel() for ax in fig.axes] == list(DIGITS)


class TestPixelHistogram:
    def test_counts_every_pixel_across_blocks(self, monkeypatch):
        x, _ = synthetic(25)
        monkeypatch.setattr(dataset_files, "SCAN_ROWS", 7)  # several blocks and a partial last one
        counts = dataset_figures.pixel_counts(x)
        assert np.array_equal(counts, np.bincount(x.ravel(), minlength=256))

    def test_summary_shares(self):
        counts = np.zeros(256, dtype=np.int64)
        counts[0], counts[100], counts[255] = 6, 2, 2
        stats = dataset_figures.pixel_stats(counts)
        assert (stats.zero_pct, stats.ink_pct) == (60.0, 20.0)
        assert stats.mean == pytest.approx((200 + 510) / 10)

    def test_bins_keep_every_pixel_and_the_log_axis_drops_empty_bins(self):
        counts = np.zeros(256, dtype=np.int64)
        counts[0], counts[200] = 900, 100
        linear = dataset_figures.pixel_histogram_chart(counts, bin_width=8, log_scale=False)
        log = dataset_figures.pixel_histogram_chart(counts, bin_width=8, log_scale=True)
        assert linear.data["pixels"].sum() == 1000 and len(linear.data) == 32
        assert log.data["pixels"].tolist() == [900, 100]
        assert log.to_dict()["encoding"]["y"]["scale"]["type"] == "log"

    def test_a_bin_width_that_does_not_divide_256_is_refused(self):
        with pytest.raises(ValueError, match="divide 256"):
            dataset_figures.pixel_histogram_chart(np.ones(256, dtype=np.int64), bin_width=10)


class TestPreprocessingExample:
    def test_window_follows_an_edge_of_the_stroke(self):
        image = np.zeros((28, 28), dtype=np.uint8)
        image[10:20, 14:28] = 255  # ink on the right: the most varied 8×8 window straddles x=14
        top, left = dataset_figures.detail_window(image)
        window = image[top : top + 8, left : left + 8]
        assert window.min() == 0 and window.max() == 255
        assert (window == 255).sum() == 32  # exactly half ink: the largest variance

    def test_window_size_must_fit(self):
        with pytest.raises(ValueError, match="window"):
            dataset_figures.detail_window(np.zeros((28, 28), dtype=np.uint8), size=29)

    def test_figure_prints_the_numbers_before_and_after_dividing_by_255(self):
        image = np.zeros((28, 28), dtype=np.uint8)
        image[5, 5], image[5, 6] = 255, 51
        fig = dataset_figures.preprocessing_figure(image, top=2, left=2, size=8)
        shown = texts(fig)
        assert "255" in shown and "51" in shown and "1.00" in shown and "0.20" in shown
        assert len(shown) == 2 * 64

    def test_shapes_and_memory_of_the_whole_split(self, sample):
        shape = dataset_figures.preprocessed_shape(sample.x_train)
        assert shape.before_shape == (6000, 28, 28) and shape.after_shape == (6000, 28, 28, 1)
        assert shape.after_bytes == 4 * shape.before_bytes == 4 * 6000 * 784
        after = datasets.preprocess(sample.x_train[:3])
        assert after.shape == (3, 28, 28, 1) and after.dtype == np.float32


def test_statistics_never_make_a_float_copy_of_the_split():
    """Held as uint8, scaled at the point of use: a float32 copy of these images is 31 MB."""
    x = np.random.default_rng(0).integers(0, 256, (10_000, 28, 28), dtype=np.uint8)
    y = (np.arange(10_000) % 10).astype(np.uint8)
    float_copy = x.size * 4
    tracemalloc.start()
    try:
        dataset_figures.class_means(x, y)
        dataset_figures.pixel_counts(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < float_copy / 3
