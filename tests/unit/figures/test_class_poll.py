"""The class poll's chart (cnn_core.figures.class_poll): a bar per distinct answer with its count,
the right one marked ✓ in RIGHT, wrong ones ✗ in WRONG with their slip, text in the theme's
colour; the same in one sentence (alt text) and as a table."""

import json

from cnn_core.class_poll import Bar
from cnn_core.figures import class_poll, palette, vega

BARS = [
    Bar("8", 3, False, "padding forgotten"),
    Bar("10", 2, True, ""),
    Bar("13", 1, False, ""),
]


def test_each_answer_is_a_bar_with_its_count_in_the_order_given():
    spec = class_poll.spread_spec(BARS, "What the class answered to question 1")
    data = spec["datasets"][class_poll.DATA]
    assert list(data["answer"]) == ["8", "10", "13"]
    assert list(data["students"]) == [3, 2, 1]
    assert list(data["order"]) == [0, 1, 2]
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["8", "10", "13"]  # top to bottom as given
    json.dumps({k: v for k, v in spec.items() if k != "datasets"})  # the rest is plain JSON


def test_right_and_wrong_are_told_by_colour_and_by_a_mark_with_the_slip():
    spec = class_poll.spread_spec(BARS, "t")
    data = spec["datasets"][class_poll.DATA]
    assert list(data["label"]) == ["3 ✗ padding forgotten", "2 ✓ right", "1 ✗"]
    colour = spec["layer"][0]["encoding"]["color"]
    assert colour["scale"] == {"domain": ["right", "wrong"], "range": [palette.RIGHT, palette.WRONG]}
    assert list(data["verdict"]) == ["wrong", "right", "wrong"]


def test_the_labels_take_the_themes_text_colour_and_the_counts_are_whole_students():
    spec = class_poll.spread_spec(BARS, "t")
    assert spec["layer"][1]["mark"]["color"] == vega.THEME_TEXT
    axis = spec["layer"][0]["encoding"]["x"]["axis"]
    assert axis["format"] == "d" and axis["tickMinStep"] == 1
    assert spec["height"] == 3 * class_poll.BAR_HEIGHT_PX


def test_the_alt_text_and_the_table_say_what_the_chart_shows():
    assert class_poll.spread_description(BARS, 0) == (
        "Answers to question 1, 6 students: 8 (wrong, padding forgotten) 3; 10 (right) 2; 13 (wrong) 1."
    )
    table = class_poll.spread_table(BARS)
    assert list(table.columns) == ["answer", "students", "verdict", "likely slip"]
    assert table.values.tolist() == [
        ["8", 3, "wrong", "padding forgotten"],
        ["10", 2, "right", ""],
        ["13", 1, "wrong", ""],
    ]
