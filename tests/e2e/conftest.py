"""Run the real app with `streamlit run` on a free localhost port and drive it in Chromium.

Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM_PATH). Without it these tests skip on a
user's machine, but fail under CI=true, where .ci/run installs it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"  # git-ignored
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_S = 60
RUN_TIMEOUT_MS = 120_000  # a page that imports TensorFlow on a busy 2-core machine


def chromium_path() -> str | None:
    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def _missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; browser tests may not skip under CI=true")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(log_name: str = "streamlit.log"):
    """A fresh `streamlit run` of the app, offline, on a free port; yields its base URL."""
    port = free_port()
    # Every run keeps a folder (for comparing runs): a test's go in a temporary one, not runs/.
    runs_dir = tempfile.mkdtemp(prefix="cnn-e2e-runs-")
    env = {**os.environ, "CNN_EXPLORER_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
           "CNN_EXPLORER_RUNS_DIR": runs_dir}
    log = open(ROOT / "tests" / "e2e" / log_name, "w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
            "--server.headless", "true", "--server.port", str(port),
            "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail(f"streamlit did not start in {STARTUP_S} s; see tests/e2e/{log_name}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        shutil.rmtree(runs_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def app_url():
    """One server for the whole test session."""
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        _missing("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    yield page
    context.close()


def wait_for_run(page) -> None:
    """Wait until Streamlit has finished running the script for what the page shows."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    page.wait_for_timeout(300)  # let a rerun triggered by the last action begin
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    # Widgets and charts load their code lazily and show grey skeletons until then.
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def open_page(page, app_url: str, url_path: str) -> None:
    page.goto(f"{app_url}/{url_path}")
    wait_for_run(page)


# Words of Streamlit's own notices (a deprecation is drawn as an alert) that no sentence of
# this app uses.
LIBRARY_NOTICE = re.compile(r"deprecat|will be removed|savefig|use_container_width", re.IGNORECASE)


def assert_no_exception(page) -> None:
    """No exception on the page, and no alert of the library's own (only the app's sentences)."""
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()
    notices = [t for t in page.locator('[data-testid="stAlert"]').all_inner_texts() if LIBRARY_NOTICE.search(t)]
    assert not notices, notices


def screenshot(page, name: str) -> Path:
    """Save the whole page: Streamlit scrolls inside its main pane, so grow the viewport to fit."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stMainBlockContainer\"]')].map(e => e.scrollHeight), 0)"
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(height + 80, size["height"]), 8000)})
    page.wait_for_timeout(300)  # charts re-lay out to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path
