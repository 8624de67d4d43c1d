"""The Convolution page's transposed-convolution section: a student sets I, K, S, padding and output
padding, reads the size formula with those numbers, and follows one input pixel's stamp."""

from __future__ import annotations

import json

from tests.app.conftest import loads_tensorflow, url_param

PAGE = "app_pages/convolution.py"


def latex(at) -> list[str]:
    return [e.value.strip("$\n") for e in at.latex]


def output(at) -> str:
    return next(m.value for m in at.metric if m.label == "Transposed output")


def section_spec(at) -> dict:
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if "vconcat" in spec:
            return spec
    raise AssertionError("no transposed figure on the page")


def markdown(at) -> str:
    return "\n".join(e.value for kind in ("markdown", "caption", "warning", "error") for e in getattr(at, kind))


def test_the_section_opens_on_7x7_stride_2_same_giving_14x14(page):
    assert any(h.value.startswith("Transposed convolution") for h in page.subheader)
    assert r"= 7 \cdot 2 = \mathbf{14}" in latex(page)
    assert output(page) == "14×14"
    assert "**7 → 14**" in markdown(page) and "checkerboard" in markdown(page)
    assert any('layers.Conv2DTranspose(24, (3, 3), strides=2, padding="same")' == c.value for c in page.code)
    assert section_spec(page)["vconcat"][1]["title"].startswith("Output 14×14")


def test_the_formula_follows_the_controls(page):
    page.slider(key="tconv_stride").set_value(3).run()
    assert r"= 7 \cdot 3 = \mathbf{21}" in latex(page) and output(page) == "21×21"
    assert url_param(page, "tconv_stride") == "3"
    page.radio(key="tconv_padding").set_value("valid").run()
    assert r"= (7 - 1) \cdot 3 + \max(3, 3) = 18 + 3 = \mathbf{21}" in latex(page)
    page.slider(key="tconv_kernel").set_value(5).run()
    assert output(page) == "23×23" and "plus 2 at the border" in markdown(page)
    page.selectbox(key="tconv_output_padding").set_value(1).run()
    assert r"= (7 - 1) \cdot 3 + 5 + 1 = \mathbf{24}" in latex(page)
    assert not page.exception


def test_a_refused_output_padding_is_a_sentence_not_a_traceback(page):
    page.selectbox(key="tconv_output_padding").set_value(2).run()  # stride 2: Keras refuses 2
    assert not page.exception
    assert any("smaller than the stride (2)" in e.value for e in page.error)
    page.slider(key="tconv_kernel").set_value(4).run()
    page.selectbox(key="tconv_output_padding").set_value(0).run()  # even K, 'same', 0: TF refuses to run it
    assert output(page) == "12×12"
    assert any("TensorFlow refuses to run the layer" in w.value for w in page.warning)
    assert not page.exception


def test_the_pixel_slider_moves_the_stamp_and_stays_inside_a_smaller_input(page):
    page.slider(key="tconv_pixel").set_value(48).run()  # (6, 6) of 7×7
    assert "rows 12…13 and columns 12…13 (cropped" in markdown(page)
    page.slider(key="tconv_size").set_value(3).run()
    assert page.session_state["tconv_pixel"] == 8 and "Input 3×3: pixel (row 2, column 2)" in json.dumps(section_spec(page), ensure_ascii=False)
    assert not page.exception


def test_a_link_with_tconv_parameters_opens_the_section_set(open_page):
    at = open_page(PAGE, query={"tconv_size": "4", "tconv_kernel": "2", "tconv_stride": "3",
                                "tconv_padding": "valid", "tconv_pixel": "5"})
    assert not at.exception
    assert r"= (4 - 1) \cdot 3 + \max(2, 3) = 9 + 3 = \mathbf{12}" in latex(at)
    assert "**(row 1, column 1)**" in markdown(at) and "do not touch" in markdown(at)
    bad = open_page(PAGE, query={"tconv_stride": "9"})
    assert any("tconv_stride=9" in w.value for w in bad.warning) and output(bad) == "14×14"


def test_moving_the_sections_controls_never_imports_tensorflow():
    assert not loads_tensorflow(PAGE, "at.slider(key='tconv_kernel').set_value(4).run(); "
                                      "at.radio(key='tconv_padding').set_value('valid').run()")


def test_the_pages_share_link_carries_the_sections_settings(page):
    from ui import url_state

    page.slider(key="tconv_stride").set_value(3).run()
    page.session_state[url_state.SHARE_BOX] = True  # the student opens "Copy a link to this view"
    page.run()
    link = next(c.value for c in page.code if "?" in c.value)
    assert "tconv_stride=3" in link
