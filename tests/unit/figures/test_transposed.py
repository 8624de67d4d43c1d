"""cnn_core.figures.convolution.transposed_scatter_chart: one input pixel's stamp on the output grid."""

from __future__ import annotations

import itertools

import pytest

from cnn_core import shapes
from cnn_core.figures import convolution as convolution_figures
from cnn_core.figures import vega
from tests.unit.figures.vega_specs import assert_json_apart_from_its_data_frames


def _outlines(view):
    return [(layer["mark"]["stroke"], layer["data"]["values"]) for layer in view["layer"] if layer["mark"].get("fill", 1) is None]


def test_the_spec_is_json_with_an_input_above_the_output():
    spec = convolution_figures.transposed_scatter_chart(7, 3, 2, "same", 8)
    assert_json_apart_from_its_data_frames(spec)
    input_view, output_view = spec["vconcat"]
    assert input_view["title"] == "Input 7×7: pixel (row 1, column 1)"
    assert output_view["title"].startswith("Output 14×14")
    assert [layer["mark"]["type"] for layer in output_view["layer"]] == ["rect", "text", "rect", "rect"]
    assert "adds its kernel to output rows 2 to 4" in spec["description"]


def test_the_output_cells_carry_the_coverage_counts_and_the_stamps_are_outlined():
    spec = convolution_figures.transposed_scatter_chart(7, 3, 2, "same", 8)
    frame = spec["datasets"]["t_output"]
    coverage = shapes.transposed_coverage(7, 3, 2, "same")
    assert list(frame["value"]) == [c for row in coverage for c in row]
    assert list(frame["label"][:3]) == ["1", "1", "2"]
    (next_colour, [next_box]), (colour, [box]) = _outlines(spec["vconcat"][1])
    assert colour == vega.WINDOW_COLOUR and box == vega.box(2, 2, 3, 3)  # input (1, 1) -> rows/cols 2..4
    assert next_box == vega.box(2, 4, 3, 3)  # the pixel to its right: 2 (the stride) further on
    roles = spec["datasets"]["t_input"]["role"]
    assert roles[8] == "this input pixel" and (roles == "this input pixel").sum() == 1


def test_a_stamp_cropped_at_the_border_and_the_last_pixel_has_no_neighbour():
    spec = convolution_figures.transposed_scatter_chart(7, 3, 2, "same", 48)  # (6, 6): rows 12..13
    outlines = _outlines(spec["vconcat"][1])
    assert outlines == [(vega.WINDOW_COLOUR, [vega.box(12, 12, 2, 2)])]


def test_every_setting_the_section_offers_draws_within_a_phones_width_or_says_why_not():
    drawn = 0
    for size, kernel, stride, padding, op in itertools.product(
        range(1, 9), range(1, 6), range(1, 4), ["valid", "same"], [None, 0, 1, 2]
    ):
        try:
            spec = convolution_figures.transposed_scatter_chart(size, kernel, stride, padding, size * size - 1, op)
        except ValueError as exc:
            assert "smaller than the stride" in str(exc) or "TensorFlow refuses" in str(exc)
            continue
        assert max(view["width"] for view in spec["vconcat"]) <= 320, (size, kernel, stride, padding, op)
        drawn += 1
    assert drawn > 400
    big = convolution_figures.transposed_scatter_chart(8, 5, 3, "valid", 0, 2)  # 28×28 output
    assert "text" not in [layer["mark"]["type"] for layer in big["vconcat"][1]["layer"]]


def test_bad_settings_are_value_errors():
    with pytest.raises(ValueError, match="outside the 7×7 input"):
        convolution_figures.transposed_scatter_chart(7, 3, 2, "same", 49)
    with pytest.raises(ValueError, match="TensorFlow refuses"):
        convolution_figures.transposed_scatter_chart(7, 4, 2, "same", 0, output_padding=0)
