"""The Pooling page's Python side: what it sends the explorer (the random numbers of the chosen
seed among it), and what it writes from the settings the learner settles on. The explorer itself
runs in the browser: tests/e2e/test_explorers.py."""

from __future__ import annotations

import numpy as np

from tests.app.conftest import explorer_data, settle, url_param

PAGE = "app_pages/pooling.py"


def keras_line(at) -> str:
    return at.code[0].value


def test_the_page_sends_the_explorer_its_defaults_and_the_seeds_numbers(page):
    data = explorer_data(page, "pooling")
    assert data["settings"]["pool_size"] == 2 and data["settings"]["pool_keras_stride"] is True
    assert data["bounds"]["pool_grid"] == [3, 10] and data["bounds"]["pool_seed"] == [0, 999]
    assert data["numbers"]["seed"] == 0
    six = np.array(data["numbers"]["values"][:36]).reshape(6, 6)
    assert (six == np.random.default_rng(0).integers(0, 10, (6, 6))).all(), (
        "the 6×6 grid numpy draws for seed 0"
    )
    assert keras_line(page) == "layers.MaxPooling2D((2, 2))"


def test_a_new_seed_brings_its_numbers(page):
    settle(page, "pooling", pool_seed=42)
    numbers = explorer_data(page, "pooling")["numbers"]
    assert numbers["seed"] == 42
    assert numbers["values"][:9] == np.random.default_rng(42).integers(0, 10, (3, 3)).ravel().tolist()
    assert url_param(page, "pool_seed") == "42"


def test_settled_settings_move_the_keras_line_and_the_link(page):
    settle(page, "pooling", pool_mode="average", pool_keras_stride=False, pool_stride=1, pool_padding="same")
    assert keras_line(page) == 'layers.AveragePooling2D((2, 2), strides=(1, 1), padding="same")'
    assert [
        url_param(page, k) for k in ("pool_mode", "pool_keras_stride", "pool_stride", "pool_padding")
    ] == ["average", "0", "1", "same"]
    settle(page, "pooling", pool_keras_stride=True, pool_size=3)
    assert keras_line(page) == 'layers.AveragePooling2D((3, 3), padding="same")', "stride = pool size"


def test_a_link_opens_the_explorer_with_its_settings_and_a_bad_one_with_a_notice(open_page):
    at = open_page(PAGE, query={"pool_size": "3", "pool_keras_stride": "0", "pool_stride": "2"})
    settings = explorer_data(at, "pooling")["settings"]
    assert (settings["pool_size"], settings["pool_keras_stride"], settings["pool_stride"]) == (3, False, 2)
    assert keras_line(at) == "layers.MaxPooling2D((3, 3), strides=(2, 2))"
    bad = open_page(PAGE, query={"pool_size": "0", "pool_mode": "median"})
    assert not bad.exception and "reset to their defaults" in bad.warning[0].value
    assert explorer_data(bad, "pooling")["settings"]["pool_mode"] == "max"
