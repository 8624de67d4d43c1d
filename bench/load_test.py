"""A class at once: N student sessions use the app while the instructor trains.

    python bench/load_test.py                      # 20 viewers, the default mix of pages
    python bench/load_test.py --sessions 30
    python bench/load_test.py --clients browser    # students in Chromium too (heavy: see below)
    python bench/load_test.py --scenario class     # 30 students who also train and upload (below)
    python bench/load_test.py --scenario class --sessions 6 --stay-seconds 5 --student-dataset mnist  # a dry run

Starts `streamlit run` on a free localhost port. The instructor is a real Chromium page that
starts a training run on the Training page.

Scenario "viewers" (the default; offline: the bundled sample): the run's images per second are
read from the page while nobody else is connected, then N students connect at the same moment,
spread over the lesson's pages, a few of them watching the live run. It reports:

* whether every session rendered its page without an exception,
* the time to first render (connect -> the page's script finished),
* while the students stay: how long what they do every ``--think-seconds`` takes (below;
  watchers tick their live fragment at its own interval, as a browser does),
* how many of the explorers' settled reports the server applied,
* the training's images per second under that load, as a ratio of the quiet figure.

What a student does every ``--think-seconds`` is what their browser sends after a learner's move.
On Convolution and Pooling the explorers are Streamlit v2 components (ui/explorers): a slider step
is drawn in the browser with no rerun, and once the controls rest the component reports its
settings, and the browser reruns the fragment that holds it with the component's state as a JSON
widget value (``{"settings": {"values": {...every setting...}, "id": "<new>"}}``). So a student
there sends one such report, with one setting moved one step within the bounds the page sent
(``EXPLORERS``: the kernel or pool size, cycled; on Convolution in turn with the transposed
explorer below it), as a rerun of that fragment, and checks that the fragment's Keras line
(``st.code``) now shows the new size: a report it does not show is counted as not applied. On the
Model page a student flips "Show the Keras code" (a page rerun; ``TOGGLED``); elsewhere they rerun
the page unchanged: Home has no control; Training's students watch the live run; Predictions'
controls choose a model or ask for predictions (no simple nudge); the Dataset page's seed and class
live in a fragment this client cannot rerun faithfully (see ``TOGGLED``).

Scenario "class" (online, as on Cloud: Fashion-MNIST from ``--data`` is written where
``keras.datasets.fashion_mnist.load_data()`` finds its download, so the server loads all 60,000
images): the instructor opens the Dataset page on Fashion-MNIST and starts a ``--epochs`` run on
the Training page; once it trains, N students (default 30) arrive. 5 press "Train" on
Predictions (a ``--student-epochs`` quick run on ``--student-dataset``; their runs queue behind
the instructor's, and each waits up to ``--queue-timeout`` for its own to finish), 2 upload the
Fashion-MNIST ``.npz`` on the Dataset page, 1 uploads an npz bomb and 1 a PNG bomb on
Predictions' Draw tab (bench/_bombs.py), the others open the lesson's pages; all then stay
``--stay-seconds``, acting as above. When the class has left, the instructor trains the same run
alone: its images per second is the quiet figure. It reports sessions rendered without an
exception, bad uploads refused (a sentence on the page, no exception), first-render and
student-action medians, explorer reports applied, the instructor's speed with the class over its
speed alone, the queued runs that finished, and the server's peak RSS (VmHWM from /proc, plus its
children's); PASS/FAIL per target; last line: one JSON object.

Students are websocket clients by default: they speak Streamlit's own protocol (the BackMsg /
ForwardMsg protobufs the browser sends) over ``/_stcore/stream``, so the server does exactly the
work a browser would cause, while 20 Chromium renderers do not share the server's 2 cores (in a
class each student's browser runs on their own laptop). Uploads go as the browser's do: upload
URLs asked for over the websocket, the file PUT to ``/_stcore/upload_file/...``, then the
uploader's widget state. Chromium: Debian's /usr/bin/chromium (or $CHROMIUM_PATH). Only
localhost is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from playwright.async_api import async_playwright
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from _bombs import npz_bomb_bytes, png_bomb_bytes
from training_memory import SHARED, write_keras_cache

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# What a class opens: mostly the light pages, some data and model pages, a few live watchers.
MIX = ["convolution", "pooling", "convolution", "pooling", "dataset", "model", "training", ""]
RUN_MS = 180_000
# Fashion-MNIST in the Keras layout: beside the repository (../shared, as in /work/main), else the machine's copy.
FASHION = next((d / "fashion-mnist-70k.npz" for d in (SHARED, Path("/work/shared/datasets"))
                if (d / "fashion-mnist-70k.npz").exists()), SHARED / "fashion-mnist-70k.npz")
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
NO_SKELETON = "() => !document.querySelector('[data-testid=\"stSkeleton\"]')"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict[str, str] | None = None, log: Path | None = None,
                 root: Path = ROOT) -> subprocess.Popen:
    """``streamlit run`` of the app in ``root`` on localhost (offline, the bundled sample, unless
    ``env`` says otherwise); returns once healthy."""
    env = env or {**os.environ, "CNN_EXPLORER_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"streamlit did not start in {root}")


async def rendered(page) -> None:
    await page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    await page.wait_for_timeout(200)
    await page.wait_for_selector(DONE)
    await page.wait_for_function(NO_SKELETON)


async def images_per_second(page) -> float | None:
    metric = page.locator('[data-testid="stMetric"]', has_text="Images per second")
    if await metric.count() == 0:
        return None
    text = await metric.locator('[data-testid="stMetricValue"]').inner_text()
    digits = re.sub(r"[^\d.]", "", text)
    return float(digits) if digits else None


async def sample_speed(page, seconds: float) -> list[float]:
    values, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        value = await images_per_second(page)
        if value:
            values.append(value)
        await asyncio.sleep(1.0)
    return values


@dataclass
class Student:
    """What one student's session saw."""

    path: str
    first_render_s: float = float("nan")
    error: str = ""
    reruns_s: list[float] = field(default_factory=list)  # what they did every think period, or a live-fragment tick
    action: str = ""  # what that was on their page (Tab.action)
    reports: int = 0  # explorer reports sent
    unapplied: list[str] = field(default_factory=list)  # reports whose new value the page did not show

    @property
    def ok(self) -> bool:
        return not self.error and not math.isnan(self.first_render_s)

    def note(self, tab: Tab) -> None:
        """Take what the student's tab saw: its first error, what it did, its explorer reports."""
        self.error = self.error or tab.error
        self.action, self.reports, self.unapplied = tab.action, tab.reports, tab.unapplied


