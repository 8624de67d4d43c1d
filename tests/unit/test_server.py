"""The server's own process settings (ui/server.py), applied as the router starts."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_servers_start_bounds_malloc_arenas_without_loading_tensorflow():
    """The router calls server_process_settings() as the server starts: before a class's
    script threads allocate, and without TensorFlow (which only the worker loads)."""
    code = (
        "import sys; from ui import server;"
        "print(server.server_process_settings(), 'tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    applied, loaded = out.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    assert loaded == "False"
    assert "pooled CPU allocator" in applied and "1 inter-op thread" not in applied
    if sys.platform == "linux":
        assert "malloc arenas <= 2" in applied and "malloc mmap threshold 1 MiB" in applied


class _ClosedTabState(dict):
    """A session's state: values, and its widgets' metadata (whose format functions close over
    the page's data)."""

    def __init__(self) -> None:
        super().__init__(uploaded_dataset=object())
        self._new_widget_state = types.SimpleNamespace(widget_metadata={"class": lambda c: self})


class _ClosedTabSession:
    """What shut_down_expired_sessions touches of an AppSession: its id, event loop and shutdown."""

    def __init__(self, session_id: str) -> None:
        self.id = session_id
        self.shut_down = False
        self.state = _ClosedTabState()
        self._fragment_storage = {"fragment": lambda: self.state}  # the page's closures
        self._event_loop = self  # call_soon_threadsafe runs the callback at once here

    def call_soon_threadsafe(self, callback, *args):
        callback(*args)

    def shutdown(self) -> None:
        self.shut_down = True

    @property
    def session_state(self) -> _ClosedTabState:
        return self.state


def _storage_with_hook(ttl_s: float, active: set[str]):
    from streamlit.runtime.memory_session_storage import MemorySessionStorage

    from ui import server

    storage = MemorySessionStorage(ttl_seconds=ttl_s)
    assert server.shut_down_forgotten_sessions(storage, active.__contains__)
    return storage


def _closed_tab(storage, session_id: str) -> _ClosedTabSession:
    from streamlit.runtime.session_manager import SessionInfo

    session = _ClosedTabSession(session_id)
    storage.save(SessionInfo(client=None, session=session))
    return session


class TestClosedTabsSessionsAreShutDown:
    """Streamlit keeps a closed tab's session for its TTL, then drops it without shutdown()
    (streamlit/streamlit#12506), its uploads left in memory: the server shuts it down. Built on
    the pinned Streamlit's own storage class, so a change of its internals fails here."""

    def test_when_another_tab_closes_after_the_ttl(self):
        import time

        storage = _storage_with_hook(0.2, active=set())
        early = _closed_tab(storage, "early")
        time.sleep(0.3)
        later = _closed_tab(storage, "later")  # Streamlit reaps the expired one on this write
        assert early.shut_down and not later.shut_down  # the later tab may still come back
        assert early.state == {} and later.state  # nothing of the closed tab is held
        assert early.state._new_widget_state.widget_metadata == {}
        assert early._fragment_storage == {} and later._fragment_storage

    def test_when_nothing_else_happens_the_idle_collector_reaps_it(self):
        import time

        from ui import server

        storage = _storage_with_hook(0.2, active=set())
        closed = _closed_tab(storage, "closed")
        assert server.reap_expired_sessions(storage) == 0 and not closed.shut_down
        time.sleep(0.3)
        assert server.reap_expired_sessions(storage) == 1 and closed.shut_down
        assert server.reap_expired_sessions(storage) == 0

    def test_a_tab_that_comes_back_keeps_its_session(self):
        active: set[str] = set()
        storage = _storage_with_hook(60, active)
        back = _closed_tab(storage, "back")
        active.add("back")  # Streamlit marks it active, then takes it out of storage
        storage.delete("back")
        assert not back.shut_down and back.state

    def test_what_the_hook_touches_is_there_in_the_pinned_streamlit(self):
        import inspect

        from streamlit.runtime.app_session import AppSession
        from streamlit.runtime.fragment import MemoryFragmentStorage
        from streamlit.runtime.state.session_state import SessionState, WStates

        init = inspect.getsource(AppSession.__init__)
        assert "self._event_loop =" in init and "self._fragment_storage:" in init
        assert callable(MemoryFragmentStorage.clear) and isinstance(AppSession.session_state, property)
        assert "widget_metadata" in WStates.__dataclass_fields__ and "_new_widget_state" in inspect.getsource(
            SessionState
        )

    def test_the_hook_goes_in_once(self):
        from ui import server

        storage = _storage_with_hook(60, active=set())
        assert not server.shut_down_forgotten_sessions(storage, lambda _: False)


def test_without_a_streamlit_server_the_collector_only_collects(monkeypatch):
    """In AppTest or bare mode Streamlit's runtime may be a stand-in with no session manager:
    the idle collector must still start and collect, not die on the missing internals."""
    import types as _types

    import streamlit.runtime

    from ui import server

    monkeypatch.setattr(streamlit.runtime, "exists", lambda: True)
    monkeypatch.setattr(streamlit.runtime, "get_instance", lambda: _types.SimpleNamespace())
    assert server.watch_forgotten_sessions() is None
    monkeypatch.setattr(streamlit.runtime, "exists", lambda: False)
    assert server.watch_forgotten_sessions() is None
