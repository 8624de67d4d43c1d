"""Process settings that keep a process small on a 1-3 GB container: TensorFlow's pooled
allocator (an environment variable, read at its first tensor), glibc's malloc arenas and mmap
threshold, and memory handed back to the system. The server, the worker and the command line
each apply them as they start; TensorFlow's own thread setting is the worker's
(:func:`cnn_core.worker.process_setup.limit_memory_growth`).
"""

from __future__ import annotations

import os
from typing import Any

MMAP_THRESHOLD_BYTES = 2**20


def limit_process_memory() -> list[str]:
    """Process-wide settings that keep a process small (a Cloud container has 1-3 GB); returns
    what was applied. Idempotent; a user's own ``TF_CPU_ALLOCATOR_USE_BFC`` wins.

    TensorFlow's pooled (BFC) CPU allocator applies only when set before TensorFlow's first
    tensor; at most 2 glibc malloc arenas and a 1 MiB mmap threshold keep freed buffers from
    staying resident, for threads made after the call.
    """
    applied = []
    if os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true") == "true":
        applied.append("pooled CPU allocator")
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        if libc.mallopt(-8, 2) == 1:  # M_ARENA_MAX
            applied.append("malloc arenas <= 2")
        # Buffers of 1 MiB and more (an upload's bytes, a batch of images) straight from the
        # system and back on free: glibc would otherwise raise this threshold to the largest
        # buffer freed so far (up to 32 MiB) and keep such buffers resident in its heap.
        if libc.mallopt(-3, MMAP_THRESHOLD_BYTES) == 1:  # M_MMAP_THRESHOLD
            applied.append(f"malloc mmap threshold {MMAP_THRESHOLD_BYTES // 2**20} MiB")
    except (OSError, AttributeError):  # not glibc
        pass
    return applied


def release_free_memory() -> None:
    """Hand memory that Python and TensorFlow have freed back to the system (glibc's
    malloc_trim; nothing elsewhere). A few milliseconds: a run calls it at each epoch's end."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes
            import ctypes.util

            _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None