# --- students as websocket clients: Streamlit's own protocol, no browser ---------------------

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY: "page", ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment"}
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's double-submit cookie; the X-Xsrftoken header must match it
# The explorers (ui/explorers): a component's key -> the setting a student moves, one step per report.
# Each is a size its fragment's Keras line shows as "(v, v)", so a report's effect can be read back.
EXPLORERS = {"conv_explorer": "conv_kernel", "tconv_explorer": "tconv_kernel", "pool_explorer": "pool_size"}
# Toggles a student flips on other pages (page -> widget key): each think period sends new values.
# Not the Dataset page's seed or class: they sit in a fragment, and a fragment run from this client,
# which sends only the widget states it set (a browser sends every widget's), loses the page's
# other widget keys after an upload ("st.session_state has no key 'dataset_page_name'").
TOGGLED = {"model": "model_page_show_code"}


class Tab:
    """One browser tab on the app, spoken for in Streamlit's protocol over ``/_stcore/stream``.

    It asks for a page as the browser does (a ``rerun_script`` BackMsg with the page, the URL's
    query and every widget's state), keeps what the server drew (elements by delta path, and the
    fragment that drew each), and can press a button (a widget state with ``trigger_value``),
    upload a file to a ``st.file_uploader`` (upload URLs asked for in a ``file_urls_request``, the
    bytes PUT to ``/_stcore/upload_file/<session>/<file>``, then the widget's
    ``file_uploader_state_value``), report an explorer's settled settings (the component's
    ``json_value``) or flip a toggle, each in a rerun of the fragment that holds it.
    """

    def __init__(self, ws, port: int) -> None:
        self.ws, self.port = ws, port
        self.session_id = ""
        self.path, self.query = "", ""
        self.elements: dict[tuple[int, ...], Element] = {}  # what the page shows now
        self.fragment_of: dict[tuple[int, ...], str] = {}  # the fragment that drew each element ("": the page)
        self.live: dict[str, float] = {}  # fragments that ask to be rerun, and their interval (s)
        self.widgets: dict[str, WidgetState] = {}  # values set by this student, sent on every run
        self.error = ""  # the first exception (or failed run) this tab ever saw
        self.action = ""  # what tick() does on this page: its last learner's action, else "live-fragment ticks"
        self.reports = 0  # explorer reports sent (the page's explorers take turns)
        self.unapplied: list[str] = []  # reports whose new value the fragment's Keras line did not show

    async def open(self, path: str, query: str = "") -> float:
        """Go to ``path`` (``""`` is Home) with ``query`` in the URL; seconds until the page finished."""
        self.path, self.query = path, query
        return await self.run()

    async def run(self, fragment_id: str = "", press: str = "", auto_rerun: bool = False) -> float:
        """Rerun the page (or one fragment: ``auto_rerun`` when its own timer asks, not a learner),
        pressing the button with id ``press`` if given; read the server's messages until the
        script finished. Returns the seconds it took."""
        msg = BackMsg()
        state = msg.rerun_script
        state.page_name, state.query_string = self.path, self.query
        state.widget_states.SetInParent()
        for widget in self.widgets.values():
            state.widget_states.widgets.append(widget)
        if press:
            state.widget_states.widgets.add(id=press, trigger_value=True)
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = auto_rerun
        started = time.monotonic()
        await self.ws.send(msg.SerializeToString())
        while True:
            reply = await self._receive()
            kind = reply.WhichOneof("type")
            if kind == "new_session" and not fragment_id:  # a whole page: draw it afresh
                self.elements.clear()
                self.fragment_of.clear()
                self.live.clear()
            elif kind == "script_finished":
                status = reply.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:  # st.rerun(): the next run follows
                    fragment_id = ""
                    continue
                if status not in FINISHED:
                    self._fail(f"script finished with status {status}")
                return time.monotonic() - started

    async def _receive(self) -> ForwardMsg:
        """The next message; deltas, live fragments and errors are recorded on the way."""
        reply = ForwardMsg.FromString(await self.ws.recv())
        kind = reply.WhichOneof("type")
        if kind == "new_session":
            self.session_id = self.session_id or reply.new_session.initialize.session_id
        elif kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
            element = reply.delta.new_element
            self.elements[tuple(reply.metadata.delta_path)] = element
            self.fragment_of[tuple(reply.metadata.delta_path)] = reply.delta.fragment_id
            if element.WhichOneof("type") == "exception":
                self._fail(f"{element.exception.type}: {element.exception.message}")
        elif kind == "page_not_found":
            self._fail(f"page not found: /{self.path}")
        elif kind == "session_event" and reply.session_event.WhichOneof("type") == "script_compilation_exception":
            self._fail(f"script error: {reply.session_event.script_compilation_exception.message}")
        elif kind == "auto_rerun":
            self.live[reply.auto_rerun.fragment_id] = reply.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment in reply.stop_auto_rerun.fragment_ids:
                self.live.pop(fragment, None)
        return reply

    def _fail(self, error: str) -> None:
        self.error = self.error or error

    async def tick(self, think_s: float) -> float:
        """What a browser does next: tick a live fragment at its interval, or after ``think_s``
        send what a learner's move causes: an explorer's settled report, a toggle flipped, or
        (where neither is on the page) the page rerun. Returns the seconds the run took."""
        fragment, interval = next(iter(self.live.items()), ("", think_s))
        await asyncio.sleep(interval)
        if fragment:
            self.action = self.action or "live-fragment ticks"
            return await self.run(fragment, auto_rerun=True)
        explorers = [(c, setting) for key, setting in EXPLORERS.items() if (c := self.find("bidi_component", key=key))]
        if explorers:
            self.action = "explorer reports"
            return await self.settle(*explorers[self.reports % len(explorers)])
        toggle = self.find("checkbox", key=TOGGLED[self.path]) if self.path in TOGGLED else None
        if toggle is not None:
            self.action = "toggle flips"
            return await self.flip(toggle)
        self.action = "page reruns"
        return await self.run()

    # --- reading the page --------------------------------------------------------------------

    def find(self, kind: str, label: str = "", key: str = "") -> Any | None:
        """The element of ``kind`` (e.g. "button", "file_uploader") whose label starts with
        ``label`` or whose widget id ends with ``-key``; None when the page does not show one."""
        for element in self.elements.values():
            if element.WhichOneof("type") != kind:
                continue
            widget = getattr(element, kind)
            if (key and getattr(widget, "id", "").endswith(f"-{key}")) or (label and widget.label.startswith(label)):
                return widget
        return None

    def fragment(self, widget_id: str) -> str:
        """The fragment that drew the widget ``widget_id`` ("" for the page's own script)."""
        for path, element in self.elements.items():
            if getattr(getattr(element, element.WhichOneof("type")), "id", None) == widget_id:
                return self.fragment_of[path]
        raise LookupError(f"no widget {widget_id!r} on /{self.path}")

    def codes(self, fragment_id: str) -> list[str]:
        """The text of every st.code the fragment ``fragment_id`` drew."""
        return [e.code.code_text for path, e in self.elements.items()
                if e.WhichOneof("type") == "code" and self.fragment_of[path] == fragment_id]

    def texts(self) -> list[str]:
        """Every sentence the page shows now: markdown, headings, alerts, metrics, progress bars."""
        out = []
        for element in self.elements.values():
            kind = element.WhichOneof("type")
            widget = getattr(element, kind)
            for name in ("body", "text", "label"):
                if isinstance(getattr(widget, name, None), str) and getattr(widget, name):
                    out.append(getattr(widget, name))
        return out

    def alerts(self, *formats: int) -> list[str]:
        """The bodies of st.error / st.warning / st.info / st.success boxes of these formats."""
        return [e.alert.body for e in self.elements.values()
                if e.WhichOneof("type") == "alert" and (not formats or e.alert.format in formats)]

    def metric(self, label: str) -> str | None:
        for element in self.elements.values():
            if element.WhichOneof("type") == "metric" and element.metric.label == label:
                return element.metric.body
        return None

    # --- acting on it ------------------------------------------------------------------------

    async def press(self, label: str = "", key: str = "") -> float:
        """Click a button found by label or key (it must be on the page)."""
        button = self.find("button", label, key)
        if button is None:
            raise LookupError(f"no button {label or key!r} on /{self.path}")
        return await self.run(press=button.id)

    async def choose(self, option: str, label: str = "", key: str = "") -> float:
        """Pick the option shown as ``option`` on a radio found by label or key (a radio's value
        travels as its option's text)."""
        radio = self.find("radio", label, key)
        if radio is None or option not in radio.options:
            raise LookupError(f"no radio {label or key!r} with the option {option!r} on /{self.path}")
        self.widgets[radio.id] = WidgetState(id=radio.id, string_value=option)
        return await self.run()

    async def settle(self, component: Any, setting: str) -> float:
        """What the browser sends once the learner has moved ``setting`` of this explorer one step
        and the controls rested: the component's state ``{"settings": {"values": every setting,
        "id": new}}`` as its JSON widget value, in a rerun of the fragment that holds it (the
        browser's ``setStateValue``). The report is counted, and noted as not applied when the
        fragment's Keras line does not show the new size."""
        data = json.loads(component.json)
        values = self.explorer_values(component, data)
        lo, hi = data["bounds"][setting]  # the page's own SETTINGS bounds, as it sends them to the browser
        value = lo + (values[setting] - lo + 1) % (hi - lo + 1)  # one step up, back to the lowest past the top
        report = {"settings": {"values": {**values, setting: value}, "id": uuid.uuid4().hex}}
        self.widgets[component.id] = WidgetState(id=component.id, json_value=json.dumps(report))
        fragment = self.fragment(component.id)
        seconds = await self.run(fragment)
        self.reports += 1
        codes = self.codes(fragment)
        if not any(f"({value}, {value})" in code for code in codes):
            self.unapplied.append(f"/{self.path}: {setting}={value}, Keras line {codes!r}"[:200])
        return seconds

    def explorer_values(self, component: Any, data: dict[str, Any]) -> dict[str, Any]:
        """The settings this explorer shows: the student's last report, else those Python sent
        (Python imposes none after a report it applied: ui/explorers)."""
        state = self.widgets.get(component.id)
        return json.loads(state.json_value)["settings"]["values"] if state else data["settings"]

    async def flip(self, toggle: Any) -> float:
        """Flip a toggle (or checkbox) as the browser does: its new value in a rerun of the
        fragment that holds it (the page when none)."""
        sent = self.widgets.get(toggle.id)
        shown = sent.bool_value if sent else (toggle.value if toggle.set_value else toggle.default)
        self.widgets[toggle.id] = WidgetState(id=toggle.id, bool_value=not shown)
        return await self.run(self.fragment(toggle.id))

    async def upload(self, name: str, data: bytes, label: str = "", key: str = "") -> float:
        """Drop a file on the uploader found by label or key, as the browser does; seconds from
        the upload's start to the page's end (the server reads the file in that rerun)."""
        uploader = self.find("file_uploader", label, key)
        if uploader is None:
            raise LookupError(f"no file uploader {label or key!r} on /{self.path}")
        started = time.monotonic()
        msg = BackMsg()
        request_id = uuid.uuid4().hex
        msg.file_urls_request.request_id = request_id
        msg.file_urls_request.session_id = self.session_id
        msg.file_urls_request.file_names.append(name)
        await self.ws.send(msg.SerializeToString())
        while True:
            reply = await self._receive()
            if reply.WhichOneof("type") == "file_urls_response" and reply.file_urls_response.response_id == request_id:
                break
        if reply.file_urls_response.error_msg:
            raise RuntimeError(f"upload refused by Streamlit: {reply.file_urls_response.error_msg}")
        urls = reply.file_urls_response.file_urls[0]
        await asyncio.to_thread(put_file, f"http://127.0.0.1:{self.port}{urls.upload_url}", name, data)
        state = WidgetState(id=uploader.id)
        info = state.file_uploader_state_value.uploaded_file_info.add(name=name, size=len(data), file_id=urls.file_id)
        info.file_urls.CopyFrom(urls)
        self.widgets[uploader.id] = state
        await self.run()
        return time.monotonic() - started


