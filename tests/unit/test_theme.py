"""The theme reaches WCAG AA contrast in light and dark: config colours, code tokens, focus rings.

The browser test (tests/e2e/test_accessibility.py) measures the rendered page with axe-core; these
check the arithmetic behind it without a browser, from .streamlit/config.toml and ui/theme.py.
"""

import re
import tomllib
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import theme

ROOT = Path(__file__).resolve().parents[2]
AA = 4.5  # WCAG 1.4.3, body-size text
CAPTION_ALPHA = 0.6  # st.caption and the sidebar status: text colour at 60 % (Streamlit's fadedText60)
# Streamlit 1.67's backgrounds: app, sidebar / widgets, code blocks (its frontend's defaults).
LIGHT = {"text": "#2f2d2b", "backgrounds": ["#ffffff", "#f8f8f7", "#f1f0ee", "#f7f7f6", "#fafafa"]}
DARK = {"text": "#edebe8", "backgrounds": ["#171614", "#21201d", "#2d2b27", "#1a1917", "#242321"]}


def rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))


def blend(front: str, back: str, alpha: float) -> tuple[float, float, float]:
    """`front` at `alpha` over `back` in sRGB, as CSS opacity and color-mix(in srgb) compute it."""
    return tuple(alpha * f + (1 - alpha) * b for f, b in zip(rgb(front), rgb(back)))


def contrast(a, b) -> float:
    """WCAG 2 contrast ratio of two colours (hex strings or sRGB triples in 0..1)."""

    def luminance(c):
        c = rgb(c) if isinstance(c, str) else c
        lin = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def config_theme() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]


def test_the_app_follows_the_viewers_light_or_dark_setting():
    assert "base" not in config_theme(), "a base would force one theme on every viewer"
    assert {"light", "dark"} <= set(config_theme())


def test_body_text_and_captions_reach_aa_on_every_background_in_both_themes():
    for name, defaults in [("light", LIGHT), ("dark", DARK)]:
        text = config_theme()[name].get("textColor", defaults["text"])
        for bg in defaults["backgrounds"]:
            assert contrast(text, bg) >= AA, (name, text, bg)
            caption = blend(text, bg, CAPTION_ALPHA)
            assert contrast(caption, bg) >= AA, (
                f"{name} caption {text}@60% on {bg}: {contrast(caption, bg):.2f}"
            )


def test_links_slider_values_and_inline_code_reach_aa():
    for name, defaults in [("light", LIGHT), ("dark", DARK)]:
        section = config_theme()[name]
        for key in ("linkColor", "primaryColor", "codeTextColor"):
            if key in section:
                worst = min(contrast(section[key], bg) for bg in defaults["backgrounds"][:3])
                assert worst >= AA, (name, key, worst)


def test_every_code_token_colour_reaches_aa_on_both_code_backgrounds():
    # color-mix(in srgb, hue S%, currentColor): the code block's text colour pulls each hue to contrast.
    share = theme.TOKEN_HUE_SHARE / 100
    for name, defaults in [("light", LIGHT), ("dark", DARK)]:
        section = config_theme()[name]
        text = section.get("codeTextColor", section.get("textColor", defaults["text"]))
        for hue in theme.TOKEN_HUES.values():
            h, t = rgb(hue), rgb(text)
            token = tuple(share * a + (1 - share) * b for a, b in zip(h, t))
            for bg in defaults["backgrounds"][3:]:
                assert contrast(token, bg) >= AA, (name, hue, bg, contrast(token, bg))


def test_the_css_is_one_style_element_with_a_focus_ring_and_every_token_class():
    css = theme.theme_css()
    assert css.startswith("<style>") and css.endswith("</style>") and css.count("<style>") == 1
    assert re.search(r":focus-visible[^{]*\{[^}]*outline: [2-9]px solid currentColor", css)
    assert '[data-focus-visible="true"]' in css, "slider thumbs show focus on the thumb, not a hidden input"
    for classes in theme.TOKEN_HUES:
        assert f".token.{classes} " in css
    assert css.count("{") == css.count("}")
    body = css.removeprefix("<style>").removesuffix("</style>")
    assert "<" not in body, "the browser's HTML sanitizer drops a <style> whose text looks like a tag"


def test_apply_theme_sends_the_css_without_taking_space_on_the_page():
    def app():
        from ui.theme import apply_theme

        apply_theme()

    at = AppTest.from_function(app)
    at.run()
    assert not at.exception
    assert [h.proto.body for h in at.html] == [theme.theme_css()]
    assert not at.main.children, "style-only HTML goes to the event container, not the page"
