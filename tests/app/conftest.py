"""Open a page of the app in-process, through the router, as a user's click would; the
``trainers`` fixture puts fake trainers (tests/app/fake_trainer.py) behind every run a page starts."""

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.fake_trainer import FakeTrainer

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120  # the first page that imports TensorFlow pays ~4-10 s on a busy machine


def open_app_page(
    path: str, timeout: float = TIMEOUT_S, query: dict[str, str] | None = None, **session_state
) -> AppTest:
    """Run the router, switch to ``path`` (e.g. "app_pages/convolution.py"), and return the AppTest.

    ``session_state`` entries are set before the page's first run. ``query`` goes in the URL
    before the first run, as a shared link does: Home binds nothing, so the router's first run
    leaves it alone, and AppTest keeps it across switch_page; the page then reads it as a fresh
    link.
    """
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=timeout)
    for key, value in session_state.items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(path)
    at.run()
    return at


def loads_tensorflow(path: str, steps: str = "") -> bool:
    """Whether TensorFlow or Keras is imported once ``path`` is opened through the router in a
    fresh Python process and ``steps`` (code that drives the AppTest ``at``) have run; a page
    exception fails the check."""
    code = "\n".join(
        [
            f"import sys; from tests.app.conftest import open_app_page; at = open_app_page({path!r})",
            steps,
            "assert not at.exception, at.exception",
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)",
        ]
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return out.stdout.strip().splitlines()[-1] == "True"


def url_param(at: AppTest, key: str) -> str | None:
    """A query parameter as the browser shows it (AppTest may hold a list), or None."""
    if key not in at.query_params:
        return None
    value = at.query_params[key]
    return value[0] if isinstance(value, list) else value


EXPLORER_KEYS = {"convolution": "conv_explorer", "pooling": "pool_explorer", "transposed": "tconv_explorer"}
_reports = itertools.count()


def explorer_data(at: AppTest, name: str) -> dict | None:
    """What the page sends the browser explorer ``name`` ("convolution", "pooling" or
    "transposed"): its data, settings and revision; None when the page does not show it.
    (AppTest sees a component as an element with its data; its JavaScript runs only in a browser.)"""
    for element in at.get("bidi_component"):
        if element.proto.component_name == f"cnn_explorer_{name}":
            return json.loads(element.proto.json)
    return None


def settle(at: AppTest, name: str, **values) -> AppTest:
    """What the browser sends once the learner's controls on explorer ``name`` rest: all its
    settings (those given here changed), in a report with an id of its own; then the run it causes."""
    current = {key: at.session_state[key] for key in explorer_data(at, name)["settings"]}
    at.session_state[EXPLORER_KEYS[name]] = {
        "settings": {"values": {**current, **values}, "id": f"t{next(_reports)}"}
    }
    return at.run()


@pytest.fixture
def open_page():
    return open_app_page


@pytest.fixture
def page_state() -> dict:
    """Session state set before the ``page`` fixture's first run; a test module overrides this
    fixture to hand the page something (e.g. a trained model)."""
    return {}


@pytest.fixture
def page(request, page_state) -> AppTest:
    """The test module's ``PAGE`` opened through the router, with ``page_state``, after a run
    that raised nothing.

    Another page: ``@pytest.mark.parametrize("page", ["app_pages/x.py"], indirect=True)``.
    """
    path = getattr(request, "param", None) or request.module.PAGE
    at = open_app_page(path, **page_state)
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def trainers(monkeypatch, tmp_path):
    """Every trainer the pages make (a FakeTrainer each), in order; a fresh registry and runs
    folder per test."""
    from ui import jobs

    made: list[FakeTrainer] = []

    def make(dataset, model_config, config, run_dir=None, resume_from=None):
        trainer = FakeTrainer(dataset, model_config, config, run_dir, resume_from)
        made.append(trainer)
        return trainer

    monkeypatch.setattr(jobs, "make_trainer", make)
    monkeypatch.setenv("CNN_EXPLORER_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv("CNN_EXPLORER_MAX_JOBS", raising=False)
    jobs.get_registry.clear()
    yield made
    for job in jobs.get_registry().jobs():
        job.trainer.stop()
    jobs.get_registry.clear()
