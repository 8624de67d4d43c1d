"""A class of viewers at once: N browser sessions open the app while one training runs.

    python bench/load_test.py                 # 20 sessions, the default mix of pages
    python bench/load_test.py --sessions 30

Starts `streamlit run` on a free localhost port (offline: the bundled sample), starts a training
run in one session (the instructor), measures its images per second while nobody else is
connected, then opens N more sessions at the same moment (students, spread over the lesson's
pages, a few of them watching the live run) and reports:

* whether every session rendered its page without an exception,
* the time to first render (navigation start -> script finished and no loading skeletons),
* the training's images per second under that load, as a ratio of the quiet figure.

Chromium: Debian's /usr/bin/chromium (or $CHROMIUM_PATH). Only localhost is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.async_api import async_playwright

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


async def student(browser, url: str, path: str, results: list) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(RUN_MS)
    started = time.monotonic()
    try:
        await page.goto(f"{url}/{path}")
        await rendered(page)
        seconds = time.monotonic() - started
        errors = page.locator('[data-testid="stException"]')
        first = (await errors.first.inner_text())[:200] if await errors.count() else ""
        results.append((path or "home", seconds, not first, first))
    except Exception as exc:  # a session that never rendered is a result, not a crash
        results.append((path or "home", time.monotonic() - started, False, str(exc).splitlines()[0]))
    return context


async def main(sessions: int, quiet_s: float, load_s: float) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            teacher = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            teacher.set_default_timeout(RUN_MS)
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
            quiet = await sample_speed(teacher, quiet_s)

            results: list = []
            paths = [MIX[i % len(MIX)] for i in range(sessions)]
            load_started = time.monotonic()
            speed_task = asyncio.create_task(sample_speed(teacher, load_s))
            contexts = await asyncio.gather(*(student(browser, url, path, results) for path in paths))
            render_wall = time.monotonic() - load_started
            under_load = await speed_task

            await teacher.get_by_role("button", name="Stop").first.click()
            for context in contexts:
                await context.close()
            await browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)

    ok = [r for r in results if r[2]]
    times = sorted(r[1] for r in results)
    print(f"sessions opened at once: {sessions} (+1 instructor training on the bundled MNIST sample)")
    print(f"rendered without exception: {len(ok)} / {sessions}")
    for path, seconds, good, error in sorted(results, key=lambda r: -r[1])[:3]:
        print(f"  slowest: /{path} {seconds:.1f} s {'ok' if good else 'FAILED'}")
    for path, seconds, good, error in results:
        if not good:
            print(f"  failed: /{path} after {seconds:.1f} s: {error.splitlines()[0] if error else '?'}")
    print(f"time to first render: median {statistics.median(times):.1f} s, "
          f"p90 {times[int(0.9 * (len(times) - 1))]:.1f} s, max {times[-1]:.1f} s "
          f"(all {sessions} done after {render_wall:.1f} s)")
    if quiet and under_load:
        q, l = statistics.median(quiet), statistics.median(under_load)
        print(f"training images/s: quiet median {q:,.0f}, under load median {l:,.0f}, "
              f"ratio {l / q:.2f}")
    else:
        print("training images/s: not measured (the run did not report a speed)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--quiet-seconds", type=float, default=15)
    parser.add_argument("--load-seconds", type=float, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.sessions, args.quiet_seconds, args.load_seconds))
