"""The Convolution page's Python side: what it sends the explorer, and what it writes from the
settings the learner settles on (the Keras line, the address bar). The explorer itself (its
controls, formula, window and feature map) runs in the browser: tests/e2e/test_explorers.py."""

from __future__ import annotations

from cnn_core import kernels
from tests.app.conftest import ROOT, explorer_data, loads_tensorflow, settle, url_param

PAGE = "app_pages/convolution.py"
DEFAULTS = {
    "conv_size": 7,
    "conv_kernel": 3,
    "conv_stride": 1,
    "conv_padding_mode": "valid",
    "conv_pad": 1,
    "conv_dilation": 1,
    "conv_step": 0,
    "conv_filter": "vertical edge",
    "conv_dataset": "mnist",
    "conv_class": 0,
    "conv_example": 0,
}


def keras_line(at) -> str:
    return at.code[0].value


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


# --- Opening the page ---------------------------------------------------------------------------


def test_the_page_sends_the_explorer_its_defaults_bounds_kernels_and_images(page):
    assert page.title[0].value.startswith("Convolution")
    data = explorer_data(page, "convolution")
    assert data["settings"] == DEFAULTS
    assert data["bounds"]["conv_size"] == [3, 28] and data["bounds"]["conv_kernel"] == [1, 7]
    assert data["kernels"]["blur"]["3"] == kernels.named_kernel("blur", 3).tolist()
    assert [d["name"] for d in data["datasets"]] == ["mnist", "fashion_mnist"]
    assert data["datasets"][1]["classes"][9] == "Ankle boot" and data["datasets"][0]["sprite"].startswith(
        "data:image/png;base64,"
    )
    assert not data["exact"] and data["hidden"] == []
    assert keras_line(page) == 'layers.Conv2D(24, (3, 3), strides=1, padding="valid")'


def test_the_page_never_imports_tensorflow():
    assert not loads_tensorflow("app_pages/convolution.py", "at.switch_page('app_pages/pooling.py').run()")


# --- The learner settles on a setting --------------------------------------------------------------


def test_settled_settings_move_the_keras_line_and_the_address_bar(page):
    settle(page, "convolution", conv_size=12, conv_stride=2, conv_padding_mode="same")
    assert keras_line(page) == 'layers.Conv2D(24, (3, 3), strides=2, padding="same")'
    assert [url_param(page, k) for k in ("conv_size", "conv_stride", "conv_padding_mode", "conv_kernel")] == [
        "12",
        "2",
        "same",
        None,
    ]  # a default stays out of the link


def test_the_explorers_own_values_are_not_sent_back_to_it(page):
    """Sending the browser its own report again would reset a control the learner is moving."""
    before = explorer_data(page, "convolution")
    settle(page, "convolution", conv_kernel=5)
    after = explorer_data(page, "convolution")
    assert after["revision"] == before["revision"] and after["settings"] == before["settings"]
    assert "(5, 5)" in keras_line(page)


def test_explicit_padding_and_a_refused_combination_show_in_the_keras_line(page):
    settle(page, "convolution", conv_padding_mode="explicit", conv_pad=2)
    assert keras_line(page).startswith("layers.ZeroPadding2D(2)\n")
    settle(page, "convolution", conv_padding_mode="valid", conv_stride=2, conv_dilation=2)
    line, refusal = keras_line(page).split("\n")
    assert "strides=2" in line and "dilation_rate=2" in line
    assert refusal.startswith("# ✗ Keras refuses this line: ValueError")


def test_a_report_outside_the_controls_bounds_is_dropped_not_trusted(page):
    settle(page, "convolution", conv_size=500, conv_kernel=4, conv_padding_mode="huge", conv_secret="x")
    assert page.session_state["conv_size"] == 7 and page.session_state["conv_padding_mode"] == "valid"
    assert "(4, 4)" in keras_line(page) and not page.exception


def test_a_report_is_applied_once(page):
    settle(page, "convolution", conv_kernel=5)
    button(page, "Show P = 2").click().run()  # the page sets the tutorial's case itself
    page.run()  # the browser's last report is still its state: it must not undo the button
    assert page.session_state["conv_pad"] == 2 and page.session_state["conv_kernel"] == 3


# --- Python changes the settings: the explorer is told --------------------------------------------


def test_the_tutorials_slip_buttons_put_their_case_on_the_explorer(page):
    revision = explorer_data(page, "convolution")["revision"]
    button(page, "Show P = 2").click().run()
    data = explorer_data(page, "convolution")
    assert data["revision"] == revision + 1
    assert {
        k: data["settings"][k] for k in ("conv_size", "conv_kernel", "conv_padding_mode", "conv_pad")
    } == {"conv_size": 28, "conv_kernel": 3, "conv_padding_mode": "explicit", "conv_pad": 2}
    assert keras_line(page).startswith("layers.ZeroPadding2D(2)")
    assert r"\neq 28" in page.latex[0].value


def test_an_instructors_link_opens_the_explorer_with_its_settings(open_page):
    at = open_page(
        PAGE,
        query={
            "conv_size": "12",
            "conv_stride": "2",
            "conv_padding_mode": "same",
            "hide": "conv_stride,conv_dilation",
            "exact": "1",
        },
    )
    assert not at.exception
    data = explorer_data(at, "convolution")
    assert (data["settings"]["conv_size"], data["settings"]["conv_stride"]) == (12, 2)
    assert data["hidden"] == ["conv_dilation", "conv_stride"] and data["exact"]
    assert keras_line(at) == 'layers.Conv2D(24, (3, 3), strides=2, padding="same")'


def test_a_tampered_link_opens_the_defaults_with_a_notice(open_page):
    at = open_page(PAGE, query={"conv_size": "999", "conv_filter": "<script>"})
    assert not at.exception
    assert "were not valid and were reset to their defaults" in at.warning[0].value
    assert explorer_data(at, "convolution")["settings"] == DEFAULTS


def test_coming_back_to_the_page_shows_the_settled_settings():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.switch_page(PAGE).run()
    settle(at, "convolution", conv_kernel=5, conv_class=4)
    at.switch_page("app_pages/pooling.py").run()
    at.switch_page(PAGE).run()
    data = explorer_data(at, "convolution")
    assert (data["settings"]["conv_kernel"], data["settings"]["conv_class"]) == (5, 4)


# --- The rest of the page -------------------------------------------------------------------------


def test_the_tutorials_shape_chain_ends_in_7x7x36(page):
    table = page.table[0].value
    assert list(table["Output shape"])[:5] == ["28×28×1", "28×28×24", "14×14×24", "14×14×36", "7×7×36"]


def test_the_share_link_carries_the_settled_settings(page):
    settle(page, "convolution", conv_kernel=5)
    page.session_state["_url_state_box"] = True  # the student opens "Copy a link to this view"
    page.run()
    share = next(c.value for c in page.code if "?" in c.value)
    assert "conv_kernel=5" in share
