"""url_state.slider / number_input: a control's bounds come from its URL parameter, stated once."""

import pytest
from streamlit.testing.v1 import AppTest


def bounded_page():
    import streamlit as st

    from ui import url_state

    settings = {
        "size": url_state.Int(7, 3, 28),
        "step": url_state.Int(0, 0, 99),
        "seed": url_state.Int(5, 0, 999),
    }
    url_state.bind(settings)
    url_state.slider("Input size", "size", settings)
    url_state.slider("Step", "step", settings, max_value=st.session_state["size"] - 1)
    url_state.number_input("Seed", "seed", settings)
    st.markdown(f"size={st.session_state['size']} seed={st.session_state['seed']}")


def run(**query):
    at = AppTest.from_function(bounded_page, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_the_bounds_and_the_default_come_from_the_parameter():
    at = run()
    size, step = at.slider(key="size"), at.slider(key="step")
    assert (size.min, size.max, size.value) == (3, 28, 7)
    assert (step.min, step.max) == (0, 6)  # lowered by max_value, never raised above 99
    seed = at.number_input(key="seed")
    assert (seed.min, seed.max, seed.value) == (0, 999, 5)


def test_a_link_sets_the_value_within_the_same_bounds():
    at = run(size="20", seed="998")
    assert at.slider(key="size").value == 20 and at.slider(key="step").max == 19
    assert at.number_input(key="seed").value == 998
    assert not at.warning
    at = run(size="29")  # one past the parameter's top: refused, with a notice
    assert at.slider(key="size").value == 7 and "size=29" in at.warning[0].value


def test_a_hidden_control_is_not_drawn_but_its_linked_value_applies():
    at = run(size="12", hide="size,seed")
    assert [s.key for s in at.slider] == ["step"] and not at.number_input
    assert "size=12 seed=5" in at.markdown[0].value and at.slider(key="step").max == 11


def test_only_a_whole_number_parameter_has_bounds():
    from ui import url_state

    with pytest.raises(TypeError, match="Int parameter"):
        url_state._top(url_state.Bool(False), None)