def put_file(url: str, name: str, data: bytes) -> None:
    """PUT one file as the browser's uploader does: multipart form, XSRF cookie and header."""
    token = "2|00000000|" + os.urandom(16).hex() + f"|{int(time.time())}"  # Streamlit's v2 format, mask 0
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="PUT", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-Xsrftoken": token, "Cookie": f"{XSRF_COOKIE}={token}",
    })
    with urllib.request.urlopen(request, timeout=RUN_MS / 1000) as response:
        if response.status >= 300:
            raise RuntimeError(f"upload failed: HTTP {response.status}")


def connect(port: int):
    """A websocket to the server, as the browser opens it."""
    return websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                              origin=f"http://127.0.0.1:{port}", max_size=None, open_timeout=RUN_MS / 1000)


async def socket_student(port: int, path: str, stay_s: float, think_s: float) -> Student:
    """Open ``path``, then stay ``stay_s`` seconds: every ``think_s`` seconds do what a learner's
    move sends (Tab.tick), or, on a page with a live fragment (a run being watched), tick it at
    its own interval."""
    student = Student(path or "home")
    started = time.monotonic()
    try:
        async with connect(port) as ws:
            tab = Tab(ws, port)
            await asyncio.wait_for(tab.open(path), RUN_MS / 1000)
            student.error = tab.error
            student.first_render_s = time.monotonic() - started
            leave = time.monotonic() + stay_s
            while time.monotonic() < leave and not tab.error:
                student.reruns_s.append(await asyncio.wait_for(tab.tick(think_s), RUN_MS / 1000))
            student.note(tab)
    except Exception as exc:  # a session that never rendered is a result, not a crash
        student.error = student.error or f"{type(exc).__name__}: {exc}".splitlines()[0]
    return student


