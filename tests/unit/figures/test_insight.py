"""cnn_core.figures.insight: the pictures of one image the Predictions page shows (its answer,
a drawing's preparation, feature maps, filters, heat maps) render from functions a test calls."""

import numpy as np

from cnn_core import drawn_digit, evaluation
from cnn_core.figures import insight as insight_figures
from cnn_core.figures import mpl
from cnn_core.worker import insight


class TestFigures:
    """Every picture the Look inside tab shows comes from a function a test can call."""

    def test_the_figures_render(self, tutorial, digit):
        maps = insight.feature_maps(tutorial, digit)
        for fig in (
            insight_figures.feature_maps_figure(maps[1][1], "block2_conv1"),
            insight_figures.filters_figure(insight.first_layer_filters(tutorial)),
            insight_figures.heatmap_figure(digit, insight.grad_cam(tutorial, digit).heat, "Grad-CAM"),
            insight_figures.digit_figure(
                digit, evaluation.predict_image(tutorial, digit), [str(d) for d in range(10)], 7
            ),
        ):
            assert mpl.figure_png(fig).startswith(b"\x89PNG")

    def test_feature_maps_are_capped_and_tiled(self):
        fig = insight_figures.feature_maps_figure(
            np.random.default_rng(0).random((14, 14, 64)), "x", max_maps=48, columns=12
        )
        image = fig.axes[0].images[0].get_array()
        assert image.shape[:2] == (4 * 14 + 3 * 2, 12 * 14 + 11 * 2)  # 48 maps: 4 rows of 12, 2 px gaps


class TestPreparationFigure:
    def test_the_crop_panel_states_the_crops_own_size_not_the_canvas(self, digit):
        canvas = np.zeros((280, 280), np.uint8)
        canvas[40 : 40 + 6 * 28, 60 : 60 + 6 * 28] = np.kron(digit, np.ones((6, 6), np.uint8))
        prepared = drawn_digit.prepare_digit(canvas)
        top, left, bottom, right = prepared.box
        assert prepared.grey.shape == (280, 280) and (right - left, bottom - top) != (280, 280)
        fig = insight_figures.preparation_figure(prepared)
        title = fig.axes[0].get_title()
        assert title == f"1. ink on black, cropped\nto {right - left}×{bottom - top} px"

    def test_the_panels_name_the_box_and_the_field_and_mark_the_centre(self, digit):
        fig = insight_figures.preparation_figure(drawn_digit.prepare_digit(digit))
        assert fig.axes[1].get_title().startswith(f"2. scaled to fit {drawn_digit.BOX}×{drawn_digit.BOX}")
        assert f"{drawn_digit.FIELD}×{drawn_digit.FIELD}" in fig.axes[2].get_title()
        lines = fig.axes[2].get_lines()
        assert lines[0].get_ydata()[0] == lines[1].get_xdata()[0] == drawn_digit.CENTER
