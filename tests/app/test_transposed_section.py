"""The Convolution page's transposed-convolution section, its Python side: the explorer's data,
and the Keras line and link of the settings the learner settles on. The explorer itself runs in
the browser: tests/e2e/test_explorers.py."""

from __future__ import annotations

from tests.app.conftest import explorer_data, settle, url_param

PAGE = "app_pages/convolution.py"


def keras_lines(at) -> list[str]:
    return [c.value for c in at.code if c.value.startswith("layers.Conv2DTranspose")]


def test_the_section_sends_its_explorer_the_defaults_and_writes_the_keras_line(page):
    assert any(h.value.startswith("Transposed convolution") for h in page.subheader)
    data = explorer_data(page, "transposed")
    assert data["settings"] == {
        "tconv_size": 7,
        "tconv_kernel": 3,
        "tconv_stride": 2,
        "tconv_padding": "same",
        "tconv_output_padding": "none",
        "tconv_pixel": 0,
    }
    assert data["output_paddings"] == ["none", 0, 1, 2]
    assert keras_lines(page) == ['layers.Conv2DTranspose(24, (3, 3), strides=2, padding="same")']


def test_settled_settings_move_the_keras_line_and_the_link(page):
    settle(page, "transposed", tconv_stride=3, tconv_padding="valid", tconv_output_padding=1)
    assert keras_lines(page) == [
        'layers.Conv2DTranspose(24, (3, 3), strides=3, padding="valid", output_padding=1)'
    ]
    assert (url_param(page, "tconv_stride"), url_param(page, "tconv_output_padding")) == ("3", "1")


def test_a_refused_output_padding_says_so_under_the_line(page):
    settle(page, "transposed", tconv_output_padding=2)  # stride 2: Keras refuses 2
    line, refusal = keras_lines(page)[0].split("\n")
    assert line.endswith("output_padding=2)") and "must be smaller than the stride (2)" in refusal
    assert not page.exception


def test_the_convolutions_explorer_and_the_sections_settle_apart(page):
    settle(page, "transposed", tconv_kernel=5)
    settle(page, "convolution", conv_kernel=2)
    assert "(5, 5)" in keras_lines(page)[0] and page.code[0].value.startswith("layers.Conv2D(24, (2, 2)")
