"""A class at once: N student sessions use the app while the instructor trains.

    python bench/load_test.py                      # 20 viewers, the default mix of pages
    python bench/load_test.py --sessions 30
    python bench/load_test.py --clients browser    # students in Chromium too (heavy: see below)
    python bench/load_test.py --scenario class     # 30 students who also train and upload (below)
    python bench/load_test.py --scenario class --sessions 6 --stay-seconds 5 --student-dataset mnist
    python bench/load_test.py --scenario class --kill-worker   # the worker killed under the instructor's run

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

Every rerun a student causes is followed, as in a browser, by fetching the ``/media/...`` URLs
of the images the page now shows that the student has not fetched yet (an image element carries
its URL in the proto); a URL the server does not serve is counted (a broken image).

Scenario "class" (online, as on Cloud: Fashion-MNIST from ``--data`` is written where
``keras.datasets.fashion_mnist.load_data()`` finds its download, so the server loads all 60,000
images; TensorFlow runs in the server's worker process, cnn_core/client.py, stopped after
``--worker-idle-seconds`` idle): the instructor opens the Dataset page on Fashion-MNIST and the
Training page, then, ``--rounds`` times, trains an ``--epochs`` run alone (a quiet round) and the
same run with the class (a class round), and once more alone at the end: quiet, class, quiet, so
that drift of the machine over the bench hits both figures. In a class round, once the
instructor's run trains, N students (default 30) arrive: 5 press "Train" on Predictions (a
``--student-epochs`` quick run on ``--student-dataset``; their runs queue behind the
instructor's, and each waits up to ``--queue-timeout`` for its own to finish), 2 upload the
Fashion-MNIST ``.npz`` on the Dataset page, 1 uploads an npz bomb and 1 a PNG bomb on
Predictions' Draw tab (bench/_bombs.py), the others open the lesson's pages; all then stay
``--stay-seconds``, acting as above. It reports:

* sessions rendered without an exception; first-render and student-action medians; explorer
  reports applied; images served;
* bad uploads refused in their own words (the image cap's sentence for the npz bomb, the
  megapixel cap's for the PNG: another warning on the page is no refusal); good uploads accepted;
* queued runs finished: the Predictions page's "Trained." sentence, the model's label counting
  the epochs asked for, and the last progress the student saw in the last epoch (a stopped run
  also gets a model and a label);
* the training ratio: the instructor's median images/s with the class over its median alone,
  the loaded readings (one a second, from the page) kept only while every student of the round
  was connected (from the last websocket opened to the first closed; trainers stay until their
  run ends, the others ``--stay-seconds``), with the share of the class runs' time they cover;
  the quiet readings from all quiet rounds;
* memory of the tree, the server plus its workers (its descendants running ``cnn_core.worker``;
  not Chromium, the students or the bench): every 0.5 s the VmRSS of each, read in one pass and
  summed (``tree_peak_rss_mib``: the largest sum; also the largest by phase); the kernel's own
  high-water marks, each process's VmHWM (``server_peak_rss_mib``: the server's; their sum
  ``tree_hwm_sum_mib`` bounds the tree's peak from above) and the cgroup's ``memory.peak`` where
  cgroup v2 keeps one ("unavailable" otherwise); ``max_sampled_anon_rss_mib``: the server's
  largest sampled anonymous RSS;
* ``idle_tree_rss_mib``: the tree once the class has left and the worker's idle time has passed
  (the bench waits until the server has stopped its workers, at most the idle time + 30 s, and
  until Streamlit has dropped the students' closed sessions, 120 s after they left, and the
  idle server has collected them);
* ``server_imports_tensorflow``: whether the server's ``/proc/<pid>/maps`` maps TensorFlow's
  libraries (libtensorflow*, _pywrap_tensorflow*) after the class: a library a process imported
  stays mapped, so this is read from outside, with no hook in the app;
* with ``--kill-worker`` (the instructor's runs checkpoint every epoch, and train 2 epochs by
  default): in the first class round, once the instructor's live panel shows its first
  checkpoint, the worker training it is SIGKILLed (as the kernel's out-of-memory killer would);
  every student then reruns their page once (``rendered_after_kill``: those that finished
  without an exception), and the instructor presses "Resume from epoch N" in Chromium and waits
  for the resumed run to finish all its epochs (``resumed_run_finished``). The killed run's
  readings stop at the kill, so the training ratio is printed but is no target there.

PASS/FAIL per target; last line: one JSON object.

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
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from _bombs import npz_bomb_bytes, png_bomb_bytes
from _process_tree import (
    TreeMemory,
    busiest,
    cgroup_peak_mib,
    descendants,  # noqa: F401 - bench/browser_latency.py imports it from here
    maps_mention,
    proc_kib,  # noqa: F401 - bench/upload_memory.py imports it from here
    sigkill,
    worker_pids,
)
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from training_memory import SHARED, write_keras_cache

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tools/
from tools.running_app import CHROMIUM_ARGS, chromium_path, free_port, start_app

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = chromium_path() or "/usr/bin/chromium"
# What a class opens: mostly the light pages, some data and model pages, a few live watchers.
MIX = ["convolution", "pooling", "convolution", "pooling", "dataset", "model", "training", ""]
RUN_MS = 180_000
# Fashion-MNIST in the Keras layout: beside the repository (../shared, as in /work/main), else the
# machine's copy.
FASHION = next(
    (
        d / "fashion-mnist-70k.npz"
        for d in (SHARED, Path("/work/shared/datasets"))
        if (d / "fashion-mnist-70k.npz").exists()
    ),
    SHARED / "fashion-mnist-70k.npz",
)
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
NO_SKELETON = "() => !document.querySelector('[data-testid=\"stSkeleton\"]')"


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
    reruns_s: list[float] = field(
        default_factory=list
    )  # what they did every think period, or a live-fragment tick
    action: str = ""  # what that was on their page (Tab.action)
    reports: int = 0  # explorer reports sent
    unapplied: list[str] = field(default_factory=list)  # reports whose new value the page did not show
    media_fetched: int = 0  # images fetched from /media/ as the browser would
    media_failed: list[str] = field(default_factory=list)  # "url: why" for each one not served

    @property
    def ok(self) -> bool:
        return not self.error and not math.isnan(self.first_render_s)

    def note(self, tab: Tab) -> None:
        """Take what the student's tab saw: its first error, what it did, its explorer reports,
        the images it fetched."""
        self.error = self.error or tab.error
        self.action, self.reports, self.unapplied = tab.action, tab.reports, tab.unapplied
        self.media_fetched = sum(not why for why in tab.media.values())
        self.media_failed = [f"{url}: {why}" for url, why in tab.media.items() if why]


# --- students as websocket clients: Streamlit's own protocol, no browser ---------------------

FINISHED = {
    ForwardMsg.FINISHED_SUCCESSFULLY: "page",
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment",
}
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
        self.fragment_of: dict[
            tuple[int, ...], str
        ] = {}  # the fragment that drew each element ("": the page)
        self.live: dict[str, float] = {}  # fragments that ask to be rerun, and their interval (s)
        self.widgets: dict[str, WidgetState] = {}  # values set by this student, sent on every run
        self.error = ""  # the first exception (or failed run) this tab ever saw
        self.action = (
            ""  # what tick() does on this page: its last learner's action, else "live-fragment ticks"
        )
        self.reports = 0  # explorer reports sent (the page's explorers take turns)
        self.unapplied: list[str] = []  # reports whose new value the fragment's Keras line did not show
        self.media: dict[str, str] = {}  # /media/... URLs fetched: "" when served, else what went wrong
        self.media_s: list[float] = []  # how long each batch of new images took to fetch

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
                seconds = time.monotonic() - started
                await self.fetch_media()
                return seconds

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
        elif (
            kind == "session_event"
            and reply.session_event.WhichOneof("type") == "script_compilation_exception"
        ):
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
        explorers = [
            (c, setting) for key, setting in EXPLORERS.items() if (c := self.find("bidi_component", key=key))
        ]
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
            if (key and getattr(widget, "id", "").endswith(f"-{key}")) or (
                label and widget.label.startswith(label)
            ):
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
        return [
            e.code.code_text
            for path, e in self.elements.items()
            if e.WhichOneof("type") == "code" and self.fragment_of[path] == fragment_id
        ]

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
        return [
            e.alert.body
            for e in self.elements.values()
            if e.WhichOneof("type") == "alert" and (not formats or e.alert.format in formats)
        ]

    def media_urls(self) -> list[str]:
        """The URLs of the images (and any audio or video) the page shows: the browser fetches
        each new one from the server's media endpoint as its element arrives."""
        urls = []
        for element in self.elements.values():
            kind = element.WhichOneof("type")
            if kind == "imgs":
                urls += [img.url for img in element.imgs.imgs]
            elif kind in ("audio", "video"):
                urls.append(getattr(element, kind).url)
        return [u for u in urls if u.startswith("/")]  # not inline data: or another site's URL

    def progress_texts(self) -> list[str]:
        """The text of every progress bar the page shows (a run's "Epoch 1 of 2 · batch …")."""
        return [e.progress.text for e in self.elements.values() if e.WhichOneof("type") == "progress"]

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
        value = lo + (values[setting] - lo + 1) % (
            hi - lo + 1
        )  # one step up, back to the lowest past the top
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

    async def fetch_media(self) -> None:
        """Fetch the images the page now shows that this tab has not fetched yet, as the
        browser does for each new ``<img>`` (an unchanged URL is not fetched again); a URL the
        server does not serve is recorded (the learner would see a broken image)."""
        urls = [u for u in dict.fromkeys(self.media_urls()) if u not in self.media]
        if not urls:
            return
        started = time.monotonic()
        verdicts = await asyncio.gather(
            *(asyncio.to_thread(get_media, f"http://127.0.0.1:{self.port}{u}") for u in urls)
        )
        self.media.update(zip(urls, verdicts))
        self.media_s.append(time.monotonic() - started)

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
            if (
                reply.WhichOneof("type") == "file_urls_response"
                and reply.file_urls_response.response_id == request_id
            ):
                break
        if reply.file_urls_response.error_msg:
            raise RuntimeError(f"upload refused by Streamlit: {reply.file_urls_response.error_msg}")
        urls = reply.file_urls_response.file_urls[0]
        await asyncio.to_thread(put_file, f"http://127.0.0.1:{self.port}{urls.upload_url}", name, data)
        state = WidgetState(id=uploader.id)
        info = state.file_uploader_state_value.uploaded_file_info.add(
            name=name, size=len(data), file_id=urls.file_id
        )
        info.file_urls.CopyFrom(urls)
        self.widgets[uploader.id] = state
        await self.run()
        return time.monotonic() - started