# --- students as Chromium pages (what the first version of this bench did) ------------------

async def browser_student(browser, url: str, path: str, stay_s: float) -> Student:
    student = Student(path or "home")
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(RUN_MS)
    started = time.monotonic()
    try:
        await page.goto(f"{url}/{path}")
        await rendered(page)
        student.first_render_s = time.monotonic() - started
        errors = page.locator('[data-testid="stException"]')
        student.error = (await errors.first.inner_text())[:200] if await errors.count() else ""
        await asyncio.sleep(stay_s)
    except Exception as exc:
        student.error = str(exc).splitlines()[0]
    finally:
        await context.close()
    return student


async def start_training(teacher, url: str) -> None:
    """The instructor: Training page, a long run, Start; back once it reports a speed."""
    await teacher.goto(url)
    await rendered(teacher)
    await teacher.goto(f"{url}/training")
    await rendered(teacher)
    await teacher.get_by_label("Epochs E").fill("200")
    await teacher.get_by_label("Epochs E").press("Enter")
    await rendered(teacher)
    await teacher.get_by_role("button", name="Start training").click()
    for _ in range(120):  # TensorFlow import and the first epoch's tracing
        if (await images_per_second(teacher) or 0) > 0:
            break
        await asyncio.sleep(1.0)
    await asyncio.sleep(5)  # past the first batches' warm-up


