"""cnn_core.figures.predictions and prediction_charts: the tutorial's grid of answers with its
colours, the clickable confusion matrix and the accuracy per class."""

import numpy as np
import pytest

from cnn_core import datasets, evaluation
from cnn_core.figures import mpl, palette, prediction_charts
from cnn_core.figures import predictions as predictions_figures


@pytest.fixture
def matrix() -> np.ndarray:
    """M[true, predicted] of eight answers to classes 0-3, three of them wrong (0→1, 1→0, 2→1)."""
    labels = np.array([0, 0, 1, 1, 2, 2, 2, 3])
    predicted = np.array([0, 1, 1, 0, 2, 1, 2, 3])
    return evaluation.confusion_matrix(labels, predicted)


class TestTutorialGrid:
    """plot_image / plot_value_array's rules, and the grid of them the page shows."""

    names = datasets.CLASS_NAMES["fashion_mnist"]

    def test_a_right_answer_is_captioned_with_a_tick_in_blue_with_the_true_class(self):
        p = np.full(10, 0.01, np.float32)
        p[4] = 0.91
        assert predictions_figures.caption(p, 4, self.names) == ("✓ Coat 91% (Coat)", palette.RIGHT_TEXT)
        assert predictions_figures.verdict_mark(p, 4) == "✓"

    def test_a_wrong_answer_is_captioned_with_a_cross_in_vermillion(self):
        p = np.full(10, 0.01, np.float32)
        p[4] = 0.91
        assert predictions_figures.caption(p, 6, self.names) == ("✗ Coat 91% (Shirt)", palette.WRONG_TEXT)
        assert predictions_figures.verdict_mark(p, 6) == "✗"
        assert predictions_figures.caption(p, None, self.names) == (
            "Coat 91%",
            "black",
        )  # a drawing: no truth
        assert predictions_figures.verdict_mark(p, None) == ""

    def test_the_predicted_bar_is_red_and_the_true_bar_blue(self):
        p = np.linspace(0, 1, 10)  # predicts 9
        colors = predictions_figures.bar_colors(p, 2)
        assert colors[9] == palette.WRONG and colors[2] == palette.RIGHT
        assert colors.count(palette.OTHER) == 8
        assert predictions_figures.bar_colors(p, 9).count(palette.RIGHT) == 1  # right: one blue bar, no red

    def test_the_tutorial_functions_draw_on_an_axes(self):
        from matplotlib.figure import Figure

        p = np.linspace(0, 1, 10) / np.linspace(0, 1, 10).sum()
        ax_img, ax_bar = Figure().subplots(1, 2)
        predictions_figures.plot_image(ax_img, p, 3, np.zeros((28, 28), np.uint8), self.names)
        predictions_figures.plot_value_array(ax_bar, p, 3)
        assert ax_img.get_xlabel() == "✗ Ankle boot 20% (Dress)"
        assert [t.get_text() for t in ax_bar.texts] == ["✗"]  # above the predicted bar
        assert ax_img.xaxis.label.get_color() == palette.WRONG_TEXT
        assert [b.get_facecolor() for b in ax_bar.patches][3] == pytest.approx(
            (0, 0x72 / 255, 0xB2 / 255, 1.0), abs=1e-3
        )
        assert ax_bar.get_ylim() == (0, 1)

    def test_the_grid_has_the_tutorials_size_and_one_bar_per_class_per_image(self):
        data = datasets.load_dataset("fashion_mnist", "bundled")
        probs = np.random.default_rng(0).dirichlet(np.ones(10), size=30).astype(np.float32)
        fig = predictions_figures.prediction_grid(
            data.x_test, probs, data.y_test, range(30), data.class_names, 5, 3
        )
        width, height = fig.get_size_inches()
        assert width == pytest.approx(4 * 3) and height == pytest.approx(2 * 5 + 0.28)  # + names
        ax = fig.axes[0]
        assert len(ax.images) == 15
        bars = ax.collections[0]
        assert len(bars.get_paths()) == 15 * 10
        expected = [c for i in range(15) for c in predictions_figures.bar_colors(probs[i], data.y_test[i])]
        from matplotlib.colors import to_rgba

        np.testing.assert_allclose(bars.get_facecolors(), [to_rgba(c) for c in expected])
        assert mpl.figure_png(fig).startswith(b"\x89PNG")

    def test_a_short_list_draws_a_smaller_grid(self):
        data = datasets.load_dataset("mnist", "bundled")
        probs = np.full((5, 10), 0.1, np.float32)
        fig = predictions_figures.prediction_grid(
            data.x_test, probs, data.y_test, [0, 1], data.class_names, 5, 3
        )
        assert tuple(fig.get_size_inches()) == pytest.approx((8, 2))  # 1 row of 2, no name strip

    def test_impossible_grids_are_refused(self):
        data = datasets.load_dataset("mnist", "bundled")
        probs = np.full((5, 10), 0.1, np.float32)
        with pytest.raises(ValueError, match="No test image"):
            predictions_figures.prediction_grid(data.x_test, probs, data.y_test, [], data.class_names)
        with pytest.raises(ValueError, match="rows"):
            predictions_figures.prediction_grid(data.x_test, probs, data.y_test, [0], data.class_names, 9, 3)


