"""Quiz me on the Convolution, Pooling and Model pages, through the router, as a class uses it:
an instructor's link opens the quiz (the same question for everyone), the explorer stays hidden
until the answer is in, Check shows ✓/✗, the formula and the picture, Next moves on, and
switching Quiz me off brings the explorer back as it was with the quiz gone from the URL."""

import numpy as np
import pytest

from cnn_core import kernels, layer_shapes, models, quiz, shapes
from cnn_core.figures import quiz as quiz_figures

from .conftest import explorer_data, open_app_page, settle, url_param

PAGES = {
    "convolution": "app_pages/convolution.py",
    "pooling": "app_pages/pooling.py",
    "model": "app_pages/model.py",
}
QUIZ_PARAMS = ("quiz", "quiz_seed", "quiz_level")
SEED, LEVEL = 7, 2  # every page's question 0 and 1 at this seed and level has a picture to draw


def link(page, seed=SEED, level=LEVEL, **more):
    return {"quiz": page, "quiz_seed": str(seed), "quiz_level": str(level), **more}


def open_quiz(page, **query):
    at = open_app_page(PAGES[page], query=link(page, **query))
    assert not at.exception
    return at


def expected_answer(question):
    """The answer straight from cnn_core's tested functions (not through cnn_core.quiz)."""
    p = question.params
    if question.kind == "conv_size":
        return shapes.conv_output_size(p["size"], p["kernel"], p["stride"], p["padding"], p["dilation"])
    if question.kind == "pool_size":
        return shapes.pool_output_size(p["size"], p["pool"], p["stride"], p["padding"])
    if question.kind == "pool_value":
        pooled = kernels.pool2d(
            np.array(p["grid"], dtype=float), p["pool"], p["stride"], p["padding"], p["mode"]
        )
        return float(pooled[p["cell"]])
    if question.kind == "params":
        c = p["config"]
        blocks = (
            ()
            if c["filters"] == 0
            else (
                models.ConvBlock(
                    filters=c["filters"],
                    kernel_size=c["kernel_size"],
                    padding=c["padding"],
                    pool=c["pool"],
                    batch_norm=c["batch_norm"],
                ),
            )
        )
        config = models.ModelConfig(
            blocks=blocks,
            dense_units=c["dense"],
            dropout=0.0,
            input_size=c["input_size"],
            channels=c["channels"],
        )
        return next(row.params for row in models.summarize(config) if row.name == p["row"])
    return layer_shapes.shape_chain(p["layers"], p["size"], p["channels"])[-1].shape


def answer_text(value):
    if isinstance(value, tuple):
        return "×".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def shown_prompt(at, question):
    return any(m.value == question.prompt for m in at.markdown)


def pictures(at, page):
    """The reveal's picture: a Vega-Lite chart on Convolution and Pooling, an image on Model."""
    return len(at.get("vega_lite_chart")) if page != "model" else len(at.image)


def answer(at, text):
    at.text_input(key=next(t.key for t in at.text_input if "_answer_" in t.key)).input(text)
    at.button[0].click().run()  # the form's Check: the first button of the page in quiz mode
    assert not at.exception


def latex_lines(at):
    return [e.value.removeprefix("$$\n").removesuffix("\n$$") for e in at.latex]


@pytest.mark.parametrize("page", PAGES)
def test_a_quiz_link_gives_two_students_the_same_question_and_hides_the_explorer(page):
    question = quiz.make_question(page, SEED, LEVEL, 0)
    first, second = open_quiz(page), open_quiz(page)
    for at in (first, second):
        assert at.toggle(key=f"{page}_quiz_on").value
        assert shown_prompt(at, question)
        assert pictures(at, page) == 0 and not at.latex  # nothing worked out before the answer
        assert not at.slider and not at.radio  # the explorer's controls wait
        assert [url_param(at, p) for p in QUIZ_PARAMS] == [page, str(SEED), str(LEVEL)]


@pytest.mark.parametrize("page", PAGES)
def test_a_right_answer_shows_the_tick_the_formula_and_the_picture(page):
    at = open_quiz(page)
    question = quiz.make_question(page, SEED, LEVEL, 0)
    truth = expected_answer(question)
    assert quiz.true_answer(question) == truth
    answer(at, answer_text(truth))
    assert at.success[0].value.startswith("✓ Right")
    assert at.text_input[0].value == answer_text(truth) and at.text_input[0].disabled  # what was typed stays
    assert latex_lines(at) == list(quiz.explain(question))
    assert pictures(at, page) == 1
    assert quiz_figures.reveal_picture(question).caption in [c.value for c in at.caption]
    assert any("1 of 1 right" in m.value for m in at.markdown)


