"""The Convolution page: a student moves the sliders and reads formula (1.1) with their numbers."""

from __future__ import annotations

import json

from tests.app.conftest import ROOT, loads_tensorflow

PAGE = "app_pages/convolution.py"


def set_sliders(at, **values):
    """Move the sliders named by key (conv_size=..., ...) one by one, as a user would."""
    for key, value in values.items():
        at.slider(key=key).set_value(value).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_titles(at) -> list[str]:
    """Every title the charts show: the views' own, and those drawn from a "..._title" dataset."""
    import pyarrow as pa

    titles = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        titles += [view.get("title") for view in spec.get("hconcat", [])] + [spec.get("title")]
        for dataset in element.proto.datasets:
            if dataset.name.endswith("_title"):
                titles += list(pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()["title"])
    return [t for t in titles if t]


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def text(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "warning", "success", "error", "info") for e in getattr(at, kind)]
    return "\n".join(parts + [latex.value for latex in at.latex])


# --- Opening the page ---------------------------------------------------------------------------


def test_the_page_opens_on_a_7x7_input_and_a_3x3_kernel_giving_5x5(page):
    assert page.title[0].value.startswith("Convolution")
    assert metrics(page)["Output"] == "5×5"
    assert r"\dfrac{7 - 3 + 2 \cdot 0}{1}" in text(page)
    assert "Input 7×7" in chart_titles(page) and "Output 5×5" in chart_titles(page)


def test_the_page_never_imports_tensorflow():
    assert not loads_tensorflow("app_pages/convolution.py", "at.switch_page('app_pages/pooling.py').run()")


# --- Moving the sliders ----------------------------------------------------------------------------


def test_a_stride_that_does_not_divide_shows_the_floor_and_the_uncovered_column(page):
    set_sliders(page, conv_size=8, conv_stride=2)
    assert metrics(page)["Output"] == "3×3"
    assert r"\lfloor 2.5 \rfloor" in text(page)
    warning = page.warning[0].value
    assert "never covered" in warning and "1 real pixel" in warning


def test_same_padding_shows_the_asymmetric_split_for_an_even_kernel(page):
    page.radio(key="conv_padding_mode").set_value("same").run()
    set_sliders(page, conv_size=28, conv_kernel=4)
    assert metrics(page)["Output"] == "28×28"
    assert metrics(page)["Padding"] == "1 + 2"
    assert "asymmetric" in text(page) and "split 1 before and 2 after" in text(page)
    assert "Input 28×28, padded to 31×31" in chart_titles(page)


def test_explicit_padding_adds_zeros_and_says_how_to_write_it_in_keras(page):
    page.radio(key="conv_padding_mode").set_value("explicit").run()
    set_sliders(page, conv_pad=2)
    assert metrics(page)["Output"] == "9×9"
    assert "ZeroPadding2D(2)" in page.code[0].value


def test_dilation_widens_the_kernel_and_says_by_how_much(page):
    set_sliders(page, conv_size=9, conv_dilation=2)
    assert metrics(page)["Output"] == "5×5"
    assert "K + (K-1)(D-1) = 3 + 2 \\cdot 1 = 5" in text(page)
    assert "dilation_rate=2" in page.code[0].value


# --- Combinations that cannot work ---------------------------------------------------------------


def test_a_kernel_larger_than_the_input_explains_itself_instead_of_crashing(page):
    set_sliders(page, conv_size=5, conv_kernel=7)
    assert "7×7 kernel does not fit in a 5×5 input with no padding" in page.error[0].value
    assert "no output at all" in text(page)
    assert not page.get("vega_lite_chart") or "Input 5×5" not in chart_titles(page)
    assert page.info, "the window section says why it is empty"


def test_stride_with_dilation_is_refused_like_keras_with_a_way_out(page):
    set_sliders(page, conv_stride=2, conv_dilation=2)
    assert "stride of 2 together with a dilation of 2" in page.error[0].value
    assert "Set the stride or the dilation back to 1" in text(page)