async def main(sessions: int, clients: str, quiet_s: float, stay_s: float, think_s: float) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            teacher = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            teacher.set_default_timeout(RUN_MS)
            await start_training(teacher, url)
            quiet = await sample_speed(teacher, quiet_s)

            paths = [MIX[i % len(MIX)] for i in range(sessions)]
            load_started = time.monotonic()
            speed_task = asyncio.create_task(sample_speed(teacher, stay_s))
            if clients == "websocket":
                students = await asyncio.gather(*(socket_student(port, path, stay_s, think_s) for path in paths))
            else:
                students = await asyncio.gather(*(browser_student(browser, url, path, stay_s) for path in paths))
            wall = time.monotonic() - load_started
            under_load = await speed_task
            await teacher.get_by_role("button", name="Stop").first.click()
            await browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(students, clients, quiet, under_load, wall)


def print_renders(students: list) -> None:
    """Who rendered without an exception, the time to first render, each page's runs after it
    (what its students did every think period), and the explorer reports the server applied."""
    ok = [s for s in students if s.ok]
    firsts = sorted(s.first_render_s for s in ok)
    print(f"rendered without exception: {len(ok)} / {len(students)}")
    for s in students:
        if not s.ok:
            role = f"{s.role} " if getattr(s, "role", "") else ""
            print(f"  failed: {role}/{s.path}: {s.error.splitlines()[0] if s.error else 'no render'}")
    if firsts:
        print(f"time to first render: median {statistics.median(firsts):.1f} s, "
              f"p90 {firsts[math.ceil(0.9 * len(firsts)) - 1]:.1f} s, max {firsts[-1]:.1f} s")
    for path in sorted({s.path for s in students}):
        mine = [s for s in students if s.path == path]
        reruns = [x for s in mine for x in s.reruns_s]
        did = " / ".join(sorted({s.action for s in mine if s.action})) or "reruns"
        again = f", {len(reruns)} {did}, median {statistics.median(reruns):.2f} s, max {max(reruns):.2f} s" if reruns else ""
        print(f"  /{path}: {len(mine)} sessions, first render median "
              f"{statistics.median(s.first_render_s for s in mine):.1f} s{again}")
    print_reports(students)


def print_reports(students: list) -> None:
    """How many explorer reports the server applied (the Keras line showed the new value), and
    the first few it did not."""
    reports = sum(s.reports for s in students)
    unapplied = [note for s in students for note in s.unapplied]
    print(f"explorer reports applied (the fragment's Keras line shows the new value): "
          f"{reports - len(unapplied)} / {reports}" + ("  NOT ALL APPLIED" if unapplied else ""))
    for note in unapplied[:5]:
        print(f"  not applied: {note}")


def report(students: list[Student], clients: str, quiet: list[float], under_load: list[float], wall: float) -> None:
    print(f"{len(students)} {clients} students at once (+1 instructor in Chromium training on the bundled MNIST sample)")
    print_renders(students)
    print(f"(the students stayed {wall:.0f} s in all)")
    if quiet and under_load:
        q, l = statistics.median(quiet), statistics.median(under_load)
        print(f"training images/s: quiet median {q:,.0f}, under load median {l:,.0f}, ratio {l / q:.2f}")
    else:
        print("training images/s: not measured (the run did not report a speed)")


# --- a class: the instructor trains on 60,000 images while the students use every page --------

CLASS_MIX = ["convolution", "pooling", "dataset", "model", "training", "predictions", "convolution", "pooling", ""]
TRAINERS, GOOD_UPLOADS = 5, 2  # students who press Train on Predictions / upload the Fashion-MNIST .npz
BAD_UPLOADS = ("npz_bomb", "png_bomb")
BOMB_IMAGES = 2_000_000  # what the npz bomb's x_train claims: 1.57 GB once unpacked, a 1.5 MB file
PEAK_RSS_LIMIT_MIB = 1024  # the server's memory budget on a 1 GB-class container
MIN_TRAINING_RATIO = 0.6  # the instructor's images/s with the class present, over its figure alone
REFUSAL = (Alert.ERROR, Alert.WARNING)  # how a page says "this file cannot be used"
QUICK_SOURCE = "The tutorial's network, trained here"  # Predictions' "Which model?" choice with the Train button


@dataclass
class ClassStudent(Student):
    """One student of the class: what they did (``role``) and how it ended (``outcome``)."""

    role: str = "browse"  # browse | train | upload | npz_bomb | png_bomb
    outcome: str = ""  # train: finished / not finished; uploads: accepted / refused / ...
    waited_s: float = float("nan")  # train: from the press to the finished run
    ticks_s: list[float] = field(default_factory=list)  # live-fragment ticks (reruns_s: whole pages)


def class_roles(sessions: int) -> list[tuple[str, str]]:
    """(role, first page) for each student: 5 trainers, 2 good uploads, the two bombs, then the
    lesson's pages for everyone else (in the order a class spreads over them). One of each
    special role and two browsers (Convolution and Pooling: the explorers) come before the other
    trainers and uploads, so that a short dry run (``--sessions 6``) tries every part."""
    first = [("train", "predictions"), ("upload", "dataset"), ("npz_bomb", "dataset"), ("png_bomb", "predictions")]
    more = [("train", "predictions")] * (TRAINERS - 1) + [("upload", "dataset")] * (GOOD_UPLOADS - 1)
    special = first[:sessions] + more[:max(0, sessions - len(first) - 2)]
    return special + [("browse", CLASS_MIX[i % len(CLASS_MIX)]) for i in range(sessions - len(special))]


QUICK_MODEL = re.compile(r"Tutorial network · \d+ epochs? on this page")  # the quick model's label on Predictions


def train_finished(tab: Tab) -> bool:
    """Whether the Predictions page shows the model this student's quick run trained."""
    return any(QUICK_MODEL.search(text) for text in tab.texts())


