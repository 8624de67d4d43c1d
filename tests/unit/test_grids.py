"""cnn_core.grids: the figures draw what the arithmetic says (read back from the specs' data)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnn_core import grids, kernels


def roles(spec, name="input"):
    frame = spec["datasets"][name]
    return {(int(r), int(c)): role for r, c, role in zip(frame["row"], frame["column"], frame["role"])}


def outlines(spec, view=0):
    """The rectangles (x, x2, y, y2) drawn unfilled in a view, in order (inline or by dataset name)."""
    boxes = []
    for layer in spec["hconcat"][view]["layer"]:
        if layer["mark"].get("fill", 1) is not None:
            continue
        data = layer.get("data", {})
        rows = data["values"] if "values" in data else spec["datasets"][data["name"]].to_dict("records")
        boxes += [{k: int(v) for k, v in box.items()} for box in rows]
    return boxes


def test_every_spec_is_json_apart_from_its_data_frames():
    specs = [
        grids.conv_window_chart(7, 3, 2, "same", 1, step=3),
        grids.pool_grid_chart(np.arange(36).reshape(6, 6), 2),
        grids.images_side_by_side(grids.image_chart(np.eye(5), "a", name="a"), grids.image_chart(-np.eye(3), "b", name="b")),
        grids.kernel_chart(kernels.named_kernel("sharpen", 3)),
    ]
    for spec in specs:
        json.dumps({k: v for k, v in spec.items() if k != "datasets"})
        assert spec["datasets"], "the data travel as frames, not inline"


def test_the_conv_grid_marks_taps_padding_and_the_never_reached_pixels():
    # 8x8, K=3, S=3, P=1: padded 10, windows start at 0, 3, 6 -> padded column 9 is never read.
    spec = grids.conv_window_chart(8, 3, 3, 1, 1, step=4)  # output cell (1, 1)
    cells = roles(spec)
    taps = {rc for rc, role in cells.items() if role == "read by the kernel"}
    assert taps == {(r, c) for r in (2, 3, 4) for c in (2, 3, 4)}
    assert cells[(-1, -1)] == "padding zero" and cells[(0, 0)] == "image pixel"
    assert all(cells[(r, 8)] == "never reached" for r in range(-1, 9))
    assert outlines(spec)[-1] == {"x": 3, "x2": 6, "y": 3, "y2": 6}  # the receptive field
    out = roles(spec, "output")
    assert [out[(0, c)] for c in range(3)] == ["already computed"] * 3 and out[(1, 1)] == "this output"
    assert spec["hconcat"][0]["title"] == "Input 8×8, padded to 10×10"
    assert list(spec["datasets"]["output_title"]["title"]) == ["Output 3×3"]


def test_dilation_shows_the_gaps_inside_the_receptive_field():
    cells = roles(grids.conv_window_chart(7, 3, 1, "valid", 2, step=0))
    assert cells[(0, 0)] == cells[(2, 4)] == "read by the kernel"
    assert cells[(1, 0)] == cells[(0, 3)] == "skipped by dilation"


def test_the_legend_lists_only_what_the_picture_shows():
    spec = grids.conv_window_chart(7, 3)
    legend = spec["hconcat"][0]["layer"][0]["encoding"]["color"]["legend"]["values"]
    assert "skipped by dilation" not in legend and "padding zero" not in legend
    assert "read by the kernel" in legend


def test_a_new_step_or_kernel_size_changes_only_the_data():
    """The browser re-uses a drawn chart when only its data change (Streamlit compares the spec
    without its datasets): moving the window, or a new K at the same I, must not rebuild it."""
    def bare(spec):
        return json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)

    first = grids.conv_window_chart(7, 3, step=0)
    assert bare(grids.conv_window_chart(7, 3, step=7)) == bare(first)
    assert bare(grids.conv_window_chart(7, 4, step=2)) == bare(first)
    assert bare(grids.conv_window_chart(7, 3, 1, "same")) != bare(first)  # padding: a new grid


def test_the_legend_colours_are_distinct_and_label_text_stays_readable():
    colours = list(grids.ROLE_COLOURS.values())
    assert len(set(c.lower() for c in colours)) == len(colours)

    def luminance(hex_colour):
        channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a, b):
        hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    # Any two roles differ visibly (not only in hue): at least 1.1:1 in lightness or another hue.
    for i, a in enumerate(colours):
        for b in colours[i + 1 :]:
            hue_a, hue_b = (tuple(int(c.lstrip("#")[k : k + 2], 16) for k in (0, 2, 4)) for c in (a, b))
            assert contrast(a, b) >= 1.1 or max(abs(x - y) for x, y in zip(hue_a, hue_b)) > 80, (a, b)
    # The "0" of padding cells: white on the kernel's blue, dark text on every other role it can sit on.
    assert contrast(grids.ROLE_COLOURS["read by the kernel"], grids.TEXT_WHITE) >= 4.5
    for role in ("padding zero", "never reached", "skipped by dilation", "image pixel"):
        assert contrast(grids.ROLE_COLOURS[role], grids.TEXT_DARK) >= 4.5, role
    # The two greys of the issue ("image pixel" and "still to come") and the blues are told apart.
    assert contrast(grids.ROLE_COLOURS["image pixel"], grids.ROLE_COLOURS["still to come"]) >= 1.5
    assert contrast(grids.ROLE_COLOURS["read by the kernel"], grids.ROLE_COLOURS["skipped by dilation"]) >= 2


def test_pooled_means_of_big_values_fit_their_cells():
    image_means = np.array([[105.6, 0.25], [255.0, 17.5]])
    assert grids.pool_labels(image_means, "average") == ["106", "0", "255", "18"]
    assert grids.pool_labels(np.array([[4.5, 1.0]]), "average") == ["4.5", "1.0"]
    assert grids.pool_labels(np.array([[105.0, 3.0]]), "max") == ["105", "3"]
    for labels, cell in [(["255", "pad"], 22), (["4.5"], 30), (["0"], 48)]:
        font = grids.cell_font(labels, cell)
        assert font is not None and 0.6 * font * max(map(len, labels)) <= cell - 4
    assert grids.cell_font(["105.6"], 22) is None  # too small: no numbers rather than spilling ones


def test_a_digit_grid_pooled_by_average_writes_numbers_that_fit_or_none():
    digit = np.random.default_rng(0).integers(0, 256, (10, 10)).astype(float)
    for pool, stride in [(2, 2), (3, 1), (1, 1)]:
        spec = grids.pool_grid_chart(digit, pool, stride, "same", "average", width=470)
        cell = spec["hconcat"][0]["width"] // len(set(spec["datasets"]["pool_input"]["x"]))
        texts = [layer for view in spec["hconcat"] for layer in view["layer"]
                 if layer["mark"]["type"] == "text" and not layer["data"]["name"].endswith("_title")]
        labels = list(spec["datasets"]["pool_input"]["label"]) + list(spec["datasets"]["pool_output"]["label"])
        for layer in texts:
            assert 0.6 * layer["mark"]["fontSize"] * max(map(len, labels)) <= cell - 4


def test_a_step_outside_the_output_is_a_value_error():
    with pytest.raises(ValueError, match="outside the 5×5 output"):
        grids.conv_window_chart(7, 3, step=25)
    with pytest.raises(ValueError, match="does not fit"):
        grids.conv_window_chart(5, 7)


def test_the_pool_grid_writes_every_number_and_rings_each_winner():
    values = np.array([[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 7, 2], [6, 2, 3, 1]])
    spec = grids.pool_grid_chart(values, 2, selected=3)
    assert list(spec["datasets"]["pool_output"]["label"]) == ["4", "5", "6", "7"]
    assert list(spec["datasets"]["pool_input"]["label"])[:4] == ["1", "3", "2", "0"]
    rings = spec["datasets"]["pool_rings"].to_dict("records")
    assert [(r["cy"] - 0.5, r["cx"] - 0.5) for r in rings] == [(1, 0), (1, 3), (3, 0), (2, 2)]
    assert [r["selected"] for r in rings] == [False, False, False, True]
    assert len(outlines(spec)) == 4 + 1  # every window, then the selected one again, thick


def test_a_new_pool_size_or_window_changes_only_the_data():
    def bare(spec):
        return json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)

    values = np.arange(36).reshape(6, 6) % 10
    first = grids.pool_grid_chart(values, 2)
    assert bare(grids.pool_grid_chart(values, 3, selected=1)) == bare(first)
    assert bare(grids.pool_grid_chart(values, 2, 1, selected=5)) == bare(first)


def test_same_pooling_draws_the_padding_as_pad():
    spec = grids.pool_grid_chart(np.ones((3, 3)), 2, padding="same", mode="average")
    labels = list(spec["datasets"]["pool_input"]["label"])
    assert len(labels) == 16 and labels.count("pad") == 7  # 3x3 padded to 4x4 (after only)
    assert list(spec["datasets"]["pool_output"]["label"]) == ["1.0"] * 4


def test_images_keep_zero_white_and_signed_maps_diverge_around_it():
    grey = grids.image_chart(np.arange(4.0).reshape(2, 2), "grey")
    signed = grids.image_chart(np.array([[-2.0, 1.0], [0.0, 0.5]]), "signed")
    grey_scale = grey["layer"][0]["encoding"]["color"]["scale"]
    signed_scale = signed["layer"][0]["encoding"]["color"]["scale"]
    assert grey_scale["range"][0] == "#ffffff" and grey_scale["domain"] == [0, 3.0]
    assert signed_scale["domain"] == [-2.0, 0, 2.0] and signed_scale["range"][1] == "#ffffff"
    assert (grey["width"], grey["height"]) == (18, 18)


def test_charts_fit_their_width_budget():
    for size, pad in [(28, 4), (7, 0), (3, 4)]:
        spec = grids.conv_window_chart(size, 3, 1, pad, 1, width=700)
        total = sum(view["width"] for view in spec["hconcat"])
        assert total <= 700 or spec["hconcat"][0]["width"] // (size + 2 * pad) == 8  # the smallest cell
