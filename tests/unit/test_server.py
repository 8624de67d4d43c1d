"""The server's own process settings (ui/server.py), applied as the router starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_servers_start_bounds_malloc_arenas_without_loading_tensorflow():
    """The router calls server_process_settings() as the server starts: before a class's
    script threads allocate, and without TensorFlow on the light pages."""
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


def test_a_servers_start_hands_the_gil_over_every_millisecond():
    """A run trains in a thread of the server while a class's pages render in others: it must
    get the GIL back within a millisecond, not Python's 5 ms (bench/gil_share.py: a busy page
    thread cut a one-epoch run, tracing included, to 0.18 of its speed at 5 ms, 0.44 at 1 ms)."""
    code = "import sys; from ui import server; server.server_process_settings(); print(sys.getswitchinterval())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert float(out.stdout.strip().splitlines()[-1]) == 0.001
