"""WCAG 2.5.7: the sidebar's "Type exact values" turns every slider of the lesson into a bounded
number input (or a select box) with the same key, bounds and value, on every page."""

from streamlit.testing.v1 import AppTest

from tests.app.conftest import explorer_data, open_app_page
from ui import url_state


def bounded_page():
    import streamlit as st

    from ui import url_state

    settings = {"size": url_state.Int(7, 3, 28), "step": url_state.Int(0, 0, 99)}
    url_state.bind(settings)
    url_state.exact_entry_toggle()
    url_state.slider("Input size", "size", settings)
    url_state.slider("Step", "step", settings, max_value=st.session_state["size"] - 1)
    url_state.select_slider("Speed", [1, 2, 5, 10], "speed", value=2)
    st.markdown(f"size={st.session_state['size']} speed={st.session_state['speed']}")


def test_the_toggle_turns_sliders_into_number_inputs_with_the_same_bounds_and_value():
    at = AppTest.from_function(bounded_page, default_timeout=30).run()
    at.slider(key="size").set_value(12).run()
    assert [s.key for s in at.slider] == ["size", "step"] and at.select_slider(key="speed").value == 2
    at.toggle(key=url_state.EXACT_KEY).set_value(True).run()
    assert not at.slider and not at.select_slider
    size, step = at.number_input(key="size"), at.number_input(key="step")
    assert (size.min, size.max, size.value) == (3, 28, 12)  # the value survives the switch
    assert (step.min, step.max) == (0, 11)  # still lowered by max_value
    assert at.selectbox(key="speed").value == 2 and at.selectbox(key="speed").options == ["1", "2", "5", "10"]
    size.set_value(20).run()
    assert "size=20" in at.markdown[0].value
    at.toggle(key=url_state.EXACT_KEY).set_value(False).run()
    assert at.slider(key="size").value == 20


def test_a_link_with_exact_1_starts_with_number_inputs():
    at = AppTest.from_function(bounded_page, default_timeout=30)
    at.query_params[url_state.EXACT_KEY] = "1"
    at.run()
    assert not at.slider and at.number_input(key="size").max == 28


def test_the_explorers_are_told_to_offer_number_boxes():
    """The explorers draw their own controls in the browser: they get the choice in their data."""
    for path, names in (
        ("app_pages/convolution.py", ("convolution", "transposed")),
        ("app_pages/pooling.py", ("pooling",)),
    ):
        assert not any(explorer_data(open_app_page(path), name)["exact"] for name in names), path
        typed = open_app_page(path, **{url_state.EXACT_KEY: True})
        assert all(explorer_data(typed, name)["exact"] for name in names), path
        assert not typed.slider and not typed.select_slider, path


def test_the_training_settings_become_boxes():
    at = open_app_page("app_pages/training.py", **{url_state.EXACT_KEY: True})
    assert not at.slider and not at.select_slider
    assert {"train_lr", "train_batch"} <= {s.key for s in at.selectbox}
    assert "train_validation" in {n.key for n in at.number_input}
