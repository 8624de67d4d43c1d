"""Open a page of the app in-process, through the router, as a user's click would."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120  # the first page that imports TensorFlow pays ~4-10 s on a busy machine


def open_app_page(path: str, timeout: float = TIMEOUT_S, **session_state) -> AppTest:
    """Run the router, switch to ``path`` (e.g. "app_pages/convolution.py"), and return the AppTest.

    ``session_state`` entries are set before the page's first run.
    """
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=timeout)
    for key, value in session_state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(path)
    at.run()
    return at


@pytest.fixture
def open_page():
    return open_app_page
