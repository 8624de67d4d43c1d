"""The server's own process settings (ui/server.py), applied as the router starts."""

from __future__ import annotations

import subprocess
import sys
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
