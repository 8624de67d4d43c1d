"""Process settings for a server that a class shares: memory handed back, garbage collected at a
steady cadence, and Keras loaded once with Streamlit's per-run Keras cleanup switched off.

The router calls :func:`server_process_settings` as the server starts and
:func:`tidy_up_after_run` after each script run; pages call :func:`keras_ready` before any model.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from typing import Any

import streamlit as st

from cnn_core.trainer import limit_memory_growth, release_free_memory


@st.cache_resource(show_spinner="Loading TensorFlow (the first time takes a few seconds)…")
def keras_ready() -> Any:
    """Import Keras once per process (returns the module) and keep the server's reruns cheap.

    Everything loaded so far is frozen out of the cyclic GC, and Streamlit's per-run
    ``keras.backend.clear_session()`` (a GC pass over TensorFlow's objects, and a cleared kernel
    cache under running trainings) becomes a no-op. Call it before building or loading a model:
    a model alive when frozen would never be collected. TensorFlow's memory settings
    (:func:`cnn_core.trainer.limit_memory_growth`) go first, before its first tensor.
    """
    limit_memory_growth()
    import keras

    gc.collect()
    gc.freeze()
    keras.backend.clear_session = _keep_keras_state
    return keras


COLLECT_EVERY_S = 5.0  # at most one full garbage collection this often, for all sessions together


def tidy_up_after_run(now: float | None = None) -> bool:
    """Collect garbage at a steady cadence instead of after every rerun of every session (which
    ``.streamlit/config.toml`` switches off: ``runner.postScriptGC = false``); True when this call
    collected.

    Libraries loaded since the last call are frozen out of the collector until Keras is in (then
    :func:`keras_ready` freezes, before any model exists); a full collection, then ``malloc_trim``,
    runs at most every ``COLLECT_EVERY_S`` seconds, so cyclic garbage still goes within seconds.
    """
    global _frozen_modules, _last_collect
    if len(sys.modules) != _frozen_modules and "keras" not in sys.modules:
        _frozen_modules = len(sys.modules)
        gc.collect()
        gc.freeze()
    now = time.monotonic() if now is None else now
    if now - _last_collect < COLLECT_EVERY_S or not _collecting.acquire(blocking=False):
        return False
    try:
        _last_collect = now
        gc.collect()
        release_free_memory()  # what a class's reruns and uploads freed, back to the system
    finally:
        _collecting.release()
    return True


# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). A run
# trains in a thread of the server's process and needs the GIL for a moment between its batches
# (~10 ms each): while a class's pages render, every such moment waited up to 5 ms, and a page
# thread that never sleeps cut a one-epoch run, tracing included, to 0.18 of its speed (0.44 at
# 1 ms); the epochs after the first keep about half at either interval (bench/gil_share.py).
GIL_SWITCH_INTERVAL_S = 0.001


@st.cache_resource
def server_process_settings() -> list[str]:
    """Bound glibc's malloc arenas once, as the server starts, before a class's script threads
    each get an arena that keeps freed memory resident, and hand the GIL over every millisecond
    so a training thread gets it back quickly. TensorFlow's settings follow in
    :func:`keras_ready`, before its first tensor. Returns what was applied."""
    applied = limit_memory_growth(tensorflow=False)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    return applied + [f"GIL switch interval {GIL_SWITCH_INTERVAL_S * 1000:g} ms"]


_frozen_modules = 0
_last_collect = float("-inf")
_collecting = threading.Lock()


def _keep_keras_state(*args: Any, **kwargs: Any) -> None:
    """Stands in for keras.backend.clear_session in the server's process (see keras_ready)."""


