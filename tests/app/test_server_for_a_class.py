"""What the server does so that a class of 20-30 can use one app at once (bench/load_test.py).

Streamlit's defaults suit one developer editing the script: a source watcher and a full garbage
collection after every run of every session. For a class they queue every rerun behind work that
grows with the number of sessions, so the app's config switches both off, and the router collects
garbage at most every few seconds instead.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest

from tests.app.conftest import ROOT
from ui import server

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_the_server_neither_watches_sources_nor_collects_garbage_after_every_run():
    config = tomllib.loads(CONFIG.read_text())
    assert config["server"]["fileWatcherType"] == "none"
    assert config["runner"]["postScriptGC"] is False


@pytest.fixture
def fresh_collector(monkeypatch):
    monkeypatch.setattr(server, "_last_collect", float("-inf"))
    collections = []
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(a) or 0)
    monkeypatch.setattr(gc, "freeze", lambda: None)
    return collections


def test_garbage_is_collected_at_most_every_few_seconds_however_many_runs(fresh_collector):
    t0 = 1000.0
    runs = [t0 + 0.1 * i for i in range(120)]  # 12 s of reruns, ten a second
    collected = [t for t in runs if server.tidy_up_after_run(now=t)]
    assert collected[0] == t0  # the first run after start collects
    gaps = [b - a for a, b in zip(collected, collected[1:])]
    assert len(collected) == 3 and all(g >= server.COLLECT_EVERY_S - 1e-9 for g in gaps)


def test_new_libraries_are_frozen_out_of_the_collector_once(monkeypatch, fresh_collector):
    """Modules live as long as the server: each set of newly loaded ones is frozen out of the
    collector once, so a full collection never walks them again."""
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(server, "_frozen_modules", 0)
    server.tidy_up_after_run(now=0.0)
    server.tidy_up_after_run(now=0.1)  # no new modules since: nothing more to freeze
    assert frozen == [True]
    monkeypatch.setitem(sys.modules, "a_library_a_page_just_imported", None)
    server.tidy_up_after_run(now=0.2)
    assert frozen == [True, True]


def test_an_idle_server_still_collects_what_ended_sessions_left(fresh_collector):
    """A closed tab's session (and its uploads) goes when no script runs: the idle collector
    hands that memory back, yet never adds a collection while the class keeps the server busy."""
    assert server.tidy_up_after_run(now=100.0)
    assert not server.collect_when_idle(now=100.0 + server.IDLE_COLLECT_EVERY_S / 2)
    assert server.collect_when_idle(now=100.0 + server.IDLE_COLLECT_EVERY_S)


def test_the_idle_collector_runs_from_the_server_s_start():
    server.server_process_settings()
    assert any(t.name == "idle-collector" and t.daemon for t in threading.enumerate())


# ----- between lessons: what the server holds for the pages goes back to the system -------------


@pytest.fixture
def lessons(monkeypatch):
    """The release registry and its bookkeeping, fresh; the workers' idle time 600 s."""
    monkeypatch.setattr(server, "_between_lessons", [])
    monkeypatch.setattr(server, "_released_after", float("-inf"))
    monkeypatch.setenv("CNN_EXPLORER_WORKER_IDLE_S", "600")
    released = []
    server.release_between_lessons(lambda: released.append(True))
    return released


def test_after_the_idle_time_without_a_run_the_shared_caches_are_released_once(fresh_collector, lessons):
    server.tidy_up_after_run(now=1000.0)
    assert not server.release_if_between_lessons(False, now=1000.0 + 599)  # still in the lesson
    assert server.release_if_between_lessons(False, now=1000.0 + 600)
    assert lessons == [True] and fresh_collector  # released, then collected
    assert not server.release_if_between_lessons(False, now=1000.0 + 2000)  # once per idle spell
    server.tidy_up_after_run(now=5000.0)  # the next lesson loads them again ...
    assert server.release_if_between_lessons(False, now=5000.0 + 600)  # ... and lets them go again
    assert lessons == [True, True]


def test_nothing_is_released_while_a_tensorflow_worker_runs(fresh_collector, lessons):
    """A run that trains or waits keeps its worker: its page needs the dataset when it ends, though
    only the live panel's fragments (which are no script runs) have run since."""
    server.tidy_up_after_run(now=1000.0)
    assert not server.release_if_between_lessons(True, now=1000.0 + 3600)
    assert lessons == []


LEFT_OPEN_TAB = """
import gc, time, weakref
from tests.app.conftest import open_app_page
from ui import server
from ui.common import load_shared_dataset
at = open_app_page("app_pages/dataset.py")
at.selectbox(key="dataset_page_class").set_value(3).run()
shared = weakref.ref(load_shared_dataset("mnist"))
assert server.release_if_between_lessons(False, now=time.monotonic() + server.idle_from_env())
gc.collect()
print("let go:", shared() is None)
at.run()  # the learner comes back to the open tab
assert not at.exception, at.exception
assert any("are 3, yet no two look alike" in box.value for box in at.info)
print("page back:", True)
"""


def test_a_tab_left_open_on_the_dataset_page_does_not_keep_the_dataset_in_memory():
    """The shared copy goes when the server lets it go: neither the grid's fragment nor its class
    filter (whose format function the session keeps) holds the images; the next rerun loads it
    anew. In a process of its own: other tests' sessions would hold the shared copy too."""
    out = subprocess.run(
        [sys.executable, "-c", LEFT_OPEN_TAB], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.splitlines()[-2:] == ["let go: True", "page back: True"], out.stderr[-2000:]