def put_file(url: str, name: str, data: bytes) -> None:
    """PUT one file as the browser's uploader does: multipart form, XSRF cookie and header."""
    token = "2|00000000|" + os.urandom(16).hex() + f"|{int(time.time())}"  # Streamlit's v2 format, mask 0
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url,
        data=body,
        method="PUT",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Xsrftoken": token,
            "Cookie": f"{XSRF_COOKIE}={token}",
        },
    )
    with urllib.request.urlopen(request, timeout=RUN_MS / 1000) as response:
        if response.status >= 300:
            raise RuntimeError(f"upload failed: HTTP {response.status}")


def get_media(url: str) -> str:
    """GET one media file as the browser's ``<img>`` does: "" when served, else what went wrong."""
    try:
        with urllib.request.urlopen(url, timeout=RUN_MS / 1000) as response:
            body = response.read()
        return "" if body else "empty"
    except Exception as exc:  # noqa: BLE001 - a broken image is a result
        return f"{type(exc).__name__}: {exc}"[:120]


def connect(port: int):
    """A websocket to the server, as the browser opens it."""
    return websockets.connect(
        f"ws://127.0.0.1:{port}/_stcore/stream",
        subprotocols=["streamlit"],
        origin=f"http://127.0.0.1:{port}",
        max_size=None,
        open_timeout=RUN_MS / 1000,
    )


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
    server = start_app(port)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            teacher = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            teacher.set_default_timeout(RUN_MS)
            await start_training(teacher, url)
            quiet = await sample_speed(teacher, quiet_s)

            paths = [MIX[i % len(MIX)] for i in range(sessions)]
            load_started = time.monotonic()
            speed_task = asyncio.create_task(sample_speed(teacher, stay_s))
            if clients == "websocket":
                students = await asyncio.gather(
                    *(socket_student(port, path, stay_s, think_s) for path in paths)
                )
            else:
                students = await asyncio.gather(
                    *(browser_student(browser, url, path, stay_s) for path in paths)
                )
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
        print(
            f"time to first render: median {statistics.median(firsts):.1f} s, "
            f"p90 {firsts[math.ceil(0.9 * len(firsts)) - 1]:.1f} s, max {firsts[-1]:.1f} s"
        )
    for path in sorted({s.path for s in students}):
        mine = [s for s in students if s.path == path]
        reruns = [x for s in mine for x in s.reruns_s]
        did = " / ".join(sorted({s.action for s in mine if s.action})) or "reruns"
        again = (
            f", {len(reruns)} {did}, median {statistics.median(reruns):.2f} s, max {max(reruns):.2f} s"
            if reruns
            else ""
        )
        print(
            f"  /{path}: {len(mine)} sessions, first render median "
            f"{statistics.median(s.first_render_s for s in mine):.1f} s{again}"
        )
    print_reports(students)
    print_media(students)


