"""Instructor links: settings travel in the URL, tampered links fall back with a notice."""

from streamlit.testing.v1 import AppTest

from tests.app.conftest import url_param


def page_script():
    import streamlit as st

    from ui import url_state

    settings = {
        "size": url_state.Int(28, 3, 64),
        "padding": url_state.Choice("valid", ["valid", "same"]),
        "rate": url_state.Float(0.01, 1e-5, 1.0),
        "show": url_state.Bool(False),
    }
    url_state.bind(settings)
    if url_state.shown("size"):
        st.slider("Input size", 3, 64, key="size")
    st.radio("Padding", ["valid", "same"], key="padding")
    st.number_input("Rate", 1e-5, 1.0, key="rate", format="%g")
    st.checkbox("Show", key="show")
    st.markdown(f"size={st.session_state['size']} padding={st.session_state['padding']}")
    url_state.share_box(settings)


def run(**query):
    at = AppTest.from_function(page_script, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_a_link_restores_every_setting():
    at = run(size="12", padding="same", rate="0.001", show="1")
    assert not at.exception
    assert at.slider[0].value == 12 and at.radio[0].value == "same"
    assert at.number_input[0].value == 0.001 and at.checkbox[0].value is True
    assert not at.warning


def test_moving_a_control_updates_the_url_with_only_what_differs_from_defaults():
    at = run()
    at.slider[0].set_value(20).run()
    assert url_param(at, "size") == "20"
    assert "padding" not in at.query_params
    at.radio[0].set_value("same").run()
    assert url_param(at, "padding") == "same" and at.slider[0].value == 20


def test_a_tampered_link_falls_back_to_defaults_with_a_notice():
    at = run(size="9999", padding="<script>", rate="nan", show="maybe")
    assert not at.exception
    assert at.slider[0].value == 28 and at.radio[0].value == "valid"
    assert at.number_input[0].value == 0.01 and at.checkbox[0].value is False
    notice = at.warning[0].value
    assert "size=9999" in notice and "padding=<script>" in notice and "show=maybe" in notice


def test_a_link_can_hide_controls_and_still_set_them():
    at = run(size="14", hide="size")
    assert not at.slider  # hidden from the class
    assert "size=14" in at.markdown[0].value
    assert url_param(at, "hide") == "size"


def test_the_share_box_shows_the_link_with_the_current_settings():
    at = run(size="14")
    assert "size=14" in at.code[0].value


def test_hiding_controls_offers_no_select_all_that_would_hide_the_whole_lesson_in_one_click():
    at = run()
    hide = at.multiselect(key="_url_state_hide")
    assert hide.options == ["size", "padding", "rate", "show"] and hide.value == []
    # The proto's select_all: 0 never shows Streamlit's "Select all" (default: up to 1000 options).
    assert hide.proto.select_all == 0


def lazy_page_script():
    import streamlit as st

    from ui import url_state

    settings = {"size": url_state.Int(28, 3, 64)}
    url_state.bind(settings)
    st.slider("Input size", 3, 64, key="size")
    url_state.share_box(settings, lazy=True)


def test_a_lazy_share_box_builds_its_link_only_while_open():
    at = AppTest.from_function(lazy_page_script, default_timeout=30).run()
    assert len(at.expander) == 1 and not at.code and not at.multiselect  # closed: nothing to rebuild
    at.slider[0].set_value(14).run()
    assert not at.code
    at.session_state[url_state_box_key()] = True  # the student opens it
    at.run()
    assert "size=14" in at.code[0].value and at.multiselect(key="_url_state_hide").options == ["size"]


def url_state_box_key():
    from ui import url_state

    return url_state.SHARE_BOX_KEY