@pytest.mark.parametrize("page", PAGES)
def test_a_wrong_answer_shows_the_cross_and_the_true_answer(page):
    at = open_quiz(page)
    question = quiz.make_question(page, SEED, LEVEL, 0)
    truth = expected_answer(question)
    wrong = (truth[0] + 1,) + truth[1:] if isinstance(truth, tuple) else truth + 1
    answer(at, answer_text(wrong))
    error = at.error[0].value
    assert error.startswith("✗ Not quite") and answer_text(truth).replace("×", "") in error.replace(
        "×", ""
    ).replace(",", "")
    assert latex_lines(at) == list(quiz.explain(question))
    assert pictures(at, page) == 1
    assert any("0 of 1 right" in m.value for m in at.markdown)


@pytest.mark.parametrize("page", ["convolution", "pooling"])
def test_the_reveal_slides_the_window_over_the_questions_grid(page):
    seed = 2  # both pages ask a size at level 1 with this seed
    at = open_quiz(page, seed=seed, level=1)
    question = quiz.make_question(page, seed, 1, 0)
    p = question.params
    assert question.kind in ("conv_size", "pool_size")
    out = expected_answer(question)
    answer(at, str(out))
    window = at.slider[0]
    assert (window.min, window.max, window.value) == (1, out * out, out * out)  # starts on the last window
    window.set_value(1).run()
    assert not at.exception and pictures(at, page) == 1
    assert quiz_figures.reveal_picture(question, window=0).caption in [c.value for c in at.caption]
    assert p["size"] >= 4  # a grid worth sliding over


def test_next_question_moves_on_and_two_right_answers_raise_the_level():
    at = open_quiz("convolution")
    for number in (0, 1):
        question = quiz.make_question("convolution", SEED, LEVEL, number)
        assert shown_prompt(at, question)
        answer(at, answer_text(expected_answer(question)))
        assert at.success[0].value.startswith("✓")
        at.button(key="convolution_quiz_next").click().run()
        assert not at.exception and pictures(at, "convolution") == 0
    assert url_param(at, "quiz_level") == str(LEVEL + 1)
    assert shown_prompt(at, quiz.make_question("convolution", SEED, LEVEL + 1, 2))


def test_a_quiz_link_keeps_the_pages_own_settings_and_survives_its_reruns():
    at = open_quiz("convolution", conv_size="12")
    answer(at, "1")
    assert [url_param(at, p) for p in QUIZ_PARAMS] == ["convolution", str(SEED), str(LEVEL)]
    assert url_param(at, "conv_size") == "12"
    at.toggle(key="convolution_quiz_on").set_value(False).run()
    assert (
        explorer_data(at, "convolution")["settings"]["conv_size"] == 12
    )  # the link's, once the explorer shows


@pytest.mark.parametrize("page", ["convolution", "pooling"])
def test_switching_the_quiz_off_brings_the_explorer_back_as_it_was(page):
    at = open_app_page(PAGES[page])
    slider = "conv_size" if page == "convolution" else "pool_grid"
    settle(at, page, **{slider: 9})
    at.toggle(key=f"{page}_quiz_on").set_value(True).run()
    assert not at.exception and explorer_data(at, page) is None, "the explorer is hidden while answering"
    seed = int(url_param(at, "quiz_seed"))  # a fresh quiz writes its seed: the address is a link
    assert shown_prompt(at, quiz.make_question(page, seed, quiz.MIN_LEVEL, 0))
    answer(at, "3")
    at.toggle(key=f"{page}_quiz_on").set_value(False).run()
    assert not at.exception
    assert explorer_data(at, page)["settings"][slider] == 9 and url_param(at, slider) == "9"
    assert all(url_param(at, p) is None for p in QUIZ_PARAMS)
    at.session_state["_url_state_box"] = True  # the student opens "Copy a link to this view"
    at.run()
    share = next(c.value for c in at.code if "?" in c.value)  # the link, not a code box of the page
    assert f"{slider}=9" in share and "quiz" not in share


def test_switching_the_quiz_off_on_the_model_page_keeps_the_network():
    at = open_app_page(PAGES["model"])
    at.radio(key="model_page_preset").set_value("strong").run()
    at.toggle(key="model_quiz_on").set_value(True).run()
    assert not at.exception and not at.radio and url_param(at, "quiz") == "model"
    at.toggle(key="model_quiz_on").set_value(False).run()
    assert not at.exception and at.radio(key="model_page_preset").value == "strong"
    assert all(url_param(at, p) is None for p in QUIZ_PARAMS)
    assert at.code[-1].value.endswith("?model_config=strong")  # the share link: the network, no quiz