def print_media(students: list) -> None:
    """The images the students' pages showed, fetched from /media/ as a browser does, and the
    first few the server did not serve."""
    failed = [note for s in students for note in s.media_failed]
    print(
        f"images fetched from /media/ (each new URL a page showed, once per session): "
        f"{sum(s.media_fetched for s in students)} served, {len(failed)} not"
    )
    for note in failed[:5]:
        print(f"  not served: {note}")


def print_reports(students: list) -> None:
    """How many explorer reports the server applied (the Keras line showed the new value), and
    the first few it did not."""
    reports = sum(s.reports for s in students)
    unapplied = [note for s in students for note in s.unapplied]
    print(
        f"explorer reports applied (the fragment's Keras line shows the new value): "
        f"{reports - len(unapplied)} / {reports}" + ("  NOT ALL APPLIED" if unapplied else "")
    )
    for note in unapplied[:5]:
        print(f"  not applied: {note}")


def report(
    students: list[Student], clients: str, quiet: list[float], under_load: list[float], wall: float
) -> None:
    print(
        f"{len(students)} {clients} students at once (+1 instructor in Chromium training on the bundled "
        "MNIST sample)"
    )
    print_renders(students)
    print(f"(the students stayed {wall:.0f} s in all)")
    if quiet and under_load:
        calm, busy = statistics.median(quiet), statistics.median(under_load)
        print(
            f"training images/s: quiet median {calm:,.0f}, under load median {busy:,.0f}, "
            f"ratio {busy / calm:.2f}"
        )
    else:
        print("training images/s: not measured (the run did not report a speed)")


# --- a class: the instructor trains on 60,000 images while the students use every page --------

CLASS_MIX = [
    "convolution",
    "pooling",
    "dataset",
    "model",
    "training",
    "predictions",
    "convolution",
    "pooling",
    "",
]
TRAINERS, GOOD_UPLOADS = 5, 2  # students who press Train on Predictions / upload the Fashion-MNIST .npz
BAD_UPLOADS = ("npz_bomb", "png_bomb")
BOMB_IMAGES = 2_000_000  # what the npz bomb's x_train claims: 1.57 GB once unpacked, a 1.5 MB file
# Targets on a 1-3 GB container (the worker issue): the server never holds TensorFlow, its worker does.
TREE_PEAK_LIMIT_MIB = 1_400  # the server and its workers, summed at the same moments
SERVER_PEAK_LIMIT_MIB = 450  # the server alone: its own high-water mark (VmHWM)
IDLE_TREE_LIMIT_MIB = 300  # after the class, once the worker's idle time has passed
MIN_TRAINING_RATIO = 0.7  # the instructor's images/s with the class present, over its figure alone
TENSORFLOW_LIBRARIES = (
    "libtensorflow",
    "_pywrap_tensorflow",
)  # mapped into any process that imported TensorFlow
# The server looks for idle workers every 5 s and gives one 5 s to quit (cnn_core/client.py).
IDLE_MARGIN_S = 30.0
# Streamlit keeps a closed tab's session (its uploads with it) this long for a reconnect
# (server.disconnectedSessionTTL, Streamlit's default: the app keeps it), and the idle server
# collects every 30 s (ui/server.py): an idle reading waits for both.
SESSION_TTL_S = 120.0
IDLE_COLLECT_S = 30.0
REFUSAL = (Alert.ERROR, Alert.WARNING)  # the boxes a page says "this file cannot be used" in
# Each bad upload's own sentence: the image cap (cnn_core/datasets.py) for the npz bomb, the
# megapixel cap (cnn_core/drawn_digit.py) for the PNG. Any other box (the Dataset page's own
# "classes are unbalanced" warning) is no refusal.
REFUSALS = {
    "npz_bomb": re.compile(
        rf"x_train holds {BOMB_IMAGES:,} images; this server takes at most [\d,]+ per split"
    ),
    "png_bomb": re.compile(r"more than [\d,.]+ megapixels|please use one under [\d,.]+ megapixels"),
}
QUICK_SOURCE = (
    "The tutorial's network, trained here"  # Predictions' "Which model?" choice with the Train button
)
QUICK_MODEL = re.compile(
    r"Tutorial network · (\d+) epochs? on this page"
)  # the quick model's label on Predictions
QUICK_TRAINED = "Trained."  # the start of Predictions' sentence once a quick run has ended with a model
# A quick run's progress bar: the epoch it trains, or the epochs it measures its test accuracy after.
EPOCH_SHOWN = re.compile(r"Epoch (\d+) of \d+|Measuring test accuracy after (\d+) epochs?")


@dataclass
class ClassStudent(Student):
    """One student of the class: what they did (``role``) and how it ended (``outcome``)."""

    role: str = "browse"  # browse | train | upload | npz_bomb | png_bomb
    outcome: str = ""  # train: finished / what the page showed instead; uploads: accepted / refused / ...
    waited_s: float = float("nan")  # train: from the press to the finished run
    ticks_s: list[float] = field(default_factory=list)  # live-fragment ticks (reruns_s: whole pages)
    connected_at: float = float("nan")  # time.monotonic() when its websocket opened
    left_at: float = float("nan")  # ... and when it closed (or the session failed)
    last_progress: str = ""  # the last progress bar it saw (a trainer: its quick run's)
    after_kill: str = ""  # --kill-worker: "rendered", what went wrong in the rerun, or "not killed"
    after_kill_boxes: list[str] = field(default_factory=list)  # error and warning boxes in that rerun


def class_roles(sessions: int) -> list[tuple[str, str]]:
    """(role, first page) for each student: 5 trainers, 2 good uploads, the two bombs, then the
    lesson's pages for everyone else (in the order a class spreads over them). One of each
    special role and two browsers (Convolution and Pooling: the explorers) come before the other
    trainers and uploads, so that a short dry run (``--sessions 6``) tries every part."""
    first = [
        ("train", "predictions"),
        ("upload", "dataset"),
        ("npz_bomb", "dataset"),
        ("png_bomb", "predictions"),
    ]
    more = [("train", "predictions")] * (TRAINERS - 1) + [("upload", "dataset")] * (GOOD_UPLOADS - 1)
    special = first[:sessions] + more[: max(0, sessions - len(first) - 2)]
    return special + [("browse", CLASS_MIX[i % len(CLASS_MIX)]) for i in range(sessions - len(special))]


