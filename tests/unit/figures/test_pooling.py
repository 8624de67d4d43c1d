"""cnn_core.figures.pooling: every window, its winner and every number, as the arithmetic says."""

from __future__ import annotations

import numpy as np

from cnn_core.figures import pooling as pooling_figures
from tests.unit.figures.vega_specs import assert_json_apart_from_its_data_frames, bare, outlines


def test_every_spec_is_json_apart_from_its_data_frames():
    assert_json_apart_from_its_data_frames(pooling_figures.pool_grid_chart(np.arange(36).reshape(6, 6), 2))


def test_pooled_means_of_big_values_fit_their_cells():
    image_means = np.array([[105.6, 0.25], [255.0, 17.5]])
    assert pooling_figures.pool_labels(image_means, "average") == ["106", "0", "255", "18"]
    assert pooling_figures.pool_labels(np.array([[4.5, 1.0]]), "average") == ["4.5", "1.0"]
    assert pooling_figures.pool_labels(np.array([[105.0, 3.0]]), "max") == ["105", "3"]
    for labels, cell in [(["255", "pad"], 22), (["4.5"], 30), (["0"], 48)]:
        font = pooling_figures.cell_font(labels, cell)
        assert font is not None and 0.6 * font * max(map(len, labels)) <= cell - 4
    assert pooling_figures.cell_font(["105.6"], 22) is None  # too small: no numbers rather than spilling ones


def test_a_digit_grid_pooled_by_average_writes_numbers_that_fit_or_none():
    digit = np.random.default_rng(0).integers(0, 256, (10, 10)).astype(float)
    for pool, stride in [(2, 2), (3, 1), (1, 1)]:
        spec = pooling_figures.pool_grid_chart(digit, pool, stride, "same", "average", width=470)
        cell = spec["hconcat"][0]["width"] // len(set(spec["datasets"]["pool_input"]["x"]))
        texts = [
            layer
            for view in spec["hconcat"]
            for layer in view["layer"]
            if layer["mark"]["type"] == "text" and not layer["data"]["name"].endswith("_title")
        ]
        labels = list(spec["datasets"]["pool_input"]["label"]) + list(
            spec["datasets"]["pool_output"]["label"]
        )
        for layer in texts:
            assert 0.6 * layer["mark"]["fontSize"] * max(map(len, labels)) <= cell - 4


def test_the_pool_grid_writes_every_number_and_rings_each_winner():
    values = np.array([[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 7, 2], [6, 2, 3, 1]])
    spec = pooling_figures.pool_grid_chart(values, 2, selected=3)
    assert list(spec["datasets"]["pool_output"]["label"]) == ["4", "5", "6", "7"]
    assert list(spec["datasets"]["pool_input"]["label"])[:4] == ["1", "3", "2", "0"]
    rings = spec["datasets"]["pool_rings"].to_dict("records")
    assert [(r["cy"] - 0.5, r["cx"] - 0.5) for r in rings] == [(1, 0), (1, 3), (3, 0), (2, 2)]
    assert [r["selected"] for r in rings] == [False, False, False, True]
    assert len(outlines(spec)) == 4 + 1  # every window, then the selected one again, thick


def test_a_new_pool_size_or_window_changes_only_the_data():
    values = np.arange(36).reshape(6, 6) % 10
    first = pooling_figures.pool_grid_chart(values, 2)
    assert bare(pooling_figures.pool_grid_chart(values, 3, selected=1)) == bare(first)
    assert bare(pooling_figures.pool_grid_chart(values, 2, 1, selected=5)) == bare(first)


def test_same_pooling_draws_the_padding_as_pad():
    spec = pooling_figures.pool_grid_chart(np.ones((3, 3)), 2, padding="same", mode="average")
    labels = list(spec["datasets"]["pool_input"]["label"])
    assert len(labels) == 16 and labels.count("pad") == 7  # 3x3 padded to 4x4 (after only)
    assert list(spec["datasets"]["pool_output"]["label"]) == ["1.0"] * 4