def test_the_code_box_of_a_refused_setting_shows_the_refusal_not_a_line_to_copy(page):
    assert page.code[0].value == 'layers.Conv2D(24, (3, 3), strides=1, padding="valid")'
    set_sliders(page, conv_stride=2, conv_dilation=2)
    line, refusal = page.code[0].value.split("\n")
    assert "strides=2" in line and "dilation_rate=2" in line
    assert refusal.startswith("# ✗ Keras refuses this line: ValueError")
    set_sliders(page, conv_dilation=1)
    assert "✗" not in page.code[0].value


# --- The window, step by step ---------------------------------------------------------------------


def test_the_step_slider_moves_the_window_and_names_the_pixels_it_reads(page):
    set_sliders(page, conv_stride=2)  # 7x7, K=3, S=2 -> 3x3 outputs
    set_sliders(page, conv_step=4)
    described = text(page)
    assert "(row 1, column 1)" in described and "rows 2…4 and columns 2…4" in described


def test_play_advances_the_window_and_wraps_around(page):
    set_sliders(page, conv_stride=3)  # 7x7, K=3, S=3 -> 2x2 outputs: steps 0..3
    set_sliders(page, conv_step=3)
    page.toggle(key="conv_play").set_value(True).run()
    assert page.slider(key="conv_step").value == 0  # wrapped from the last cell to the first
    page.run()  # AppTest does not tick run_every; each run is one tick
    assert page.slider(key="conv_step").value == 1
    page.toggle(key="conv_play").set_value(False).run()
    page.run()
    assert page.slider(key="conv_step").value == 1, "nothing moves when not playing"


def test_a_faster_play_moves_several_windows_per_tick(page):
    page.select_slider(key="conv_speed").set_value(25).run()  # 7 windows per redraw, 0.28 s apart
    page.toggle(key="conv_play").set_value(True).run()
    assert page.slider(key="conv_step").value == 7
    page.run()  # one tick
    assert page.slider(key="conv_step").value == 14
    page.run()
    page.run()
    assert page.slider(key="conv_step").value == 24, "the last window of the 5×5 output is shown"
    page.run()
    assert page.slider(key="conv_step").value == 0, "then Play starts over"


def test_jump_to_the_end_of_the_row(page):
    set_sliders(page, conv_step=7)  # row 1 of the 5×5 output
    button(page, "Jump to the end of the row").click().run()
    assert page.slider(key="conv_step").value == 9
    assert "(row 1, column 4)" in text(page)
    button(page, "Jump to the end of the row").click().run()
    assert page.slider(key="conv_step").value == 14, "pressed again: the end of the next row"


def test_shrinking_the_output_keeps_the_step_inside_it(page):
    set_sliders(page, conv_step=24)  # the last of 5x5
    set_sliders(page, conv_stride=2)
    assert page.slider(key="conv_step").value == 8  # the last of 3x3


# --- The real feature map and the network ----------------------------------------------------------


def test_the_feature_map_has_the_shape_of_the_formula_on_the_28x28_image(page):
    page.selectbox(key="conv_filter").set_value("horizontal edge").run()
    assert "(28, 28, 1) → (26, 26, 1)" in text(page)
    page.radio(key="conv_padding_mode").set_value("same").run()
    set_sliders(page, conv_stride=2)
    assert "(28, 28, 1) → (14, 14, 1)" in text(page)
    assert "Feature map: 14×14×1" in chart_titles(page)
    page.radio(key="conv_dataset").set_value("fashion_mnist").run()
    page.selectbox(key="conv_class").set_value(9).run()
    assert not page.exception and any("Ankle boot" in t for t in chart_titles(page))


def test_the_tutorials_shape_chain_ends_in_7x7x36(page):
    table = page.table[0].value
    assert list(table["Output shape"])[:5] == ["28×28×1", "28×28×24", "14×14×24", "14×14×36", "7×7×36"]


def test_the_tutorials_padding_slip_can_be_tried_and_fixed(page):
    assert "30 \\neq 28" in text(page)
    button(page, "Show P = 2").click().run()
    assert metrics(page)["Output"] == "30×30"
    button(page, "Show P = 1").click().run()
    assert metrics(page)["Output"] == "28×28"


def test_an_instructors_link_opens_the_page_with_its_settings(open_page):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page(PAGE)
    at.query_params.update(conv_size="12", conv_stride="2", conv_padding_mode="same")
    at.run()
    assert not at.exception
    assert metrics(at)["Output"] == "6×6"