def train_finished(tab: Tab) -> bool:
    """Whether the Predictions page shows the model this student's quick run trained."""
    return any(QUICK_MODEL.search(text) for text in tab.texts())


def quick_run_outcome(tab: Tab, last_progress: str, asked: int) -> str:
    """ "finished" when the page shows that the quick run ended as finished with the ``asked``
    epochs trained: the page's "Trained." sentence, the model's label counting ``asked`` epochs
    (the epochs of its history), and the last progress the student saw in epoch ``asked`` (or
    measuring the test accuracy after it). A run stopped in an earlier epoch fails the label or
    the progress; else what the page showed instead."""
    trained = any(box.startswith(QUICK_TRAINED) for box in tab.alerts(Alert.SUCCESS))
    labels = [int(m.group(1)) for text in tab.texts() if (m := QUICK_MODEL.search(text))]
    shown = EPOCH_SHOWN.search(last_progress)
    reached = int(shown.group(1) or shown.group(2)) if shown else 0
    if trained and labels[:1] == [asked] and reached == asked:
        return "finished"
    return (
        f"ended short of {asked} epoch(s): "
        + ("'Trained.' shown" if trained else "no 'Trained.'")
        + f", label {labels[:1] or 'none'}, last progress seen {last_progress!r}"
    )[:200]


@dataclass
class KillSwitch:
    """``--kill-worker``: the worker training the instructor's run, killed after its first
    checkpoint; ``over`` is set once that has happened, or once the run ended without it."""

    over: asyncio.Event = field(default_factory=asyncio.Event)
    pid: int | None = None  # the worker killed
    at: float = float("nan")  # time.monotonic() of the kill
    seen: str = ""  # the instructor's checkpoint line that triggered it


async def class_student(
    port: int,
    role: str,
    path: str,
    files: dict[str, bytes],
    args: argparse.Namespace,
    kill: KillSwitch | None = None,
) -> ClassStudent:
    """One student: open their page, do their part (train, upload), then stay as the others do
    (with ``kill``, also until the worker is killed, then rerun their page once)."""
    student = ClassStudent(path or "home", role=role)
    started = time.monotonic()
    limit = RUN_MS / 1000
    tab = None
    try:
        async with connect(port) as ws:
            student.connected_at = time.monotonic()
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
                await train_and_wait(tab, student, args, kill)
            elif role in BAD_UPLOADS + ("upload",) and not tab.error:
                student.outcome = await asyncio.wait_for(upload(tab, role, files), limit)
            await stay(tab, student, time.monotonic() + args.stay_seconds, args.think_seconds, kill=kill)
    except Exception as exc:  # a session that never rendered, or a widget that was not there, is a result
        student.error = student.error or f"{type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        student.left_at = time.monotonic()
        if tab is not None:
            student.note(tab)
    if not student.outcome and role != "browse":
        student.outcome = "never pressed Train" if role == "train" else "never uploaded"
    return student


async def stay(
    tab: Tab,
    student: ClassStudent,
    until: float,
    think_s: float,
    done: Any = None,
    kill: KillSwitch | None = None,
) -> None:
    """Every ``think_s`` do what a learner's move sends (Tab.tick; live fragments tick at their
    own pace) until ``until`` (monotonic seconds), an exception, or ``done(tab)`` is true. With
    ``kill``, the student also stays until the worker was killed, and then reruns their page
    once (:func:`rerun_after_kill`)."""
    while not tab.error and not (done and done(tab)):
        if kill is not None and kill.over.is_set() and not student.after_kill:
            await rerun_after_kill(tab, student, kill)
            continue
        if time.monotonic() >= until and (kill is None or kill.over.is_set()):
            return
        live = bool(tab.live)
        seconds = await asyncio.wait_for(tab.tick(think_s), RUN_MS / 1000)
        (student.ticks_s if live else student.reruns_s).append(seconds)
        student.last_progress = next(iter(tab.progress_texts()[-1:]), student.last_progress)


async def rerun_after_kill(tab: Tab, student: ClassStudent, kill: KillSwitch) -> None:
    """Once the worker is killed: the page rerun as the browser reruns it on the learner's next
    move. It must finish without an exception (a sentence about the worker is fine: it is kept)."""
    if kill.pid is None:
        student.after_kill = "not killed"
        return
    await asyncio.wait_for(tab.run(), RUN_MS / 1000)
    student.after_kill = tab.error[:160] if tab.error else "rendered"
    student.after_kill_boxes = [box[:120] for box in tab.alerts(*REFUSAL)]


async def train_and_wait(
    tab: Tab, student: ClassStudent, args: argparse.Namespace, kill: KillSwitch | None = None
) -> None:
    """Press Train on Predictions, then watch the page (its place in line, then its progress)
    until the model is there, the page says the run failed, or ``--queue-timeout`` passes; then
    read how the run ended (:func:`quick_run_outcome`)."""
    pressed = time.monotonic()
    if tab.find("button", key="pred_quick_train") is None:  # the page opened on another model
        await asyncio.wait_for(tab.choose(QUICK_SOURCE, key="pred_source"), RUN_MS / 1000)
    await asyncio.wait_for(tab.press(key="pred_quick_train"), RUN_MS / 1000)
    await stay(
        tab,
        student,
        pressed + args.queue_timeout,
        args.think_seconds,
        done=lambda t: train_finished(t) or t.alerts(Alert.ERROR),
        kill=kill,
    )
    waited = time.monotonic() - pressed
    failed = " | ".join(tab.alerts(Alert.ERROR))[:160]
    if train_finished(tab):
        student.outcome, student.waited_s = (
            quick_run_outcome(tab, student.last_progress, args.student_epochs),
            waited,
        )
    else:
        student.outcome = f"failed: {failed}" if failed else f"not finished after {waited:.0f} s"