async def class_student(port: int, role: str, path: str, files: dict[str, bytes], args: argparse.Namespace) -> ClassStudent:
    """One student: open their page, do their part (train, upload), then stay as the others do."""
    student = ClassStudent(path or "home", role=role)
    started = time.monotonic()
    limit = RUN_MS / 1000
    try:
        async with connect(port) as ws:
            tab = Tab(ws, port)
            pages = [(path, "")]  # (page, its link's query), in the order the student opens them
            if role == "train":  # the instructor's links: the lesson's dataset, then Predictions
                pages = [("predictions", f"pred_quick_epochs={args.student_epochs}")]
                if args.student_dataset != "mnist":
                    pages.insert(0, ("dataset", f"dataset_page_name={args.student_dataset}"))
            elif role == "png_bomb":
                pages = [("predictions", "pred_tab=draw")]
            for page, query in pages:
                await asyncio.wait_for(tab.open(page, query), limit)
                if math.isnan(student.first_render_s):
                    student.first_render_s = time.monotonic() - started
            if role == "train" and not tab.error:
                await train_and_wait(tab, student, args)
            elif role in BAD_UPLOADS + ("upload",) and not tab.error:
                student.outcome = await asyncio.wait_for(upload(tab, role, files), limit)
            await stay(tab, student, time.monotonic() + args.stay_seconds, args.think_seconds)
            student.note(tab)
    except Exception as exc:  # a session that never rendered, or a widget that was not there, is a result
        student.error = student.error or f"{type(exc).__name__}: {exc}".splitlines()[0]
    if not student.outcome and role != "browse":
        student.outcome = "never pressed Train" if role == "train" else "never uploaded"
    return student


async def stay(tab: Tab, student: ClassStudent, until: float, think_s: float, done: Any = None) -> None:
    """Every ``think_s`` do what a learner's move sends (Tab.tick; live fragments tick at their
    own pace) until ``until`` (monotonic seconds), an exception, or ``done(tab)`` is true."""
    while time.monotonic() < until and not tab.error and not (done and done(tab)):
        live = bool(tab.live)
        seconds = await asyncio.wait_for(tab.tick(think_s), RUN_MS / 1000)
        (student.ticks_s if live else student.reruns_s).append(seconds)


async def train_and_wait(tab: Tab, student: ClassStudent, args: argparse.Namespace) -> None:
    """Press Train on Predictions, then watch the page (its place in line, then its progress)
    until the model is there, the page says the run failed, or ``--queue-timeout`` passes."""
    pressed = time.monotonic()
    if tab.find("button", key="pred_quick_train") is None:  # the page opened on another model
        await asyncio.wait_for(tab.choose(QUICK_SOURCE, key="pred_source"), RUN_MS / 1000)
    await asyncio.wait_for(tab.press(key="pred_quick_train"), RUN_MS / 1000)
    await stay(tab, student, pressed + args.queue_timeout, args.think_seconds,
               done=lambda t: train_finished(t) or t.alerts(Alert.ERROR))
    waited = time.monotonic() - pressed
    failed = " | ".join(tab.alerts(Alert.ERROR))[:160]
    if train_finished(tab):
        student.outcome, student.waited_s = "finished", waited
    else:
        student.outcome = f"failed: {failed}" if failed else f"not finished after {waited:.0f} s"


async def upload(tab: Tab, role: str, files: dict[str, bytes]) -> str:
    """Upload this role's file where a student would; the verdict: accepted / refused (a
    sentence on the page, no exception) / what went wrong."""
    if role == "png_bomb":  # the Draw tab's "…or upload a photo"
        await tab.upload("bomb.png", files["png_bomb"], key="pred_photo")
        accepted = any("reads your photo" in text for text in tab.texts())
    else:  # the Dataset page's "Use your own .npz file"
        await tab.upload(f"{role}.npz", files[role], key="dataset_page_upload")
        claimed = "60,000" if role == "upload" else f"{BOMB_IMAGES:,}"
        accepted = tab.metric("Training images") == claimed
    if tab.error:
        return "exception"
    if role == "upload":
        return "accepted" if accepted else "not accepted: " + " | ".join(tab.alerts(*REFUSAL))[:160]
    if accepted:
        return "accepted (a bomb!)"
    return "refused" if tab.alerts(*REFUSAL) else "no sentence shown"


# --- the server's memory ------------------------------------------------------------------


