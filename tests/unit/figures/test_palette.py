"""The figures' colours reach WCAG contrast on what they sit on, in the light and the dark theme,
and the figure modules draw right/wrong and categories in them (not in the old blue/red)."""

import re
from pathlib import Path

import pytest

from cnn_core.figures import palette

FIGURES = Path(palette.__file__).parent


def test_contrast_ratio_matches_wcag():
    assert palette.contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert palette.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert palette.contrast_ratio("#ffffff", "#ffffff") == 1


@pytest.mark.parametrize("scheme", sorted(palette.BACKGROUNDS))
@pytest.mark.parametrize(
    "colour", [palette.BLUE, palette.VERMILLION, palette.GREEN, palette.RIGHT, palette.WRONG]
)
def test_chart_colours_stand_out_from_either_theme_background(colour, scheme):
    """Bars, lines and marks of a Vega chart on the page (WCAG 1.4.11, >= 3:1)."""
    assert palette.contrast_ratio(colour, palette.BACKGROUNDS[scheme]) >= palette.GRAPHICS_CONTRAST


@pytest.mark.parametrize("colour", [palette.RIGHT_TEXT, palette.WRONG_TEXT])
def test_caption_text_is_readable_on_the_figures_white_paper(colour):
    assert palette.contrast_ratio(colour, palette.PAPER) >= palette.TEXT_CONTRAST


@pytest.mark.parametrize("colour", [palette.RIGHT, palette.WRONG, palette.GREEN])
def test_bars_and_lines_stand_out_on_white_paper(colour):
    """The prediction grid's bars, the learning curve's lines (matplotlib, white background)."""
    assert palette.contrast_ratio(colour, palette.PAPER) >= palette.GRAPHICS_CONTRAST


def test_no_figure_uses_the_old_non_safe_colours():
    old = {"#1f5fbf", "#d62728", "#4c78a8", "#f58518", "#54a24b", "#e45756", "#1f77b4", "#2ca02c", "#ea580c"}
    for path in FIGURES.glob("*.py"):
        found = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}", path.read_text())} & old
        assert not found, f"{path.name} still uses {found}"
