"""CSS the theme settings in .streamlit/config.toml cannot express: visible focus, readable code,
and a progress bar that steps rather than glides (its glide kept Chromium repainting on the cores
that train).

Streamlit 1.67 colours code tokens from a fixed palette (numbers 2.5:1, strings 2.8:1 on the light
code background) and draws faint focus rings; neither is a theme option. Every rule below derives
its colour from the element's own text colour (`currentColor`, via `color-mix`), so the same CSS
reaches >= 4.5:1 in the light and the dark theme alike, whichever the viewer's setting picks.
"""

from __future__ import annotations

import streamlit as st

from cnn_core.figures import palette

# Share of the hue in a code token's colour; the rest is the code block's text colour, which
# pulls the hue towards contrast on either theme's code background (>= 4.5:1 at 50 %).
TOKEN_HUE_SHARE = 50
TOKEN_HUES = {  # Prism token classes Streamlit emits -> a hue (Okabe-Ito where it fits)
    "keyword, .token.tag, .token.function, .token.class-name, .token.selector": palette.BLUE,
    "string, .token.char, .token.attr-value, .token.inserted": palette.GREEN,
    "number, .token.regex, .token.boolean, .token.constant, .token.symbol": palette.PURPLE,
    "operator, .token.entity, .token.decorator, .token.atrule": palette.VERMILLION,
    "attr-name, .token.property, .token.variable, .token.url": palette.SKY_BLUE,
    "important, .token.deleted": palette.VERMILLION,
}
FOCUS_RING_PX = 3  # WCAG 2.4.13 asks for a ring at least 2 px thick; 3 px reads at a glance


def theme_css() -> str:
    """The app's extra CSS as one <style> element: code token colours, focus rings, disabled labels,
    reflow on a phone, image edges, progress bars without motion."""
    tokens = "\n".join(
        f'[data-testid="stCode"] .token.{classes} '
        f"{{ color: color-mix(in srgb, {hue} {TOKEN_HUE_SHARE}%, currentColor) !important; }}"
        for classes, hue in TOKEN_HUES.items()
    )
    return f"""<style>
/* Code: comments and punctuation in the block's own text colour, comments kept italic. */
[data-testid="stCode"] .token.comment, [data-testid="stCode"] .token.prolog,
[data-testid="stCode"] .token.punctuation, [data-testid="stCode"] .token.unchanged {{
  color: inherit !important;
}}
{tokens}
/* Focus: a solid ring in the text colour on every control the keyboard reaches. */
a:focus-visible, button:focus-visible, [role="slider"]:focus-visible, [role="tab"]:focus-visible,
input:focus-visible, textarea:focus-visible, [tabindex]:focus-visible,
[data-testid="stSidebarNav"] a:focus-visible,
[data-focus-visible="true"] {{  /* a slider thumb: its focused input element is visually hidden */
  outline: {FOCUS_RING_PX}px solid currentColor !important;
  outline-offset: 2px !important;
}}
/* A disabled widget's label stays readable (the control itself shows that it is disabled). */
label[data-testid="stWidgetLabel"][disabled] {{
  color: color-mix(in srgb, currentColor 80%, transparent) !important;
}}
label[data-testid="stWidgetLabel"][disabled] * {{ color: inherit !important; }}
/* Reflow at 390 px (WCAG 1.4.10): a chart drawn on a canvas at a fixed pixel size shrinks to its
   column like an image, keeping its aspect ratio, instead of pushing the page sideways. */
.stVegaLiteChart.vega-embed {{ max-width: 100%; }}
.stVegaLiteChart canvas.marks {{ max-width: 100% !important; height: auto !important; }}
/* On a phone every code block wraps its long lines rather than scroll sideways. */
@media (max-width: 640px) {{
  [data-testid="stCode"] pre, [data-testid="stCode"] code {{
    white-space: pre-wrap !important; overflow-wrap: anywhere;
  }}
}}
/* A displayed formula wider than its column breaks after a relation or an operator, as inline
   KaTeX does, instead of scrolling in a region the keyboard cannot reach (the pixel or two a
   wrapped line may still stick out is shown, not made a scroll region). */
.katex-display {{ overflow: visible !important; }}
.katex-display > .katex {{ white-space: normal !important; }}
.katex-display > .katex > .katex-html > .base {{ margin: 0.2em 0; }}
/* Matplotlib figures keep their white paper: their labels are dark text drawn for white, and no
   one text colour reaches 4.5:1 on both themes' backgrounds. A hairline edge in the text colour
   sets the sheet off the dark background instead. */
[data-testid="stImage"] img {{
  border: 1px solid color-mix(in srgb, currentColor 35%, transparent); border-radius: 4px;
}}
/* A progress bar steps to its new value. It would glide there over 0.5 s: a live run's bar
   changes every second, so Chromium would repaint half the time, about 0.06 of a core of the
   ones that train (docs/benchmarks.md). */
[data-testid="stProgress"] * {{ transition: none !important; animation: none !important; }}
</style>"""


def apply_theme() -> None:
    """Add the CSS to the page; call once per run from the router (style-only HTML takes no space)."""
    st.html(theme_css())
