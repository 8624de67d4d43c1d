"""A class of viewers at once: N student sessions open the app while one training runs.

    python bench/load_test.py                      # 20 sessions, the default mix of pages
    python bench/load_test.py --sessions 30
    python bench/load_test.py --clients browser    # students in Chromium too (heavy: see below)

Starts `streamlit run` on a free localhost port (offline: the bundled sample). The instructor is a
real Chromium page that starts a training run on the Training page; its images per second are read
from the page while nobody else is connected, then N students connect at the same moment, spread
over the lesson's pages, a few of them watching the live run. It reports:

* whether every session rendered its page without an exception,
* the time to first render (connect -> the page's script finished),
* while the students stay: how long their reruns take (each student reruns its page every
  ``--think-seconds``, as a slider nudge does; watchers tick their live fragment as a browser does),
* the training's images per second under that load, as a ratio of the quiet figure.

Students are websocket clients by default: they speak Streamlit's own protocol (the BackMsg /
ForwardMsg protobufs the browser sends) over ``/_stcore/stream``, so the server does exactly the
work a browser would cause, while 20 Chromium renderers do not share the server's 2 cores (in a
class each student's browser runs on their own laptop). Chromium: Debian's /usr/bin/chromium (or
$CHROMIUM_PATH). Only localhost is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from playwright.async_api import async_playwright
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# What a class opens: mostly the light pages, some data and model pages, a few live watchers.
MIX = ["convolution", "pooling", "convolution", "pooling", "dataset", "model", "training", ""]
RUN_MS = 180_000
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
NO_SKELETON = "() => !document.querySelector('[data-testid=\"stSkeleton\"]')"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "CNN_EXPLORER_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("streamlit did not start")


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
    reruns_s: list[float] = field(default_factory=list)  # their page again, or a live-fragment tick

    @property
    def ok(self) -> bool:
        return not self.error and not math.isnan(self.first_render_s)


# --- students as websocket clients: Streamlit's own protocol, no browser ---------------------

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY: "page", ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment"}


async def run_script(ws, path: str, fragment_id: str = "") -> tuple[float, str, dict[str, float]]:
    """Run the page at ``path`` (or one fragment of it) as the browser asks for it, read the
    server's messages until the script finishes: (seconds, first error or "", live fragments and
    their refresh intervals in seconds)."""
    msg = BackMsg()
    state = msg.rerun_script
    state.page_name = path
    state.widget_states.SetInParent()
    if fragment_id:
        state.fragment_id = fragment_id
        state.is_auto_rerun = True
    started = time.monotonic()
    await ws.send(msg.SerializeToString())
    error, live = "", {}
    while True:
        reply = ForwardMsg.FromString(await ws.recv())
        kind = reply.WhichOneof("type")
        if kind == "delta" and reply.delta.new_element.WhichOneof("type") == "exception":
            shown = reply.delta.new_element.exception
            error = error or f"{shown.type}: {shown.message}"
        elif kind == "page_not_found":
            error = error or f"page not found: /{path}"
        elif kind == "auto_rerun":
            live[reply.auto_rerun.fragment_id] = reply.auto_rerun.interval
        elif kind == "script_finished":
            if reply.script_finished not in FINISHED:
                error = error or f"script finished with status {reply.script_finished}"
            return time.monotonic() - started, error, live


async def socket_student(port: int, path: str, stay_s: float, think_s: float) -> Student:
    """Open ``path``, then stay ``stay_s`` seconds: rerun the page every ``think_s`` seconds, or,
    on a page with a live fragment (a run being watched), tick it at its own interval."""
    student = Student(path or "home")
    started = time.monotonic()
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                      origin=f"http://127.0.0.1:{port}", max_size=None,
                                      open_timeout=RUN_MS / 1000) as ws:
            seconds, student.error, live = await asyncio.wait_for(run_script(ws, path), RUN_MS / 1000)
            student.first_render_s = time.monotonic() - started
            leave = time.monotonic() + stay_s
            while time.monotonic() < leave and not student.error:
                fragment, interval = next(iter(live.items()), ("", think_s))
                await asyncio.sleep(interval)
                seconds, student.error, more = await asyncio.wait_for(run_script(ws, path, fragment), RUN_MS / 1000)
                live.update(more)
                student.reruns_s.append(seconds)
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


def report(students: list[Student], clients: str, quiet: list[float], under_load: list[float], wall: float) -> None:
    ok = [s for s in students if s.ok]
    firsts = sorted(s.first_render_s for s in ok)
    print(f"{len(students)} {clients} students at once (+1 instructor in Chromium training on the bundled MNIST sample)")
    print(f"rendered without exception: {len(ok)} / {len(students)}")
    for s in students:
        if not s.ok:
            print(f"  failed: /{s.path}: {s.error.splitlines()[0] if s.error else 'no render'}")
    if firsts:
        print(f"time to first render: median {statistics.median(firsts):.1f} s, "
              f"p90 {firsts[int(0.9 * (len(firsts) - 1))]:.1f} s, max {firsts[-1]:.1f} s")
    for path in sorted({s.path for s in students}):
        mine = [s for s in students if s.path == path]
        reruns = [x for s in mine for x in s.reruns_s]
        again = f", then {len(reruns)} reruns, median {statistics.median(reruns):.2f} s, max {max(reruns):.2f} s" if reruns else ""
        print(f"  /{path}: {len(mine)} sessions, first render median "
              f"{statistics.median(s.first_render_s for s in mine):.1f} s{again}")
    print(f"(the students stayed {wall:.0f} s in all)")
    if quiet and under_load:
        q, l = statistics.median(quiet), statistics.median(under_load)
        print(f"training images/s: quiet median {q:,.0f}, under load median {l:,.0f}, ratio {l / q:.2f}")
    else:
        print("training images/s: not measured (the run did not report a speed)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--clients", choices=["websocket", "browser"], default="websocket")
    parser.add_argument("--quiet-seconds", type=float, default=15, help="training speed sampled alone")
    parser.add_argument("--stay-seconds", type=float, default=30, help="how long the students stay after rendering")
    parser.add_argument("--think-seconds", type=float, default=3, help="between a student's reruns")
    args = parser.parse_args()
    asyncio.run(main(args.sessions, args.clients, args.quiet_seconds, args.stay_seconds, args.think_seconds))