class TestCharts:
    def test_the_confusion_chart_is_clickable_by_cell_and_carries_the_counts(self, matrix):
        m = matrix
        spec = prediction_charts.confusion_chart(m, datasets.CLASS_NAMES["mnist"], selected=(2, 1)).to_dict()
        params = spec["params"]  # Altair lifts a layer's selection to the top of the spec
        assert [p["name"] for p in params] == ["cell"]  # exactly one selection, for Streamlit
        assert len(params[0]["views"]) == 1  # bound to one layer (the click layer)
        assert params[0]["select"]["fields"] == ["true", "predicted"]
        rows = next(iter(spec["datasets"].values()))
        assert len(rows) == 100
        cell = next(r for r in rows if r["true"] == 2 and r["predicted"] == 1)
        assert cell["count"] == 1 and cell["chosen"] and cell["kind"] == "mistake"

    def test_the_colour_legends_count_whole_images(self):
        m = np.diag([5] * 10)
        m[3, 5] = 2  # mistakes on a 0-2 scale: ticks must not read 0.5, 1.5
        spec = prediction_charts.confusion_chart(m, datasets.CLASS_NAMES["mnist"]).to_dict()
        legends = {
            layer["encoding"]["color"]["legend"]["title"]: layer["encoding"]["color"]["legend"]
            for layer in spec["layer"]
            if "field" in layer.get("encoding", {}).get("color", {})
        }
        assert set(legends) == {"mistakes", "right"}
        for legend in legends.values():
            assert legend["tickMinStep"] == 1 and legend["format"] == "d"

    def test_the_per_class_chart_has_one_bar_per_class(self, matrix):
        m = matrix
        spec = prediction_charts.per_class_chart(
            evaluation.per_class_accuracy(m), datasets.CLASS_NAMES["mnist"], 0.625
        ).to_dict()
        values = [v for d in spec["datasets"].values() for v in d if "class" in v]
        assert [v["class"] for v in values] == [str(d) for d in range(10)]
        assert values[2]["accuracy"] == pytest.approx(2 / 3)

    def test_a_click_on_a_cell_is_read_back_from_streamlits_selection_state(self):
        assert prediction_charts.clicked_cell({"selection": {"cell": [{"true": 7, "predicted": 9}]}}) == (
            7,
            9,
        )
        assert prediction_charts.clicked_cell({"selection": {"cell": []}}) is None  # double-click cleared it
        assert prediction_charts.clicked_cell({}) is None


class TestDescriptions:
    """The one-line text alternatives: how many are right, and each mistake by name."""

    names = tuple(str(d) for d in range(10))

    def probs(self, answers):
        p = np.full((len(answers), 10), 0.01, np.float32)
        p[np.arange(len(answers)), answers] = 0.91
        return p

    def test_the_grid_says_how_many_are_right_and_lists_the_mistakes(self):
        labels = np.array([7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        answers = labels.copy()
        answers[8], answers[3] = 6, 8
        text = predictions_figures.grid_description(self.probs(answers), labels, range(10), self.names)
        assert text == "8 of 10 right (✓); wrong (✗): test #3 (0 read as 8), test #8 (5 read as 6)."
        only = predictions_figures.grid_description(self.probs(answers), labels, [0, 1], self.names)
        assert only == "2 of 2 right (✓), no mistakes."

    def test_a_long_list_of_mistakes_is_cut_with_a_count(self):
        labels = np.zeros(15, int)
        text = predictions_figures.grid_description(
            self.probs(np.ones(15, int)), labels, range(15), self.names
        )
        assert text.startswith("0 of 15 right") and text.endswith(", and 5 more.")
        assert text.count("read as") == predictions_figures.MAX_LISTED

    def test_the_confusion_matrix_and_the_per_class_chart_are_summed_up(self, matrix):
        names = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
        text = prediction_charts.confusion_description(matrix, names)
        assert "8 test images" in text and "5 right on the diagonal, 3 mistakes" in text
        assert "zero read as one (1×), one read as zero (1×), two read as one (1×)" in text
        acc = evaluation.per_class_accuracy(matrix)
        assert prediction_charts.per_class_description(acc, names, 5 / 8) == (
            "Accuracy per true class, overall 62.5%: best three 100%, worst zero 50%."
        )

    def test_the_grid_marks_each_verdict_above_the_answer_bar(self):
        """The ✗ of a mistake is drawn in the grid: vermillion-text pixels appear in the bars' area."""
        data = datasets.load_dataset("fashion_mnist", "bundled")
        labels = data.y_test[:1]
        p = self.probs([(int(labels[0]) + 1) % 10])
        png = mpl.figure_png(
            predictions_figures.prediction_grid(data.x_test, p, labels, [0], data.class_names, 1, 1)
        )
        from io import BytesIO

        from PIL import Image

        pixels = np.asarray(Image.open(BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)
        wrong = np.array([int(palette.WRONG_TEXT[i : i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(pixels - wrong).sum(axis=1) < 30).sum() > 20  # the caption and the ✗
