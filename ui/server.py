"""Process settings for a server that a class shares: memory handed back, and garbage collected
at a steady cadence rather than after every rerun of every session.

The router calls :func:`server_process_settings` as the server starts and
:func:`tidy_up_after_run` after each script run; between runs a background thread collects what
sessions that ended left behind (Streamlit drops a closed tab's session, its uploads with it,
``server.disconnectedSessionTTL`` seconds after it closes, when no script runs to tidy up). TensorFlow is never in this process (its worker
is another: :mod:`ui.worker`).
"""

from __future__ import annotations

import gc
import sys
import threading
import time

import streamlit as st

from cnn_core.process_memory import limit_process_memory, release_free_memory

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
    global _frozen_modules
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


def _collect_while_idle() -> None:
    """Memory of sessions that ended goes back to the system though nobody reruns a page."""
    while True:
        time.sleep(IDLE_COLLECT_EVERY_S)
        collect_when_idle()


@st.cache_resource
def server_process_settings() -> list[str]:
    """Bound glibc's malloc arenas once, as the server starts, before a class's script threads
    each get an arena that keeps freed memory resident, and start the idle collector. Returns
    what was applied."""
    threading.Thread(target=_collect_while_idle, name="idle-collector", daemon=True).start()
    return limit_process_memory()


_frozen_modules = 0
_last_collect = float("-inf")
_collecting = threading.Lock()