async def upload(tab: Tab, role: str, files: dict[str, bytes]) -> str:
    """Upload this role's file where a student would; the verdict: accepted / refused (the
    refusal's own sentence on the page, no exception) / what went wrong."""
    if role == "png_bomb":  # the Draw tab's "…or upload a photo"
        await tab.upload("bomb.png", files["png_bomb"], key="pred_photo")
        accepted = any("reads your photo" in text for text in tab.texts())
    else:  # the Dataset page's "Use your own .npz file"
        await tab.upload(f"{role}.npz", files[role], key="dataset_page_upload")
        claimed = "60,000" if role == "upload" else f"{BOMB_IMAGES:,}"
        accepted = tab.metric("Training images") == claimed
    if tab.error:
        return "exception"
    boxes = tab.alerts(*REFUSAL)
    if role == "upload":
        return "accepted" if accepted else "not accepted: " + " | ".join(boxes)[:160]
    if accepted:
        return "accepted (a bomb!)"
    if any(REFUSALS[role].search(box) for box in boxes):
        return "refused"
    return "not refused in its own words: " + (" | ".join(boxes)[:160] or "no box shown")


# --- the instructor, in Chromium ----------------------------------------------------------

OWN_RUN_GOING = "Your run is going"  # the Training page's line beside Start while your own run trains
INSTRUCTOR_TOKEN = uuid.uuid4().hex  # this server's instructor token, carried by the instructor's link only
CHECKPOINT_LINE = re.compile(
    r"Last checkpoint: epoch \d+ of \d+"
)  # the live panel's, once a checkpoint is written
RESUME_BUTTON = re.compile(
    r"Resume from epoch \d+"
)  # the Training page's, for the owner of an interrupted run
FINISHED_LINE = re.compile(r"Finished · Epoch (\d+) of (\d+)")  # the progress bar of a run that finished


async def instructor_ready(page, url: str, epochs: int, checkpoint_every: int | None = None) -> None:
    """Fashion-MNIST (the instructor's link to the Dataset page, with the server's instructor
    token: their runs go to the front of the line), then the Training page with ``epochs`` (and
    ``checkpoint_every``, if given) set, the 60,000 images loaded from the Keras download."""
    await page.goto(f"{url}/dataset?dataset_page_name=fashion_mnist&instructor={INSTRUCTOR_TOKEN}")
    await rendered(page)
    await page.get_by_role("link", name="Training", exact=True).first.click()
    await rendered(page)
    await page.get_by_text("60,000 train").first.wait_for()
    settings = {"Epochs E": epochs} | (
        {"Checkpoint every N epochs": checkpoint_every} if checkpoint_every else {}
    )
    for label, value in settings.items():
        box = page.get_by_role("spinbutton", name=label)
        await box.fill(str(value))
        await box.press("Enter")
        await rendered(page)


@dataclass
class Run:
    """One of the instructor's runs as their page showed it."""

    samples: list[tuple[float, float]]  # (time.monotonic(), the live images/s), read every second
    start: float  # when the page first said the run was going
    end: float  # when it stopped saying so

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def speeds(self, window: tuple[float, float] | None = None) -> list[float]:
        """The images/s read within ``window`` (from, to: monotonic seconds), or all of them."""
        lo, hi = window or (-math.inf, math.inf)
        return [speed for at, speed in self.samples if lo <= at <= hi]

    def covered(self, window: tuple[float, float]) -> float:
        """Seconds of the run within ``window``."""
        return max(0.0, min(window[1], self.end) - max(window[0], self.start))


async def instructor_run(page, started: asyncio.Event | None = None) -> Run:
    """Start a run and follow it to its end: its live images/s every second (the page's figure
    over the last few seconds), read while the page shows the instructor's own run going. (When
    it ends, the panel may turn at once to a student's run that was waiting: that is not read.)
    The first two readings (the first batches) are left out."""
    going = page.get_by_text(OWN_RUN_GOING)
    await page.get_by_role("button", name="Start training").click()
    await going.first.wait_for()
    t0, samples = time.monotonic(), []
    while await going.count():
        speed = await images_per_second(page)
        if speed:
            if started is not None:
                started.set()
            samples.append((time.monotonic(), speed))
        if time.monotonic() - t0 > RUN_MS / 1000 * 10:
            raise SystemExit("the instructor's run did not end within 30 minutes")
        await asyncio.sleep(1.0)
    if started is not None:
        started.set()
    return Run(samples[2:] or samples, t0, time.monotonic())


async def kill_after_checkpoint(page, server_pid: int, kill: KillSwitch, run: asyncio.Task) -> None:
    """``--kill-worker``: once the instructor's live panel shows its first checkpoint, SIGKILL
    the worker training the run (of several, the one using the most CPU), as the kernel's
    out-of-memory killer would; ``kill.over`` is set either way."""
    line = page.get_by_text(CHECKPOINT_LINE)
    try:
        while not run.done():
            if await line.count():
                kill.seen = (await line.first.inner_text())[:120]
                kill.pid = await asyncio.to_thread(busiest, worker_pids(server_pid))
                if kill.pid is not None:
                    sigkill(kill.pid)
                    kill.at = time.monotonic()
                return
            await asyncio.sleep(0.5)
    finally:
        kill.over.set()


async def resume_after_kill(page, epochs: int, timeout_s: float) -> dict[str, Any]:
    """The instructor's page after the kill: its "Resume from epoch N" button, pressed, and the
    resumed run followed until its progress bar says it finished all ``epochs`` (it may first
    wait in line behind the students' runs); what was seen, and whether it finished."""
    seen: dict[str, Any] = {"button": "", "finished": False, "line": "", "seconds": float("nan")}
    button = page.get_by_role("button", name=RESUME_BUTTON)
    try:
        await button.first.wait_for(timeout=60_000)
        seen["button"] = (await button.first.inner_text()).replace("restart_alt", "").strip()
        pressed = time.monotonic()
        await button.first.click()
        finished = page.get_by_text(FINISHED_LINE)
        await finished.first.wait_for(timeout=timeout_s * 1000)
        seen["line"] = (await finished.first.inner_text())[:120]
        seen["seconds"] = time.monotonic() - pressed
    except PlaywrightTimeout:
        return seen
    done = FINISHED_LINE.search(seen["line"])
    seen["finished"] = bool(done) and int(done.group(1)) == int(done.group(2)) == epochs
    return seen


def class_server_env(tmp: Path, worker_idle_s: float) -> dict[str, str]:
    """Online as on Cloud: the Keras cache holds Fashion-MNIST, so its 60,000 images load; the
    worker stops after ``worker_idle_s`` idle seconds (600 by default: shorter, so the bench can
    wait for it)."""
    env = {k: v for k, v in os.environ.items() if k != "CNN_EXPLORER_OFFLINE"}
    env.update(
        {
            "KERAS_HOME": str(tmp / "keras"),
            "CNN_EXPLORER_RUNS_DIR": str(tmp / "runs"),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "CNN_EXPLORER_INSTRUCTOR_TOKEN": INSTRUCTOR_TOKEN,
            "CNN_EXPLORER_WORKER_IDLE_S": f"{worker_idle_s:g}",
        }
    )
    return env


