"""Quiz me: the same link gives the same questions, cnn_core's functions answer them, the
difficulty grows, and the student's text is read leniently."""

import numpy as np
import pytest

from cnn_core import kernels, layer_shapes, models, quiz, shapes

SEEDS = range(60)
LEVELS = range(quiz.MIN_LEVEL, quiz.MAX_LEVEL + 1)


def conv_question(size, kernel, stride=1, padding="valid", dilation=1):
    params = dict(size=size, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
    return quiz.Question("conv_size", 0, 1, 0, "", params)


def conv_answer_from_shapes(p):
    try:
        return shapes.conv_output_size(p["size"], p["kernel"], p["stride"], p["padding"], p["dilation"])
    except ValueError:
        return None


# --- the same link gives the same questions ---------------------------------------------------


@pytest.mark.parametrize("kind", quiz.KINDS + tuple(quiz.PAGE_KINDS))
def test_same_seed_and_difficulty_give_the_same_question(kind):
    for level in LEVELS:
        for number in range(3):
            a = quiz.make_question(kind, 1234, level, number)
            b = quiz.make_question(kind, 1234, level, number)
            assert (a.kind, a.prompt, a.params, a.code) == (b.kind, b.prompt, b.params, b.code)


def test_different_seeds_and_numbers_give_different_questions():
    prompts = {quiz.make_question("conv_size", seed, 3).prompt for seed in range(30)}
    assert len(prompts) > 10
    firsts = [quiz.make_question("shape", 5, 4, number) for number in range(5)]  # "Next question"
    assert [q.number for q in firsts] == [0, 1, 2, 3, 4]
    assert len({q.code for q in firsts}) > 1


def test_a_page_name_mixes_its_kinds_and_an_unknown_kind_is_refused():
    kinds = {quiz.make_question("pooling", seed, 2).kind for seed in range(40)}
    assert kinds == {"pool_size", "pool_value"}
    assert {quiz.make_question("model", seed, 2).kind for seed in range(40)} == {"params", "shape"}
    with pytest.raises(ValueError, match="Unknown quiz"):
        quiz.make_question("transposed", 1, 1)


def test_difficulty_is_clamped_to_the_levels():
    assert quiz.make_question("conv_size", 3, 99).difficulty == quiz.MAX_LEVEL
    assert quiz.make_question("conv_size", 3, -2).difficulty == quiz.MIN_LEVEL


# --- answers come from cnn_core's tested functions --------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_conv_answers_are_shapes_conv_output_size(level):
    for seed in SEEDS:
        q = quiz.make_question("conv_size", seed, level)
        assert quiz.true_answer(q) == conv_answer_from_shapes(q.params)
        assert q.params["stride"] == 1 or q.params["dilation"] == 1  # Keras refuses both above 1


@pytest.mark.parametrize("level", LEVELS)
def test_pool_size_answers_are_shapes_pool_output_size(level):
    for seed in SEEDS:
        q = quiz.make_question("pool_size", seed, level)
        p = q.params
        try:
            expected = shapes.pool_output_size(p["size"], p["pool"], p["stride"], p["padding"])
        except ValueError:
            expected = None
        assert quiz.true_answer(q) == expected


@pytest.mark.parametrize("level", LEVELS)
def test_pool_value_answers_are_kernels_pool2d(level):
    for seed in SEEDS:
        q = quiz.make_question("pool_value", seed, level)
        p = q.params
        pooled = kernels.pool2d(np.array(p["grid"]), p["pool"], p["stride"], p["padding"], p["mode"])
        assert quiz.true_answer(q) == pytest.approx(pooled[p["cell"]])
        values = [p["grid"][r][c] for r, c in quiz.window_cells(q)]
        assert quiz.true_answer(q) == pytest.approx(max(values) if p["mode"] == "max" else np.mean(values))


@pytest.mark.parametrize("level", LEVELS)
def test_parameter_counts_are_models_summarize(level):
    for seed in SEEDS:
        q = quiz.make_question("params", seed, level)
        c = q.params["config"]
        blocks = (
            ()
            if not c["filters"]
            else (
                models.ConvBlock(
                    c["filters"], c["kernel_size"], c["padding"], pool=c["pool"], batch_norm=c["batch_norm"]
                ),
            )
        )
        rows = models.summarize(models.ModelConfig(blocks, c["dense"], 0.0, c["input_size"], c["channels"]))
        assert quiz.true_answer(q) == next(r.params for r in rows if r.name == q.params["row"])


@pytest.mark.parametrize("level", LEVELS)
def test_shapes_are_shapes_shape_chain(level):
    for seed in SEEDS:
        q = quiz.make_question("shape", seed, level)
        p = q.params
        chain = layer_shapes.shape_chain(p["layers"], p["size"], p["channels"])
        assert quiz.true_answer(q) == chain[-1].shape


def test_known_answers_worked_by_hand():
    assert quiz.true_answer(conv_question(28, 3, 2, 1)) == 14
    assert quiz.true_answer(conv_question(28, 3, 1, "valid")) == 26
    assert quiz.true_answer(conv_question(28, 3, 1, "same")) == 28
    assert quiz.true_answer(conv_question(7, 3, 1, "valid", dilation=2)) == 3  # spans 5
    assert quiz.true_answer(conv_question(3, 5)) is None
    tutorial_conv = dict(
        input_size=28,
        channels=1,
        filters=32,
        kernel_size=3,
        batch_norm=False,
        padding="same",
        pool="none",
        dense=10,
    )
    q = quiz.Question("params", 0, 1, 0, "", dict(layer="conv", row="block1_conv1", config=tutorial_conv))
    assert quiz.true_answer(q) == 320  # 3×3×1×32 + 32
    fc1 = dict(tutorial_conv, filters=0, input_size=7, channels=36, dense=128)
    q = quiz.Question("params", 0, 1, 0, "", dict(layer="dense", row="fc1", config=fc1))
    assert quiz.true_answer(q) == 225_920  # the tutorial's fc1: 1,764×128 + 128


# --- difficulty grows ---------------------------------------------------------------------------


def test_low_levels_are_clean_and_high_levels_bring_floors_dilation_and_no_fit():
    def cases(level):
        return [quiz.conv_size.case(quiz.make_question("conv_size", s, level).params) for s in range(100)]

    def dilated(level):
        return [quiz.make_question("conv_size", s, level).params["dilation"] > 1 for s in range(100)]

    for level in (1, 2, 3):
        assert set(cases(level)) == {"exact"} and not any(dilated(level))
    for s in range(100):
        p = quiz.make_question("conv_size", s, 1).params
        assert p["stride"] == 1 and p["padding"] == "valid"
    assert "floor" in cases(4) and any(dilated(4)) and "no fit" not in cases(4)
    assert {"floor", "no fit"} <= set(cases(5)) and any(dilated(5))
    pool_nofit = [quiz.true_answer(quiz.make_question("pool_size", s, 5)) is None for s in range(100)]
    assert any(pool_nofit) and not all(pool_nofit)
    assert all(quiz.true_answer(quiz.make_question("pool_size", s, 1)) for s in range(100))


def test_pool_window_questions_grow_from_max_to_windows_over_the_edge():
    for s in range(40):
        first = quiz.make_question("pool_value", s, 1)
        assert first.params["mode"] == "max" and first.params["padding"] == "valid"
        assert min(min(row) for row in first.params["grid"]) >= 0
        last = quiz.make_question("pool_value", s, 5)
        assert last.params["padding"] == "same"
        assert len(quiz.window_cells(last)) < last.params["pool"] ** 2  # hangs over the edge


def test_harder_shape_questions_chain_more_layers():
    assert all(len(quiz.make_question("shape", s, 1).params["layers"]) == 1 for s in range(30))
    assert all(len(quiz.make_question("shape", s, 5).params["layers"]) >= 3 for s in range(30))


# --- checking, formulas and slips ------------------------------------------------------------------


def test_the_reveal_shows_the_formula_with_the_numbers():
    verdict = quiz.check(conv_question(28, 3, 2, 1), "14")
    assert verdict.correct is True and verdict.answer == 14
    assert (
        verdict.formula[-1]
        == r"O = \left\lfloor \frac{28 + 2\cdot1 - 3}{2} \right\rfloor + 1 = \lfloor 13.5 \rfloor + 1 = 14"
    )
    verdict = quiz.check(conv_question(28, 3, 1, "valid"), "25")
    assert verdict.correct is False and verdict.answer == 26
    assert "you said 25" in verdict.sentence and "26" in verdict.sentence
    assert verdict.formula[-1].endswith("= 26")
    dilated = quiz.check(conv_question(7, 3, 1, "valid", 2), "3")
    assert dilated.formula[0].startswith("K_{eff}") and dilated.formula[0].endswith("= 5")


def test_no_fit_is_an_answer():
    q = conv_question(3, 5)
    for text in ("none", "doesn't fit", "Does not fit", "0", "no fit", "-"):
        assert quiz.check(q, text).correct is True, text
    verdict = quiz.check(q, "1")
    assert verdict.correct is False and "does not fit" in verdict.answer_text
    assert "does not fit" in verdict.formula[-1]
    assert quiz.check(conv_question(28, 3), "none").correct is False


@pytest.mark.parametrize("text", ["14", " 14 ", "14x14", "14 × 14", "(14, 14)", "14X14", "14*14"])
def test_sizes_are_read_leniently(text):
    assert quiz.check(conv_question(28, 3, 2, 1), text).correct is True


@pytest.mark.parametrize(
    "text", ["14x14x32", "14 × 14 × 32", "(14, 14, 32)", "(None, 14, 14, 32)", "[14,14,32]", "14 14 32"]
)
def test_shapes_are_read_leniently(text):
    assert quiz.parse_answer(text, "shape") == (14, 14, 32)
    assert quiz.parse_answer("(1764,)", "shape") == (1764,)


def test_counts_and_values_are_read_leniently():
    for text in ("225920", "225,920", "225 920", "225_920"):
        assert quiz.parse_answer(text, "count") == 225_920
    for text, value in (("4.5", 4.5), ("4,5", 4.5), ("9/2", 4.5), ("-3", -3.0), ("−3", -3.0)):
        assert quiz.parse_answer(text, "value") == value


@pytest.mark.parametrize(
    "form, text",
    [
        ("size", "fourteen"),
        ("size", "14x13"),
        ("size", ""),
        ("count", "3x3x32"),
        ("value", "big"),
        ("shape", "14x14x32x2"),
    ],
)
def test_unreadable_input_gets_a_sentence_and_does_not_count(form, text):
    with pytest.raises(quiz.Unreadable):
        quiz.parse_answer(text, form)
    q = {
        "size": conv_question(28, 3),
        "count": quiz.make_question("params", 1, 1),
        "value": quiz.make_question("pool_value", 1, 1),
        "shape": quiz.make_question("shape", 1, 1),
    }[form]
    verdict = quiz.check(q, text)
    assert verdict.correct is None and "does not count" in verdict.sentence
    assert quiz.Score().record(verdict.correct) == quiz.Score()


def test_average_answers_are_right_to_two_decimals():
    q = next(
        quiz.make_question("pool_value", s, 4)
        for s in range(100)
        if quiz.make_question("pool_value", s, 4).params["mode"] == "average"
    )
    truth = quiz.true_answer(q)
    assert quiz.check(q, f"{truth:.2f}").correct is True
    assert quiz.check(q, f"{truth + 0.02:.2f}").correct is False


def test_common_slips_are_named():
    assert "padding" in quiz.check(conv_question(28, 3, 2, 1), "13").sentence
    assert "+ 1" in quiz.check(conv_question(28, 3), "25").sentence
    assert "K_eff" in quiz.check(conv_question(9, 3, 1, "valid", 2), "7").sentence
    assert "round up" in quiz.check(conv_question(28, 3, 2, 1), "15").sentence
    params = dict(
        input_size=28,
        channels=1,
        filters=32,
        kernel_size=3,
        batch_norm=False,
        padding="same",
        pool="none",
        dense=10,
    )
    q = quiz.Question("params", 0, 1, 0, "", dict(layer="conv", row="block1_conv1", config=params))
    assert "biases" in quiz.check(q, "288").sentence
    shape = quiz.Question(
        "shape",
        0,
        1,
        0,
        "",
        dict(size=28, channels=1, layers=(layer_shapes.LayerSpec("c", "conv", 3, 1, "same", 32),)),
    )
    assert "channels first" in quiz.check(shape, "32x28x28").sentence

    def whole_window(q):  # the slip: dividing by pool² although padding is not counted
        return sum(q.params["grid"][r][c] for r, c in quiz.window_cells(q)) / q.params["pool"] ** 2

    same_avg = next(
        q
        for q in (quiz.make_question("pool_value", s, 5) for s in range(200))
        if q.params["mode"] == "average" and abs(whole_window(q) - quiz.true_answer(q)) > 0.01
    )
    assert "real pixels" in quiz.check(same_avg, f"{whole_window(same_avg):.2f}").sentence


@pytest.mark.parametrize("kind", quiz.KINDS)
def test_every_question_checks_its_own_answer_as_right(kind):
    for level in LEVELS:
        for seed in range(20):
            q = quiz.make_question(kind, seed, level)
            truth = quiz.true_answer(q)
            text = (
                "none"
                if truth is None
                else "x".join(map(str, truth))
                if isinstance(truth, tuple)
                else f"{truth:.3f}"
                if isinstance(truth, float)
                else str(truth)
            )
            verdict = quiz.check(q, text)
            assert verdict.correct is True, (q, text, verdict)
            assert verdict.formula
            assert q.prompt and q.code


# --- the score decides the level ------------------------------------------------------------------


def test_two_right_in_a_row_go_up_and_two_wrong_go_down():
    score = quiz.Score(level=2)
    score = score.record(True)
    assert (score.right, score.asked, score.streak, score.level) == (1, 1, 1, 2)
    score = score.record(True)
    assert (score.streak, score.level) == (2, 3)
    score = score.record(True).record(True)
    assert score.level == 4 and score.streak == 4
    score = score.record(False)
    assert (score.streak, score.level, score.asked, score.right) == (0, 4, 5, 4)
    score = score.record(True).record(False).record(False)
    assert score.level == 3  # two wrong in a row
    assert score.text.startswith("5 of 8 right")


def test_the_level_stays_between_1_and_5():
    score = quiz.Score(level=quiz.MAX_LEVEL)
    for _ in range(6):
        score = score.record(True)
    assert score.level == quiz.MAX_LEVEL
    for _ in range(20):
        score = score.record(False)
    assert score.level == quiz.MIN_LEVEL
