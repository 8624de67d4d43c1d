"""Run the real app with `streamlit run` on a free localhost port and drive it in Chromium.

Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM_PATH). Without it these tests skip on a
user's machine, but fail under CI=true, where .ci/run installs it.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest

from tools import running_app as harness
from tools.running_app import CHROMIUM_ARGS, RUN_TIMEOUT_MS, chromium_path, wait_for_run

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"  # git-ignored
VIEWPORT = {"width": 1400, "height": 1000}


def _missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; browser tests may not skip under CI=true")
    pytest.skip(reason)


@contextlib.contextmanager
def running_app(log_name: str = "streamlit.log", env: dict[str, str] | None = None):
    """A fresh `streamlit run` of the app, offline, on a free port (``env`` added to its
    environment); yields its base URL. Its output goes to tests/e2e/<log_name>, one file per
    pytest-xdist worker (``streamlit-gw1.log``), as each worker starts servers of its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        log_name = f"{Path(log_name).stem}-{worker}{Path(log_name).suffix}"
    try:
        with harness.running_app(ROOT / "tests" / "e2e" / log_name, env) as url:
            yield url
    except RuntimeError as exc:  # it did not start: the log says why
        pytest.fail(str(exc))


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
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    follow_runs(page)
    yield page
    context.close()
    _SOCKETS.pop(page, None)
    _ENDED.pop(page, None)


def _run_ended(payload: bytes | str) -> bool:
    """Whether a message from the server says a run of the script (or of a fragment) ended."""
    from google.protobuf.message import DecodeError
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if isinstance(payload, str):
        return False
    try:
        msg = ForwardMsg.FromString(payload)
    except DecodeError:
        return False
    return (
        msg.WhichOneof("type") == "script_finished"
        and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
    )


def follow_runs(page) -> None:
    """From now on, keep the app's websocket of ``page`` and count the runs it reports ended."""

    def opened(ws) -> None:
        if ws.url.endswith("/_stcore/stream"):
            _SOCKETS[page] = ws
            ws.on(
                "framereceived",
                lambda payload: _ENDED.__setitem__(page, runs_ended(page) + _run_ended(payload)),
            )

    page.on("websocket", opened)


_SOCKETS: dict = {}
_ENDED: dict = {}


def runs_ended(page) -> int:
    """How many runs (of the script or of a fragment) the server has reported ended to ``page``."""
    return _ENDED.get(page, 0)


@contextlib.contextmanager
def rerun(page):
    """Around an action that makes the app run its script (a click, a key, a link): on leaving,
    the server has reported a run ended after the action, and the page is idle."""
    wait_for_run(page)
    with _SOCKETS[page].expect_event("framereceived", predicate=_run_ended, timeout=RUN_TIMEOUT_MS):
        yield
    wait_for_run(page)


def wait_for_next_run(page) -> None:
    """Wait for the next run the server reports ended (a fragment that reruns on a timer), then
    for the page to be idle."""
    with rerun(page):
        pass


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
    notices = [
        t for t in page.locator('[data-testid="stAlert"]').all_inner_texts() if LIBRARY_NOTICE.search(t)
    ]
    assert not notices, notices


def screenshot(page, name: str) -> Path:
    """Save the whole page: Streamlit scrolls inside its main pane, so grow the viewport to fit."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(
        '() => Math.max(...[...document.querySelectorAll(\'[data-testid="stMain"], '
        '[data-testid="stMainBlockContainer"]\')].map(e => e.scrollHeight), 0)'
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(height + 80, size["height"]), 8000)})
    # Charts re-lay out to the new size: the browser has drawn two frames at it, nothing is loading.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    wait_for_run(page)
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def assert_shows_a_page(path: Path, width: int = VIEWPORT["width"], height: int = VIEWPORT["height"]) -> None:
    """The screenshot at ``path`` is a PNG of the whole window (at least) with something drawn on
    it: text and figures give many grey levels, a blank or one-colour page a few."""
    from PIL import Image, ImageStat

    with Image.open(path) as image:
        assert image.format == "PNG", image.format
        assert image.width == width and image.height >= height, image.size
        grey = image.convert("L")
        levels = len(grey.getcolors(256))
        spread = ImageStat.Stat(grey).stddev[0]
    assert levels > 64 and spread > 10, f"{path.name} looks blank: {levels} grey levels, spread {spread:.1f}"
