"""The class poll's chart: what a class answered to one question, a bar per distinct answer.

Horizontal bars (the answers' words fit on the left, however long), the right answer in the
palette's RIGHT with a ✓, wrong ones in WRONG with a ✗ and the slip that gives them
(``cnn_core.class_poll.short_slip``) written after the count; so right and wrong are told by a
mark and words, not by hue alone. The text marks take the page's text colour (light or dark
theme); the counts on the x axis are whole students. Each chart comes with a sentence for its
``alt`` text and rows for a table, which say the same.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from ..class_poll import Bar
from . import palette, vega

BAR_HEIGHT_PX = 30  # one answer's row
MIN_WIDTH_PX = 260
DATA = "class_answers"


def bar_label(bar: Bar) -> str:
    """What is written after a bar: "3 ✓ right", "2 ✗ the +1 forgotten", "1 ✗"."""
    if bar.correct:
        return f"{bar.count} {palette.RIGHT_MARK} right"
    return f"{bar.count} {palette.WRONG_MARK}" + (f" {bar.slip}" if bar.slip else "")


def spread_frame(bars: Sequence[Bar]) -> pd.DataFrame:
    """One row per bar, in the order drawn (top to bottom): the answer, count, right or wrong,
    the slip and the label written after the bar."""
    return pd.DataFrame(
        {
            "order": range(len(bars)),
            "answer": [bar.answer for bar in bars],
            "students": [bar.count for bar in bars],
            "verdict": ["right" if bar.correct else "wrong" for bar in bars],
            "slip": [bar.slip for bar in bars],
            "label": [bar_label(bar) for bar in bars],
        }
    )


def spread_spec(bars: Sequence[Bar], title: str) -> vega.Spec:
    """The Vega-Lite spec of ``bars`` (from :func:`cnn_core.class_poll.spread`) under ``title``;
    its data in ``spec["datasets"]["class_answers"]``."""
    data = spread_frame(bars)
    most = max([bar.count for bar in bars] + [1])
    y = {
        "field": "answer",
        "type": "nominal",
        "sort": list(data["answer"]),  # as given: the most given first
        "title": "answer",
        "axis": {"labelFontSize": 13, "titleFontSize": 12, "labelLimit": 220},
    }
    x = {
        "field": "students",
        "type": "quantitative",
        # Room on the right for the longest label; whole students only.
        "scale": {"domain": [0, most * 1.9 + 1]},
        "axis": {"title": "students", "tickMinStep": 1, "format": "d", "grid": False},
    }
    colour = {
        "field": "verdict",
        "type": "nominal",
        "scale": {"domain": ["right", "wrong"], "range": [palette.RIGHT, palette.WRONG]},
        "legend": None,  # the ✓/✗ words say it
    }
    tooltip = [
        {"field": "answer", "type": "nominal"},
        {"field": "students", "type": "quantitative"},
        {"field": "verdict", "type": "nominal"},
        {"field": "slip", "type": "nominal", "title": "likely slip"},
    ]
    bars_layer = {
        "mark": {"type": "bar", "height": BAR_HEIGHT_PX * 0.7},
        "encoding": {"y": y, "x": x, "color": colour, "tooltip": tooltip},
    }
    text_layer = {
        "mark": {"type": "text", "align": "left", "dx": 6, "fontSize": 13, "color": vega.THEME_TEXT},
        "encoding": {"y": y, "x": x, "text": {"field": "label", "type": "nominal"}},
    }
    return {
        "$schema": vega.SCHEMA,
        "datasets": {DATA: data},
        "data": {"name": DATA},
        "title": title,
        "height": BAR_HEIGHT_PX * max(len(bars), 1),
        "layer": [bars_layer, text_layer],
        # Fill the column's width, keep a row per answer: Streamlit would otherwise fit the height too.
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": vega.base_config(),
    }


def spread_description(bars: Sequence[Bar], number: int) -> str:
    """The chart in one sentence, for its ``alt`` text: "Answers to question 2, 7 students: 14
    (right) 4; 15 (wrong, the +1 forgotten) 2; 16 (wrong) 1."."""
    total = sum(bar.count for bar in bars)
    parts = []
    for bar in bars:
        verdict = "right" if bar.correct else ("wrong, " + bar.slip if bar.slip else "wrong")
        parts.append(f"{bar.answer} ({verdict}) {bar.count}")
    who = f"{total} student{'s' if total != 1 else ''}"
    return f"Answers to question {number + 1}, {who}: " + "; ".join(parts) + "."


def spread_table(bars: Sequence[Bar]) -> pd.DataFrame:
    """The chart as a table: answer, students, right or wrong, likely slip."""
    frame = spread_frame(bars)
    return frame[["answer", "students", "verdict", "slip"]].rename(columns={"slip": "likely slip"})