# --- the class's rounds, then the idle server --------------------------------------------------


@dataclass
class ClassRound:
    """One class: its students, the instructor's run with them, and (``--kill-worker``) the kill
    and the resumed run."""

    students: list[ClassStudent]
    run: Run
    wall: float  # seconds from the students' arrival to the last one's leaving
    kill: KillSwitch | None = None
    resumed: dict[str, Any] | None = None

    @property
    def window(self) -> tuple[float, float]:
        """While every student was connected: from the last websocket opened to the first
        closed (students whose websocket never opened are left out: they count as not rendered)."""
        came = [s for s in self.students if not math.isnan(s.connected_at)]
        if not came:
            return (math.nan, math.nan)
        return (max(s.connected_at for s in came), min(s.left_at for s in came))


async def quiet_round(page, mem: TreeMemory, n: int) -> Run:
    """The instructor's run with nobody else connected."""
    mem.phase = f"quiet {n}"
    return await instructor_run(page)


async def class_round(
    page,
    server_pid: int,
    port: int,
    files: dict[str, bytes],
    args: argparse.Namespace,
    mem: TreeMemory,
    n: int,
    kill: KillSwitch | None,
) -> ClassRound:
    """The instructor starts the run; once it trains, the students arrive (their runs queue
    behind it) and stay; with ``kill``, the worker dies after the run's first checkpoint and
    the instructor resumes the run."""
    mem.phase = f"class {n}: instructor's run"
    going = asyncio.Event()
    class_run = asyncio.create_task(instructor_run(page, going))
    class_run.add_done_callback(lambda _: setattr(mem, "phase", f"class {n}: instructor's run over"))
    await going.wait()  # the instructor's run trains: the students' runs queue behind it
    killer = asyncio.create_task(kill_after_checkpoint(page, server_pid, kill, class_run)) if kill else None
    arrived = time.monotonic()
    students = asyncio.gather(
        *(class_student(port, role, path, files, args, kill) for role, path in class_roles(args.sessions))
    )
    run = await class_run
    resumed = None
    if killer is not None:
        await killer
        mem.phase = f"class {n}: after the kill"
        resumed = await resume_after_kill(page, args.epochs, args.queue_timeout + RUN_MS / 1000)
    students = await students
    return ClassRound(list(students), run, time.monotonic() - arrived, kill, resumed)


async def idle_tree(mem: TreeMemory, idle_s: float, class_left: float) -> dict[str, Any]:
    """After the class (the instructor's page stays open, as after a lesson): wait until the
    server has stopped its workers for idleness (at most ``idle_s`` + ``IDLE_MARGIN_S``) and the
    students' sessions have gone (``SESSION_TTL_S`` after the class left at ``class_left``,
    then an idle collection), then read the tree's RSS."""
    mem.phase = "idle"
    started = time.monotonic()
    while worker_pids(mem.server) and time.monotonic() - started < idle_s + IDLE_MARGIN_S:
        await asyncio.sleep(1.0)
    await asyncio.sleep(max(0.0, class_left + SESSION_TTL_S + IDLE_COLLECT_S + 5 - time.monotonic()))
    kib, workers = mem.now()
    return {"mib": kib / 1024, "workers": len(workers), "waited_s": time.monotonic() - started}


async def class_main(args: argparse.Namespace) -> int:
    """The class scenario (see the module's docstring); the exit status: 0 when every target is met."""
    with tempfile.TemporaryDirectory(prefix="cnn-class-") as tmp_name:
        tmp = Path(tmp_name)
        write_keras_cache(args.data, tmp / "keras")
        files = {
            "upload": args.data.read_bytes(),
            "npz_bomb": npz_bomb_bytes(BOMB_IMAGES),
            "png_bomb": png_bomb_bytes(),
        }
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_app(port, class_server_env(tmp, args.worker_idle_seconds), log=tmp / "streamlit.log")
        mem = TreeMemory(server.pid)
        sampling = asyncio.create_task(mem.watch())
        rounds: list[ClassRound] = []
        quiet: list[Run] = []
        try:
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                teacher = await (
                    await browser.new_context(viewport={"width": 1280, "height": 900})
                ).new_page()
                teacher.set_default_timeout(RUN_MS)
                mem.phase = "instructor's pages open"
                await instructor_ready(teacher, url, args.epochs, 1 if args.kill_worker else None)
                for n in range(1, args.rounds + 1):  # quiet and loaded in turn, so drift hits both
                    quiet.append(await quiet_round(teacher, mem, n))
                    kill = KillSwitch() if args.kill_worker and n == 1 else None
                    rounds.append(await class_round(teacher, server.pid, port, files, args, mem, n, kill))
                quiet.append(await quiet_round(teacher, mem, args.rounds + 1))
                class_left = max(s.left_at for r in rounds for s in r.students if not math.isnan(s.left_at))
                idle = await idle_tree(mem, args.worker_idle_seconds, class_left)
                tensorflow = maps_mention(server.pid, TENSORFLOW_LIBRARIES)  # after the class, from outside
                mem.server_hwm_kib()  # the server's own high-water mark, read while it runs
                await browser.close()
        finally:
            sampling.cancel()
            server.terminate()
            server.wait(timeout=30)
            if args.server_log:
                args.server_log.write_text((tmp / "streamlit.log").read_text())
    return class_report(rounds, quiet, mem, idle, tensorflow, args)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def rounded(x: float | None, digits: int = 0) -> float | None:
    """For the JSON line: NaN or None (not measured) becomes null."""
    return None if x is None or math.isnan(x) else round(x, digits or None)


@dataclass
class Ratio:
    """The instructor's images/s with the class over alone: the loaded readings are only those
    taken while every student was connected; the quiet ones come from the rounds before and
    after each class."""

    quiet: list[float]  # every quiet reading
    quiet_rounds: list[float]  # each quiet round's median
    loaded: list[float]  # the class runs' readings within their windows
    share: float  # the part of the class runs' time those windows cover

    @classmethod
    def of(cls, rounds: list[ClassRound], quiet: list[Run]) -> Ratio:
        covered = sum(r.run.covered(r.window) for r in rounds if not math.isnan(r.window[0]))
        total = sum(r.run.seconds for r in rounds)
        return cls(
            [v for q in quiet for v in q.speeds()],
            [median(q.speeds()) for q in quiet],
            [v for r in rounds if not math.isnan(r.window[0]) for v in r.run.speeds(r.window)],
            covered / total if total else math.nan,
        )

    @property
    def value(self) -> float:
        q = median(self.quiet)
        return median(self.loaded) / q if q else math.nan


