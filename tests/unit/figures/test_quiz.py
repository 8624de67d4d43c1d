"""cnn_core.figures.quiz: the reveal's picture draws the question's own setting, with the answer
cnn_core's shapes give, or says why there is nothing to draw."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core import layer_shapes, quiz, shapes
from cnn_core.figures import quiz as quiz_figures
from tests.unit.figures.vega_specs import assert_json_apart_from_its_data_frames, outlines, roles

LEVELS = range(quiz.MIN_LEVEL, quiz.MAX_LEVEL + 1)


def questions(kind, seeds=range(12)):
    return [quiz.make_question(kind, seed, level) for level in LEVELS for seed in seeds]


def test_a_convolution_picture_is_the_last_window_on_the_questions_padded_grid():
    for question in questions("conv_size"):
        p = question.params
        picture = quiz_figures.reveal_picture(question)
        try:
            out = shapes.conv_output_size(p["size"], p["kernel"], p["stride"], p["padding"], p["dilation"])
        except ValueError:
            assert picture.spec is None and picture.caption.startswith("Nothing to draw")
            assert quiz_figures.window_count(question) == 0
            continue
        assert_json_apart_from_its_data_frames(picture.spec)
        assert list(picture.spec["datasets"]["output_title"]["title"]) == [f"Output {out}×{out}"]
        assert roles(picture.spec, "output")[(out - 1, out - 1)] == "this output"
        taps = [rc for rc, role in roles(picture.spec).items() if role == "read by the kernel"]
        assert len(taps) == p["kernel"] ** 2
        assert f"Window {out * out} of the {out}×{out} = {out * out} positions" in picture.caption
        assert quiz_figures.window_count(question) == out * out
        first = quiz_figures.reveal_picture(question, window=0)
        assert roles(first.spec, "output")[(0, 0)] == "this output" and first.caption.startswith(
            "Window 1 of"
        )


def test_a_pooling_size_picture_outlines_every_window_of_the_question():
    for question in questions("pool_size"):
        p = question.params
        picture = quiz_figures.reveal_picture(question)
        try:
            out = shapes.pool_output_size(p["size"], p["pool"], p["stride"], p["padding"])
        except ValueError:
            assert picture.spec is None and picture.caption.startswith("Nothing to draw")
            continue
        assert len(picture.spec["datasets"]["pool_windows"]) == out * out
        assert picture.spec["hconcat"][0]["title"].startswith(f"Input {p['size']}×{p['size']}")
        assert f"All {out}×{out} = {out * out} windows" in picture.caption
        assert quiz_figures.window_count(question) == out * out
        first = quiz_figures.reveal_picture(question, window=0).spec
        assert len(first["datasets"]["pool_selected"]) == 1
        assert (
            first["datasets"]["pool_selected"].iloc[0].to_dict()
            == first["datasets"]["pool_windows"].iloc[0].to_dict()
        )
        assert p["mode"] in ("max", "average")


def test_a_pooling_value_picture_outlines_the_asked_window_on_the_questions_grid():
    for question in questions("pool_value"):
        picture = quiz_figures.reveal_picture(question)
        grid = picture.spec["datasets"]["pool_input"]
        real = grid[grid["label"] != "pad"]
        shown = {(int(r), int(c)): int(v) for r, c, v in zip(real["row"], real["column"], real["value"])}
        assert shown == {
            (r, c): v for r, row in enumerate(question.params["grid"]) for c, v in enumerate(row)
        }
        selected = outlines(picture.spec)[-1]  # the thick outline: the asked window, padding included
        before = -int(grid["row"].min())  # outlines count from the padded grid's corner
        cells = [(r + before, c + before) for r, c in quiz.window_cells(question)]
        assert selected["y"] <= min(r for r, _ in cells) and selected["y2"] >= max(r for r, _ in cells) + 1
        assert selected["x"] <= min(c for _, c in cells) and selected["x2"] >= max(c for _, c in cells) + 1
        assert quiz.describe_answer(question, quiz.true_answer(question)) in picture.caption


@pytest.mark.parametrize("kind", ["params", "shape"])
def test_a_model_picture_is_the_shape_flow_up_to_the_layer_asked(kind):
    for question in questions(kind, seeds=range(4)):
        rows = quiz.question_rows(question)
        p = question.params
        if kind == "shape":
            chain = layer_shapes.shape_chain(p["layers"], p["size"], p["channels"])
            assert [row.output_shape for row in rows] == [step.shape for step in chain]
        elif p["layer"] == "conv":  # the code's stride and padding set the drawn output side
            side = shapes.conv_output_size(
                p["config"]["input_size"], p["config"]["kernel_size"], p["stride"], p["padding"]
            )
            assert rows[-1].output_shape == (side, side, p["config"]["filters"])
            assert f"strides={p['stride']}," in question.code
        else:
            assert rows[-1].name == "fc1" and rows[-1].output_shape == (p["config"]["dense"],)
        picture = quiz_figures.reveal_picture(question)
        assert picture.png is not None and picture.png.startswith(b"\x89PNG")
        assert " → ".join("×".join(map(str, row.output_shape)) for row in rows) in picture.caption
        if kind == "params":
            assert picture.caption.endswith(f" = {quiz.true_answer(question):,}.")


def test_the_pooling_grid_of_a_large_input_keeps_small_cells_when_asked():
    from cnn_core.figures import pooling

    values = np.zeros((31, 31))
    assert pooling.pool_grid_chart(values, 2, width=470)["hconcat"][0]["width"] >= 31 * 22
    assert pooling.pool_grid_chart(values, 2, width=470, min_cell=12)["hconcat"][0]["width"] <= 31 * 12
