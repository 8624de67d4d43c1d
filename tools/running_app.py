"""Start the real app with ``streamlit run`` on a free localhost port, and find Chromium to drive it.

One harness for everything that drives the app from outside: the browser tests
(tests/e2e/conftest.py), the accessibility audit (tools/a11y_audit.py) and the benchmarks in
bench/. The app runs offline on the bundled sample unless the caller's environment says otherwise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Debian's Chromium in a container: no sandbox, no GPU, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_S = 90  # `streamlit run` on a busy 2-core machine
RUN_TIMEOUT_MS = 120_000  # a page's script run that imports TensorFlow, on a busy 2-core machine
OFFLINE_ENV = {"CNN_EXPLORER_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}


def chromium_path() -> str | None:
    """Chromium's executable ($CHROMIUM_PATH, Debian's /usr/bin/chromium, or on the PATH), or None."""
    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(
    port: int,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    root: Path = ROOT,
    script: str = "streamlit_app.py",
) -> subprocess.Popen:
    """``streamlit run script`` in ``root`` on 127.0.0.1:``port``, returned once ``/_stcore/health``
    answers. ``env`` replaces the environment (default: this one, offline); ``log`` takes its
    output. Raises RuntimeError (the server stopped) when it is not healthy within ``STARTUP_S``."""
    env = dict(env) if env is not None else {**os.environ, **OFFLINE_ENV}
    out = open(log, "w") if log else subprocess.DEVNULL
    command = [sys.executable, "-m", "streamlit", "run", script]
    command += ["--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1"]
    command += ["--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    if log:
        out.close()  # the child holds its own copy
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    proc.wait(timeout=20)
    raise RuntimeError(f"streamlit did not start in {STARTUP_S} s" + (f"; see {log}" if log else ""))


@contextlib.contextmanager
def running_app(log: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """A fresh server of the app, offline, its runs in a temporary folder (not runs/); yields
    its base URL and stops it on leaving. ``env`` adds to (or overrides) the environment."""
    runs_dir = tempfile.mkdtemp(prefix="cnn-e2e-runs-")
    port = free_port()
    full_env = {**os.environ, **OFFLINE_ENV, "CNN_EXPLORER_RUNS_DIR": runs_dir, **(env or {})}
    proc = start_app(port, full_env, log)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(runs_dir, ignore_errors=True)


def wait_for_run(page) -> None:
    """Wait until the Playwright ``page`` is connected to the app, runs no script, and its
    widgets have loaded (they show grey skeletons until their code arrives)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")