def class_report(
    rounds: list[ClassRound],
    quiet: list[Run],
    mem: TreeMemory,
    idle: dict[str, Any],
    tensorflow: list[str],
    args: argparse.Namespace,
) -> int:
    """Print the class's figures, PASS/FAIL per target, and (last line) one JSON object."""
    students = [s for r in rounds for s in r.students]
    ok = [s for s in students if s.ok]
    firsts = sorted(s.first_render_s for s in ok)
    reruns = [x for s in students for x in s.reruns_s]
    ticks = [x for s in students for x in s.ticks_s]
    trainers = [s for s in students if s.role == "train"]
    bad = [s for s in students if s.role in BAD_UPLOADS]
    good = [s for s in students if s.role == "upload"]
    ratio = Ratio.of(rounds, quiet)
    print(
        f"A class: {args.sessions} websocket students + 1 instructor in Chromium training the Tutorial "
        "network "
        f"on {args.data.name} (60,000 images from the Keras cache), {args.epochs} epoch(s) a run; "
        f"{len(rounds)} class round(s), a quiet run before and after each"
    )
    print_renders(students)
    print(
        f"students' actions (explorer reports, toggle flips, page reruns): median {median(reruns):.2f} s "
        f"over {len(reruns)}; live-fragment ticks: median {median(ticks):.2f} s over {len(ticks)} "
        f"(the students stayed {' + '.join(f'{r.wall:.0f}' for r in rounds)} s)"
    )
    for s in trainers:
        print(
            f"  Train on Predictions ({args.student_epochs} epoch(s), {args.student_dataset}): {s.outcome}"
            + (f", {s.waited_s:.0f} s from the press" if not math.isnan(s.waited_s) else "")
        )
    for s in good + bad:
        print(f"  upload ({s.role}): {s.outcome}")
    print_ratio(ratio, rounds)
    print_memory(mem, idle, tensorflow, args.worker_idle_seconds)
    killed = [r for r in rounds if r.kill is not None]
    for r in killed:
        print_kill(r)
    media_failed = [m for s in students for m in s.media_failed]
    cgroup = cgroup_peak_mib()
    result = {
        "sessions": len(students),
        "rounds": len(rounds),
        "rendered": len(ok),
        "errors": len(students) - len(ok),
        "bad_uploads": len(bad),
        "refused_uploads": sum(s.outcome == "refused" for s in bad),
        "good_uploads": len(good),
        "accepted_uploads": sum(s.outcome == "accepted" for s in good),
        "queued_runs": len(trainers),
        "queued_runs_finished": sum(s.outcome == "finished" for s in trainers),
        "training_ratio": rounded(ratio.value, 3),
        "training_ratio_share": rounded(ratio.share, 3),
        "quiet_images_per_s": rounded(median(ratio.quiet)),
        "class_images_per_s": rounded(median(ratio.loaded)),
        "quiet_images_per_s_rounds": [rounded(x) for x in ratio.quiet_rounds],
        "quiet_samples": len(ratio.quiet),
        "class_samples": len(ratio.loaded),
        "tree_peak_rss_mib": rounded(mem.tree_peak_kib / 1024),
        "tree_hwm_sum_mib": rounded(sum(mem.hwm_kib.values()) / 1024),
        "server_peak_rss_mib": rounded(mem.hwm_kib.get(mem.server, 0) / 1024),
        "max_sampled_server_rss_mib": rounded(mem.server_max_kib / 1024),
        "max_sampled_anon_rss_mib": rounded(mem.server_anon_max_kib / 1024),
        "cgroup_memory_peak_mib": "unavailable" if cgroup is None else rounded(cgroup),
        "workers_seen": len(mem.workers_seen),
        "most_workers_at_once": mem.most_workers,
        "idle_tree_rss_mib": rounded(idle["mib"]),
        "idle_workers_left": idle["workers"],
        "server_imports_tensorflow": bool(tensorflow),
        "first_render_median_s": rounded(median(firsts), 2),
        "rerun_median_s": rounded(median(reruns), 3),
        "explorer_reports": sum(s.reports for s in students),
        "explorer_reports_applied": sum(s.reports - len(s.unapplied) for s in students),
        "tick_median_s": rounded(median(ticks), 3),
        "queue_wait_max_s": rounded(
            max((s.waited_s for s in trainers if not math.isnan(s.waited_s)), default=math.nan), 1
        ),
        "media_fetched": sum(s.media_fetched for s in students),
        "media_failed": len(media_failed),
        "kill_worker": bool(killed),
    }
    targets = {
        "every session renders": result["rendered"] == result["sessions"],
        "every explorer report applied": result["explorer_reports_applied"] == result["explorer_reports"],
        "every image the pages showed was served": not media_failed,
        "every bad upload refused in its own words": result["refused_uploads"] == result["bad_uploads"],
        f"every queued run finishes its {args.student_epochs} epoch(s)": result["queued_runs_finished"]
        == result["queued_runs"],
        f"training ratio >= {MIN_TRAINING_RATIO}": ratio.value >= MIN_TRAINING_RATIO,
        f"tree peak < {TREE_PEAK_LIMIT_MIB:,} MiB": mem.tree_peak_kib / 1024 < TREE_PEAK_LIMIT_MIB,
        f"server < {SERVER_PEAK_LIMIT_MIB} MiB": mem.hwm_kib.get(mem.server, 0) / 1024
        < SERVER_PEAK_LIMIT_MIB,
        f"idle tree < {IDLE_TREE_LIMIT_MIB} MiB": idle["mib"] < IDLE_TREE_LIMIT_MIB,
        "no TensorFlow in the server": not tensorflow,
    }
    if killed:
        after = [s for r in killed for s in r.students]
        result["rendered_after_kill"] = sum(s.after_kill == "rendered" for s in after)
        result["resumed_run_finished"] = all(bool(r.resumed and r.resumed["finished"]) for r in killed)
        # The killed run's readings stop at the kill and its resumed half is not read: no ratio target.
        del targets[f"training ratio >= {MIN_TRAINING_RATIO}"]
        targets["every session renders after the kill"] = result["rendered_after_kill"] == len(after)
        targets["the resumed run finishes"] = result["resumed_run_finished"]
    for name, passed in targets.items():
        print(f"{'PASS' if passed else 'FAIL'}  {name}")
    result["passed"] = all(targets.values())
    print(json.dumps(result))
    return 0 if result["passed"] else 1


