"""cnn_core.figures.convolution: the grids draw what the arithmetic says (read back from the specs' data)."""

from __future__ import annotations

import pytest

from cnn_core.figures import convolution as convolution_figures
from cnn_core.figures import vega
from cnn_core.figures.palette import contrast_ratio
from tests.unit.figures.vega_specs import assert_json_apart_from_its_data_frames, bare, outlines, roles


def test_every_spec_is_json_apart_from_its_data_frames():
    assert_json_apart_from_its_data_frames(convolution_figures.conv_window_chart(7, 3, 2, "same", 1, step=3))


def test_the_conv_grid_marks_taps_padding_and_the_never_reached_pixels():
    # 8x8, K=3, S=3, P=1: padded 10, windows start at 0, 3, 6 -> padded column 9 is never read.
    spec = convolution_figures.conv_window_chart(8, 3, 3, 1, 1, step=4)  # output cell (1, 1)
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
    cells = roles(convolution_figures.conv_window_chart(7, 3, 1, "valid", 2, step=0))
    assert cells[(0, 0)] == cells[(2, 4)] == "read by the kernel"
    assert cells[(1, 0)] == cells[(0, 3)] == "skipped by dilation"


def test_the_legend_lists_only_what_the_picture_shows():
    spec = convolution_figures.conv_window_chart(7, 3)
    legend = spec["hconcat"][0]["layer"][0]["encoding"]["color"]["legend"]["values"]
    assert "skipped by dilation" not in legend and "padding zero" not in legend
    assert "read by the kernel" in legend


def test_a_new_step_or_kernel_size_changes_only_the_data():
    """The browser re-uses a drawn chart when only its data change (Streamlit compares the spec
    without its datasets): moving the window, or a new K at the same I, must not rebuild it."""
    first = convolution_figures.conv_window_chart(7, 3, step=0)
    assert bare(convolution_figures.conv_window_chart(7, 3, step=7)) == bare(first)
    assert bare(convolution_figures.conv_window_chart(7, 4, step=2)) == bare(first)
    assert bare(convolution_figures.conv_window_chart(7, 3, 1, "same")) != bare(first)  # padding: a new grid


def test_the_legend_colours_are_distinct_and_label_text_stays_readable():
    colours = list(convolution_figures.ROLE_COLOURS.values())
    assert len(set(c.lower() for c in colours)) == len(colours)

    # Any two roles differ visibly (not only in hue): at least 1.1:1 in lightness or another hue.
    for i, a in enumerate(colours):
        for b in colours[i + 1 :]:
            hue_a, hue_b = (tuple(int(c.lstrip("#")[k : k + 2], 16) for k in (0, 2, 4)) for c in (a, b))
            assert contrast_ratio(a, b) >= 1.1 or max(abs(x - y) for x, y in zip(hue_a, hue_b)) > 80, (a, b)
    # The "0" of padding cells: white on the kernel's blue, dark text on every other role it can sit on.
    assert contrast_ratio(convolution_figures.ROLE_COLOURS["read by the kernel"], vega.TEXT_WHITE) >= 4.5
    for role in ("padding zero", "never reached", "skipped by dilation", "image pixel"):
        assert contrast_ratio(convolution_figures.ROLE_COLOURS[role], vega.TEXT_DARK) >= 4.5, role
    # The two greys of the issue ("image pixel" and "still to come") and the blues are told apart.
    assert (
        contrast_ratio(
            convolution_figures.ROLE_COLOURS["image pixel"], convolution_figures.ROLE_COLOURS["still to come"]
        )
        >= 1.5
    )
    assert (
        contrast_ratio(
            convolution_figures.ROLE_COLOURS["read by the kernel"],
            convolution_figures.ROLE_COLOURS["skipped by dilation"],
        )
        >= 2
    )


def test_a_step_outside_the_output_is_a_value_error():
    with pytest.raises(ValueError, match="outside the 5×5 output"):
        convolution_figures.conv_window_chart(7, 3, step=25)
    with pytest.raises(ValueError, match="does not fit"):
        convolution_figures.conv_window_chart(5, 7)


def test_charts_fit_their_width_budget():
    for size, pad in [(28, 4), (7, 0), (3, 4)]:
        spec = convolution_figures.conv_window_chart(size, 3, 1, pad, 1, width=700)
        total = sum(view["width"] for view in spec["hconcat"])
        assert total <= 700 or spec["hconcat"][0]["width"] // (size + 2 * pad) == 8  # the smallest cell
