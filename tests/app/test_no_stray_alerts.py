"""No alert the app did not put there: no library deprecation notice, no exception, on any page.

A Streamlit deprecation (e.g. passing savefig keywords to ``st.pyplot``) is drawn in the page as
an ``st.warning`` and always logged by ``streamlit.deprecation_util``; both are caught here, on
every page the router lists, on the Training page with a finished run, and on every tab of
Predictions with a model. Every alert that remains must be one of the app's own sentences: none
of Streamlit's wording ("deprecated", "will be removed", "st.").
"""

from __future__ import annotations

import logging

import pytest

from cnn_core import pretrained
from cnn_core.protocol import ModelRef
from tests.app.conftest import open_app_page, settle
from tests.app.test_training_page import button
from ui.common import TRAINED_MODEL_KEY, TrainedModel
from ui.navigation import PAGES

# Words of Streamlit's own notices that no sentence of this app uses.
LIBRARY_WORDS = ("deprecat", "will be removed", "st.", "use_container_width", "savefig")


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def deprecations():
    """What Streamlit logs as deprecated while the test runs (it logs every one, shown or not)."""
    logger = logging.getLogger("streamlit.deprecation_util")
    recorder = Recorder()
    logger.addHandler(recorder)
    yield recorder.messages
    logger.removeHandler(recorder)


def alerts(at) -> list[str]:
    return [a.value for kind in ("warning", "error", "info", "success") for a in getattr(at, kind)]


def assert_only_own_alerts(at, deprecations: list[str]) -> None:
    assert not at.exception, [e.value for e in at.exception]
    stray = [text for text in alerts(at) if any(w in text.lower() for w in LIBRARY_WORDS)]
    assert not stray, stray
    assert not deprecations, deprecations


@pytest.mark.parametrize("info", PAGES, ids=[p.title for p in PAGES])
def test_every_page_opens_with_no_library_notice(info, deprecations):
    assert_only_own_alerts(open_app_page(info.path), deprecations)


def test_a_finished_run_on_the_training_page_shows_no_library_notice(trainers, deprecations):
    at = open_app_page("app_pages/training.py")
    button(at, "Start training").click().run()
    trainers[0].finish(test_accuracy=0.9)
    at.run()
    assert at.get("imgs") or at.get("image")  # the learning-curve figure was drawn
    assert_only_own_alerts(at, deprecations)


@pytest.fixture(scope="module")
def tiny() -> TrainedModel:
    """A model handed over as the Training page does (the shipped network: no training needed)."""
    return TrainedModel(ModelRef.of(pretrained.model_path("mnist")), "mnist", "handed-over test model")


@pytest.mark.parametrize("tab", ["Prediction grid", "Confusion matrix", "Draw a digit", "Look inside"])
def test_every_predictions_tab_with_a_model_shows_no_library_notice(tiny, tab, deprecations):
    at = open_app_page("app_pages/predictions.py", **{TRAINED_MODEL_KEY: tiny})
    at.session_state["pred_tab"] = tab
    at.run()
    assert_only_own_alerts(at, deprecations)


@pytest.fixture
def streamlit_warnings():
    """What Streamlit's widget and chart code logs as a warning while the test runs (a widget
    given a default and a session value, a chart whose alt text overrides its description)."""
    recorder = Recorder()
    loggers = [
        logging.getLogger(name)
        for name in ("streamlit.elements.lib.policies", "streamlit.elements.vega_charts")
    ]
    for logger in loggers:
        logger.addHandler(recorder)
    yield recorder.messages
    for logger in loggers:
        logger.removeHandler(recorder)


def test_the_convolution_pages_controls_log_no_streamlit_warning(streamlit_warnings):
    at = open_app_page("app_pages/convolution.py")
    settle(at, "convolution", conv_kernel=5)
    settle(at, "transposed", tconv_stride=3)
    at.toggle(key="exact").set_value(True).run()  # Type exact values: the explorers are told
    at.toggle(key="exact").set_value(False).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not streamlit_warnings, streamlit_warnings
