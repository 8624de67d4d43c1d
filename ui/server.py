"""Process settings for a server that a class shares: memory handed back, and garbage collected
at a steady cadence rather than after every rerun of every session.

The router calls :func:`server_process_settings` as the server starts and
:func:`tidy_up_after_run` after each script run; between runs a background thread shuts down the
sessions of tabs closed ``server.disconnectedSessionTTL`` seconds ago (which Streamlit forgets
without shutting down) and collects what they left behind, when no script runs to tidy up. Between
lessons (no script run and no TensorFlow worker for the workers' idle time) it also empties the
caches registered with :func:`release_between_lessons`, the shared datasets among them.
TensorFlow is never in this process (its worker is another: :mod:`ui.worker`).
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.runtime.caching.ttl_cache import TTLCache

from cnn_core.client import idle_from_env
from cnn_core.process_memory import limit_process_memory, release_free_memory
from ui import worker

COLLECT_EVERY_S = 5.0  # at most one full garbage collection this often, for all sessions together
IDLE_COLLECT_EVERY_S = 30.0  # with no script running, a collection this often all the same


def tidy_up_after_run(now: float | None = None) -> bool:
    """Collect garbage at a steady cadence instead of after every rerun of every session (which
    ``.streamlit/config.toml`` switches off: ``runner.postScriptGC = false``); True when this call
    collected.

    Libraries loaded since the last call are frozen out of the collector (they live as long as the
    process); a full collection, then ``malloc_trim``, runs at most every ``COLLECT_EVERY_S``
    seconds, so cyclic garbage still goes within seconds.
    """
    global _frozen_modules, _last_run
    _last_run = time.monotonic() if now is None else now
    if len(sys.modules) != _frozen_modules:
        _frozen_modules = len(sys.modules)
        gc.collect()
        gc.freeze()
    return _collect(COLLECT_EVERY_S, now)


def _collect(unless_within_s: float, now: float | None = None) -> bool:
    """A full collection and ``malloc_trim``, unless one ran in the last ``unless_within_s``
    seconds or runs now; True when this call collected."""
    global _last_collect
    now = time.monotonic() if now is None else now
    if now - _last_collect < unless_within_s or not _collecting.acquire(blocking=False):
        return False
    try:
        _last_collect = now
        gc.collect()
        release_free_memory()  # what a class's reruns and uploads freed, back to the system
    finally:
        _collecting.release()
    return True


def collect_when_idle(now: float | None = None) -> bool:
    """Collect if no collection ran in the last ``IDLE_COLLECT_EVERY_S`` seconds (no script
    has run since: the server is idle); True when this call collected."""
    return _collect(IDLE_COLLECT_EVERY_S, now)


def release_between_lessons(release: Callable[[], object]) -> Callable[[], object]:
    """Register ``release`` (a cache's ``clear``) to be called between lessons: once no script
    has run for the workers' idle time (``$CNN_EXPLORER_WORKER_IDLE_S``, as TensorFlow's worker
    stops) and no worker is left. What it held is then loaded again by the next page that needs it."""
    _between_lessons.append(release)
    return release


def release_if_between_lessons(workers_running: bool, now: float | None = None) -> bool:
    """Call every registered release, then collect, once per idle spell: when no script has run
    for the idle time and ``workers_running`` is False (a run trains or waits for one: a page
    will need its data when it ends). True when this call released."""
    global _released_after
    now = time.monotonic() if now is None else now
    if workers_running or _released_after == _last_run or now - _last_run < idle_from_env():
        return False
    _released_after = _last_run
    for release in _between_lessons:
        release()
    _collect(0.0, now)
    return True


def shut_down_forgotten_sessions(storage: Any, is_active: Callable[[str], bool]) -> bool:
    """Make Streamlit shut down the sessions it forgets; True once the hook is in place.

    Streamlit keeps a closed tab's session for ``server.disconnectedSessionTTL`` seconds, so the
    tab can reconnect, and then drops it from its storage without shutting it down
    (streamlit/streamlit#12506, open in the 1.67 we pin): the session's uploaded files stay in
    the upload manager for good, and its state (an uploaded dataset's arrays) as long as
    anything refers to it. ``storage`` is the session manager's ``MemorySessionStorage``; the
    hook shuts down each session that leaves it and empties its state, except one that left
    because its tab came back (``is_active``), on the session's own event loop, where Streamlit
    shuts down a session it closes (a second shutdown does nothing). Reads Streamlit's
    internals: the tests run it against the pinned version's classes."""
    cache = _sessions_cache(storage)
    if cache is None or getattr(cache, "_on_remove", False) is not None:
        return False  # another storage, a hook already there, or Streamlit changed

    def shut_down(session_id: str, info: Any) -> None:
        if not is_active(session_id):
            info.session._event_loop.call_soon_threadsafe(_shut_down, info.session)

    cache._on_remove = shut_down
    return True


def _shut_down(session: Any) -> None:
    """Shut a forgotten session down and empty it: its state, its widgets' metadata and its
    fragments (whose closures hold the page's data, an upload's arrays among them). Streamlit's
    message loop keeps a reference to the last session it flushed until it flushes another, so
    an emptied session holds no dataset meanwhile."""
    session.shutdown()
    state = session.session_state
    state.clear()  # values, not the widgets' metadata
    state._new_widget_state.widget_metadata.clear()
    session._fragment_storage.clear()


def reap_expired_sessions(storage: Any) -> int:
    """Drop the sessions whose time to reconnect has passed (Streamlit drops them only when
    another tab closes); returns how many. With the hook above, each is shut down."""
    cache = _sessions_cache(storage)
    return len(cache.expire()) if cache is not None else 0


def _sessions_cache(storage: Any) -> TTLCache | None:
    """The TTL cache behind Streamlit's ``MemorySessionStorage``; None for any other storage."""
    cache = getattr(storage, "_cache", None)
    return cache if isinstance(cache, TTLCache) else None


def watch_forgotten_sessions() -> tuple[Any, threading.Lock] | None:
    """Hook :func:`shut_down_forgotten_sessions` into the running server's session storage;
    its storage and the lock its session manager holds while it saves or deletes a session, or
    None where there is no such server (AppTest, bare mode) or its internals are not what the
    hook expects: the idle collector then only collects."""
    from streamlit import runtime

    manager = getattr(runtime.get_instance(), "_session_mgr", None) if runtime.exists() else None
    storage, lock = getattr(manager, "_session_storage", None), getattr(manager, "_storage_lock", None)
    if not isinstance(lock, type(threading.Lock())):
        return None
    return (storage, lock) if shut_down_forgotten_sessions(storage, manager.is_active_session) else None


def _collect_while_idle() -> None:
    """Memory of sessions that ended goes back to the system though nobody reruns a page."""
    watched = watch_forgotten_sessions()
    while True:
        time.sleep(IDLE_COLLECT_EVERY_S)
        if watched is not None:
            storage, lock = watched
            with lock:
                reap_expired_sessions(storage)
        if not release_if_between_lessons(_workers_running()):
            collect_when_idle()


def _workers_running() -> bool:
    """Whether a TensorFlow worker runs now (asked without starting one)."""
    return worker.workers().running


@st.cache_resource
def server_process_settings() -> list[str]:
    """Bound glibc's malloc arenas once, as the server starts, before a class's script threads
    each get an arena that keeps freed memory resident, and start the idle collector. Returns
    what was applied."""
    threading.Thread(target=_collect_while_idle, name="idle-collector", daemon=True).start()
    return limit_process_memory()


_frozen_modules = 0
_last_collect = float("-inf")
_last_run = time.monotonic()  # the last script run's end; the server's start before any
_released_after = float("-inf")  # the _last_run after which the caches were last released
_between_lessons: list[Callable[[], object]] = []
_collecting = threading.Lock()