def print_ratio(ratio: Ratio, rounds: list[ClassRound]) -> None:
    """The instructor's speed alone and with the class, and how much of the class runs it covers."""
    spans = ", ".join(
        f"{r.run.covered(r.window):.0f} of {r.run.seconds:.0f} s"
        for r in rounds
        if not math.isnan(r.window[0])
    )
    print(
        f"instructor's run (median of its live images/s): alone {median(ratio.quiet):,.0f} over "
        f"{len(ratio.quiet)} readings (quiet rounds: {', '.join(f'{q:,.0f}' for q in ratio.quiet_rounds)}); "
        f"with the class {median(ratio.loaded):,.0f} over {len(ratio.loaded)} readings taken while every "
        f"student was connected ({spans or 'none'}: {ratio.share:.0%} of the class runs); ratio "
        f"{ratio.value:.2f}"
    )


def print_memory(mem: TreeMemory, idle: dict[str, Any], tensorflow: list[str], idle_s: float) -> None:
    """The tree's memory: its sampled peak, the kernel's high-water marks, the idle tree, and
    whether the server mapped TensorFlow."""
    cgroup = cgroup_peak_mib()
    print(
        f"tree (server + workers, VmRSS summed at the same moments, {mem.samples} samples every 0.5 s): peak "
        f"{mib(mem.tree_peak_kib)} MiB during '{mem.tree_peak_phase}' with {mem.tree_peak_workers} "
        "worker(s); "
        f"VmHWM summed over the server and the {len(mem.workers_seen)} worker(s) seen: "
        f"{mib(sum(mem.hwm_kib.values()))} "
        "MiB (an upper bound); cgroup memory.peak: "
        f"{'unavailable' if cgroup is None else f'{cgroup:,.0f} MiB'}"
    )
    print(
        f"server: VmHWM {mib(mem.hwm_kib.get(mem.server, 0))} MiB; largest sampled VmRSS "
        f"{mib(mem.server_max_kib)}, "
        f"anonymous {mib(mem.server_anon_max_kib)}"
    )
    print(
        "largest tree RSS by phase: " + " · ".join(f"{name} {mib(kib)}" for name, kib in mem.phases.items())
    )
    print(f"workers (at most {mem.most_workers} at once): " + "; ".join(mem.events))
    print(
        f"idle (the worker's idle time {idle_s:g} s; waited {idle['waited_s']:.0f} s): tree "
        f"{idle['mib']:,.0f} MiB, "
        f"{idle['workers']} worker(s) left"
    )
    print(
        "TensorFlow in the server (its /proc/<pid>/maps after the class): "
        + (", ".join(Path(p).name for p in tensorflow) if tensorflow else "none")
    )


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f}"


def print_kill(r: ClassRound) -> None:
    """What the kill did: the sessions' reruns after it and the resumed run."""
    kill, after = r.kill, r.students
    if kill.pid is None:
        print("--kill-worker: no worker was killed (no checkpoint line seen while the run went)")
        return
    rendered = [s for s in after if s.after_kill == "rendered"]
    print(
        f"--kill-worker: worker {kill.pid} killed {kill.at - r.run.start:.0f} s into the instructor's run, "
        f"after '{kill.seen}'; sessions rerun without an exception after it: {len(rendered)} / {len(after)}"
    )
    for s in after:
        if s.after_kill != "rendered":
            print(f"  {s.role} /{s.path}: {s.after_kill or 'no rerun after the kill'}")
    boxes = sorted({box for s in after for box in s.after_kill_boxes})
    for box in boxes[:5]:
        print(f"  a box shown after the kill: {box}")
    resumed = r.resumed or {}
    print(
        f"  the instructor's page: {resumed.get('button') or 'no Resume button'}"
        + (
            f"; pressed, then '{resumed['line']}' after {resumed['seconds']:.0f} s"
            if resumed.get("line")
            else "; the resumed run did not finish"
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario",
        choices=["viewers", "class"],
        default="viewers",
        help="viewers: N students open pages while one run trains on the bundled sample; "
        "class: the instructor trains on 60,000 images while students train, upload and browse",
    )
    parser.add_argument("--sessions", type=int, help="students (default 20; 30 for --scenario class)")
    parser.add_argument("--clients", choices=["websocket", "browser"], default="websocket")
    parser.add_argument(
        "--quiet-seconds", type=float, default=15, help="viewers: training speed sampled alone"
    )
    parser.add_argument(
        "--stay-seconds", type=float, default=30, help="how long the students stay after rendering"
    )
    parser.add_argument("--think-seconds", type=float, default=3, help="between a student's reruns")
    class_only = parser.add_argument_group("--scenario class")
    class_only.add_argument(
        "--data",
        type=Path,
        default=FASHION,
        help="Fashion-MNIST in the Keras layout: the server's Keras download, and the good upload",
    )
    class_only.add_argument(
        "--epochs",
        type=int,
        help="epochs of each instructor's run (60,000 images each; default 1, 2 with --kill-worker)",
    )
    class_only.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="classes in turn with quiet runs: quiet, class, quiet (, class, quiet ...)",
    )
    class_only.add_argument(
        "--student-epochs",
        type=int,
        choices=[1, 2, 3],
        default=1,
        help="epochs of each student's quick run on Predictions",
    )
    class_only.add_argument(
        "--student-dataset",
        choices=["mnist", "fashion_mnist"],
        default="fashion_mnist",
        help="the dataset the training students chose (mnist: a fresh session's, the bundled sample)",
    )
    class_only.add_argument(
        "--queue-timeout",
        type=float,
        default=900,
        help="seconds a training student waits, from the press, for their run to finish",
    )
    class_only.add_argument(
        "--worker-idle-seconds",
        type=float,
        default=30,
        help="the server's $CNN_EXPLORER_WORKER_IDLE_S: the idle tree is read once it has passed",
    )
    class_only.add_argument(
        "--kill-worker",
        action="store_true",
        help="SIGKILL the worker after the first checkpoint of the class's run, then resume it",
    )
    class_only.add_argument("--server-log", type=Path, help="keep the server's output in this file")
    args = parser.parse_args()
    if args.scenario == "class":
        args.sessions = 30 if args.sessions is None else args.sessions
        args.epochs = args.epochs or (2 if args.kill_worker else 1)
        if args.kill_worker and args.epochs < 2:
            parser.error(
                "--kill-worker needs --epochs 2 or more: the run is killed after its first epoch's checkpoint"
            )
        sys.exit(asyncio.run(class_main(args)))
    args.sessions = 20 if args.sessions is None else args.sessions
    asyncio.run(main(args.sessions, args.clients, args.quiet_seconds, args.stay_seconds, args.think_seconds))