def proc_kib(pid: int, field_name: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB (VmHWM: peak resident set; VmRSS: now; RssAnon: the
    part no file backs, which the kernel cannot drop under pressure); 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Every live child process of ``pid``, and theirs."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(k) for k in children.read_text().split()]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return found


async def watch_memory(pid: int, peak: dict[str, Any], every_s: float = 0.5) -> None:
    """Keep ``peak["mib"]``: the server's VmHWM plus its children's, sampled until cancelled
    (children are sampled while alive: one that ends keeps its last high-water mark), and
    ``peak["phases"]``: the largest VmRSS seen during each phase named by ``peak["phase"]``, and
    ``peak["anon_mib"]``: the largest anonymous RSS sampled (the rest are TensorFlow's and Python's
    library pages, read from disk, which a full container evicts instead of running out)."""
    children: dict[int, int] = {}
    while True:
        for child in descendants(pid):
            children[child] = max(children.get(child, 0), proc_kib(child, "VmHWM"))
        server = proc_kib(pid, "VmHWM")
        if server:
            peak["mib"] = max(peak.get("mib", 0.0), (server + sum(children.values())) / 1024)
            peak["children"] = len(children)
            peak["anon_mib"] = max(peak.get("anon_mib", 0.0), proc_kib(pid, "RssAnon") / 1024)
            phases = peak.setdefault("phases", {})
            phase = peak.get("phase", "start")
            phases[phase] = max(phases.get(phase, 0.0), proc_kib(pid, "VmRSS") / 1024)
        await asyncio.sleep(every_s)


# --- the instructor, in Chromium ----------------------------------------------------------

OWN_RUN_GOING = "Your run is going"  # the Training page's line beside Start while your own run trains
INSTRUCTOR_TOKEN = uuid.uuid4().hex  # this server's instructor token, carried by the instructor's link only


async def instructor_ready(page, url: str, epochs: int) -> None:
    """Fashion-MNIST (the instructor's link to the Dataset page, with the server's instructor
    token: their runs go to the front of the line), then the Training page with ``epochs`` set,
    the 60,000 images loaded from the Keras download."""
    await page.goto(f"{url}/dataset?dataset_page_name=fashion_mnist&instructor={INSTRUCTOR_TOKEN}")
    await rendered(page)
    await page.get_by_role("link", name="Training", exact=True).first.click()
    await rendered(page)
    await page.get_by_text("60,000 train").first.wait_for()
    box = page.get_by_role("spinbutton", name="Epochs E")
    await box.fill(str(epochs))
    await box.press("Enter")
    await rendered(page)


async def instructor_run(page, started: asyncio.Event | None = None) -> dict[str, Any]:
    """Start a run and follow it to its end: its live images/s every second (the page's figure
    over the last few seconds), read while the page shows the instructor's own run going. (When
    it ends, the panel may turn at once to a student's run that was waiting: that is not read.)"""
    going = page.get_by_text(OWN_RUN_GOING)
    await page.get_by_role("button", name="Start training").click()
    await going.first.wait_for()
    t0, samples = time.monotonic(), []
    while await going.count():
        speed = await images_per_second(page)
        if speed:
            if started is not None:
                started.set()
            samples.append(speed)
        if time.monotonic() - t0 > RUN_MS / 1000 * 10:
            raise SystemExit("the instructor's run did not end within 30 minutes")
        await asyncio.sleep(1.0)
    if started is not None:
        started.set()
    return {"samples": samples[2:] or samples, "seconds": time.monotonic() - t0}  # past the first batches


def class_server_env(tmp: Path) -> dict[str, str]:
    """Online as on Cloud: the Keras cache holds Fashion-MNIST, so its 60,000 images load."""
    env = {k: v for k, v in os.environ.items() if k != "CNN_EXPLORER_OFFLINE"}
    env.update({"KERAS_HOME": str(tmp / "keras"), "CNN_EXPLORER_RUNS_DIR": str(tmp / "runs"),
                "TF_CPP_MIN_LOG_LEVEL": "2", "CNN_EXPLORER_INSTRUCTOR_TOKEN": INSTRUCTOR_TOKEN})
    return env


async def class_main(args: argparse.Namespace) -> int:
    """The class scenario (see the module's docstring); the exit status: 0 when every target is met."""
    with tempfile.TemporaryDirectory(prefix="cnn-class-") as tmp_name:
        tmp = Path(tmp_name)
        write_keras_cache(args.data, tmp / "keras")
        files = {"upload": args.data.read_bytes(), "npz_bomb": npz_bomb_bytes(BOMB_IMAGES), "png_bomb": png_bomb_bytes()}
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(port, class_server_env(tmp), log=tmp / "streamlit.log")
        peak: dict[str, Any] = {"phase": "server started"}
        memory = asyncio.create_task(watch_memory(server.pid, peak))
        try:
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                teacher = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
                teacher.set_default_timeout(RUN_MS)
                peak["phase"] = "instructor's pages open"
                await instructor_ready(teacher, url, args.epochs)
                peak["phase"] = "class + instructor's run"
                going = asyncio.Event()
                class_run = asyncio.create_task(instructor_run(teacher, going))
                class_run.add_done_callback(lambda _: peak.update(phase="class, instructor's run over"))
                await going.wait()  # the instructor's run trains: the students' runs queue behind it
                load_started = time.monotonic()
                students = await asyncio.gather(*(class_student(port, role, path, files, args)
                                                  for role, path in class_roles(args.sessions)))
                wall = time.monotonic() - load_started
                under_load = await class_run
                peak["phase"] = "instructor alone"
                quiet = await instructor_run(teacher)  # the same run once the class has left
                await browser.close()
        finally:
            memory.cancel()
            server.terminate()
            server.wait(timeout=30)
            if args.server_log:
                args.server_log.write_text((tmp / "streamlit.log").read_text())
    return class_report(students, quiet, under_load, peak, wall, args)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def rounded(x: float, digits: int = 0) -> float | None:
    """For the JSON line: NaN (not measured) becomes null."""
    return None if math.isnan(x) else round(x, digits or None)


def class_report(students: list[ClassStudent], quiet: dict, under_load: dict, peak: dict, wall: float,
                 args: argparse.Namespace) -> int:
    """Print the class's figures, PASS/FAIL per target, and (last line) one JSON object."""
    ok = [s for s in students if s.ok]
    firsts = sorted(s.first_render_s for s in ok)
    reruns = [x for s in students for x in s.reruns_s]
    ticks = [x for s in students for x in s.ticks_s]
    trainers = [s for s in students if s.role == "train"]
    bad = [s for s in students if s.role in BAD_UPLOADS]
    good = [s for s in students if s.role == "upload"]
    quiet_speed, class_speed = median(quiet["samples"]), median(under_load["samples"])
    ratio = class_speed / quiet_speed if quiet_speed else float("nan")
    print(f"A class: {len(students)} websocket students + 1 instructor in Chromium training the Tutorial "
          f"network on {args.data.name} (60,000 images from the Keras cache), {args.epochs} epoch(s)")
    print_renders(students)
    print(f"students' actions (explorer reports, toggle flips, page reruns): median {median(reruns):.2f} s "
          f"over {len(reruns)}; live-fragment ticks: median "
          f"{median(ticks):.2f} s over {len(ticks)} (the students stayed {wall:.0f} s in all)")
    for s in trainers:
        print(f"  Train on Predictions ({args.student_epochs} epoch(s), {args.student_dataset}): {s.outcome}"
              + (f", {s.waited_s:.0f} s from the press" if not math.isnan(s.waited_s) else ""))
    for s in good + bad:
        print(f"  upload ({s.role}): {s.outcome}")
    print(f"instructor's run (median of its live images/s): alone {quiet_speed:,.0f} over {quiet['seconds']:.0f} s, "
          f"with the class {class_speed:,.0f} over {under_load['seconds']:.0f} s: ratio {ratio:.2f}")
    peak_mib = peak.get("mib", float("nan"))
    print(f"server peak RSS (VmHWM{' + children' if peak.get('children') else ''}): {peak_mib:,.0f} MiB; largest RSS "
          "by phase: " + " · ".join(f"{name} {mib:,.0f}" for name, mib in peak.get("phases", {}).items())
          + f"; anonymous RSS at most {peak.get('anon_mib', float('nan')):,.0f} MiB (sampled)")
    result = {
        "sessions": len(students), "rendered": len(ok), "errors": len(students) - len(ok),
        "bad_uploads": len(bad), "refused_uploads": sum(s.outcome == "refused" for s in bad),
        "good_uploads": len(good), "accepted_uploads": sum(s.outcome == "accepted" for s in good),
        "queued_runs": len(trainers), "queued_runs_finished": sum(s.outcome == "finished" for s in trainers),
        "peak_rss_mib": rounded(peak_mib), "peak_anon_rss_mib": rounded(peak.get("anon_mib", float("nan"))),
        "training_ratio": rounded(ratio, 3),
        "quiet_images_per_s": rounded(quiet_speed), "class_images_per_s": rounded(class_speed),
        "first_render_median_s": rounded(median(firsts), 2), "rerun_median_s": rounded(median(reruns), 3),
        "explorer_reports": sum(s.reports for s in students),
        "explorer_reports_applied": sum(s.reports - len(s.unapplied) for s in students),
        "tick_median_s": rounded(median(ticks), 3),
        "queue_wait_max_s": rounded(max((s.waited_s for s in trainers if not math.isnan(s.waited_s)), default=float("nan")), 1),
    }
    targets = {
        "every session renders": result["rendered"] == result["sessions"],
        "every explorer report applied": result["explorer_reports_applied"] == result["explorer_reports"],
        "every bad upload refused": result["refused_uploads"] == result["bad_uploads"],
        "every queued run finishes": result["queued_runs_finished"] == result["queued_runs"],
        f"peak RSS < {PEAK_RSS_LIMIT_MIB:,} MiB": peak_mib < PEAK_RSS_LIMIT_MIB,
        f"training ratio >= {MIN_TRAINING_RATIO}": ratio >= MIN_TRAINING_RATIO,
    }
    for name, passed in targets.items():
        print(f"{'PASS' if passed else 'FAIL'}  {name}")
    result["passed"] = all(targets.values())
    print(json.dumps(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["viewers", "class"], default="viewers",
                        help="viewers: N students open pages while one run trains on the bundled sample; "
                        "class: the instructor trains on 60,000 images while students train, upload and browse")
    parser.add_argument("--sessions", type=int, help="students (default 20; 30 for --scenario class)")
    parser.add_argument("--clients", choices=["websocket", "browser"], default="websocket")
    parser.add_argument("--quiet-seconds", type=float, default=15, help="training speed sampled alone")
    parser.add_argument("--stay-seconds", type=float, default=30, help="how long the students stay after rendering")
    parser.add_argument("--think-seconds", type=float, default=3, help="between a student's reruns")
    class_only = parser.add_argument_group("--scenario class")
    class_only.add_argument("--data", type=Path, default=FASHION,
                            help="Fashion-MNIST in the Keras layout: the server's Keras download, and the good upload")
    class_only.add_argument("--epochs", type=int, default=1, help="epochs of the instructor's run (60,000 images each)")
    class_only.add_argument("--student-epochs", type=int, choices=[1, 2, 3], default=1,
                            help="epochs of each student's quick run on Predictions")
    class_only.add_argument("--student-dataset", choices=["mnist", "fashion_mnist"], default="fashion_mnist",
                            help="the dataset the training students chose (mnist: a fresh session's, the bundled sample)")
    class_only.add_argument("--queue-timeout", type=float, default=900,
                            help="seconds a training student waits, from the press, for their run to finish")
    class_only.add_argument("--server-log", type=Path, help="keep the server's output in this file")
    args = parser.parse_args()
    if args.scenario == "class":
        args.sessions = 30 if args.sessions is None else args.sessions
        sys.exit(asyncio.run(class_main(args)))
    args.sessions = 20 if args.sessions is None else args.sessions
    asyncio.run(main(args.sessions, args.clients, args.quiet_seconds, args.stay_seconds, args.think_seconds))
