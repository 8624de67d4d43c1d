"""The figures' colours: Okabe–Ito's colour-blind-safe set, and the contrast they must reach.

Categorical colours come from Okabe & Ito (2008), told apart with every common colour-vision
deficiency; sequential ones are luminance ramps (viridis, or grey for pixel values), which every
viewer reads the same way. Right and wrong are also told by a mark (✓/✗), never by hue alone.
A Vega chart sits on the page's background (light or dark); a matplotlib figure on white paper.
"""

from __future__ import annotations

BLUE = "#0072B2"
VERMILLION = "#D55E00"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"  # Okabe–Ito's bluish green
PURPLE = "#CC79A7"  # reddish purple
GREY = "#999999"
YELLOW = "#F0E442"
WHITE = "#ffffff"
# Okabe–Ito's hues without its black and yellow (unreadable on a dark or a light page), in the
# order categories take them.
CATEGORIES = (ORANGE, SKY_BLUE, GREEN, BLUE, VERMILLION, PURPLE)

RIGHT = BLUE  # a right answer: bars, the accuracy bars
WRONG = VERMILLION  # a wrong answer: the predicted bar of a mistake, the overall-accuracy rule
RIGHT_TEXT = BLUE  # caption text on white paper (5.2:1)
WRONG_TEXT = "#B84A00"  # vermillion darkened for text on white paper (5.2:1; #D55E00 is 3.9:1)
RIGHT_MARK, WRONG_MARK = "✓", "✗"
OTHER = "#777777"  # the tutorial's grey for the bars of classes neither predicted nor true

# Greys for lines and text on white paper (matplotlib figures, the confusion matrix's cells).
INK = "#222222"  # frames of images and bars, counts written in light cells
LABEL_TEXT = "#333333"  # tick digits and class names under the prediction grid
NOTE_TEXT = "#555555"  # notes beside a drawing: the model's arrows, learning-rate changes
QUIET_TEXT = "#666666"  # the prediction grid's "#i" titles, quieter than the captions
CELL_LINE = "#e6e6e6"  # the confusion matrix's grid lines between cells
CHOSEN_OUTLINE = "#111111"  # the outline of the confusion matrix's chosen cell

PAPER = WHITE  # a matplotlib figure's background
# Streamlit 1.67's app backgrounds, where a Vega chart is drawn (light, dark).
BACKGROUNDS = {"light": WHITE, "dark": "#171614"}
# The app's text colours (.streamlit/config.toml), for text marks Streamlit does not colour.
THEME_TEXT_COLOURS = {"light": "#111111", "dark": "#edebe8"}
GRAPHICS_CONTRAST = 3.0  # WCAG 1.4.11: a bar, line or mark against what it sits on
TEXT_CONTRAST = 4.5  # WCAG 1.4.3: body-size text


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance (0 black – 1 white) of a ``#rrggbb`` colour."""
    h = colour.lstrip("#")
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours, from 1 (same) to 21 (black on white)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
