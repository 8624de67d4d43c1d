"""How long a key press takes to show in Chromium: each explorer's picture, beside a floor app's rerun.

The Convolution, Pooling and transposed-convolution explorers compute and draw a slider step in
the browser (ui/explorers/, Streamlit v2 components); only once the controls have rested 250 ms
do the settings go back to Python (one fragment rerun). In one run this measures:

- floor: a one-slider Streamlit app (written to a temp file, its own server), key -> rerun done,
  the least any Streamlit rerun costs here. "Done" is the page receiving the server's
  ``script_finished`` (not FINISHED_EARLY_FOR_RERUN) for a run that started (``new_session``)
  after the keydown: an init script wraps the page's WebSocket and reads each message's top-level
  protobuf fields. (``data-test-script-state`` is not enough: a rerun this quick is often never
  rendered as "running", React renders both states at once; and the slider's own aria-valuetext
  changes in the browser with no rerun at all, so it proves nothing.)
- convolution, pooling, transposed: key -> picture updated. Each explorer's section (in the
  component's shadow root) counts its finished draws in ``data-draws`` (``widgets.markDrawn``);
  a MutationObserver on it times from the keydown (a capture listener on the document) to the
  first draw after an ``input`` event of the pressed control (a rerun's or a resize's draw is not
  this press's picture). Pressed: ``conv_kernel`` and ``tconv_stride`` (the second explorer,
  scrolled into view) on /convolution, ``pool_size`` on /pooling, one Chromium page each (so
  each page's script runs are its own), all served by one ``streamlit run streamlit_app.py``
  (CNN_EXPLORER_OFFLINE=1, the repository's config.toml).

"paint" is the second animation frame after that moment (the first runs before the frame is
painted, the second after it). A press with no rerun end or no draw within PRESS_TIMEOUT_MS
counts at PRESS_TIMEOUT_MS in every figure, and in "timeouts".

Presses come at a human pace: each waits for its picture (or rerun), then ``--pause-ms``; arrows
alternate right/left, so values stay in range. They come in bursts on one target (``--burst``,
each of an odd length, so it ends one step from where it began, as a learner's move does), the
targets interleaved burst by burst so the machine's noise hits all alike, after ``--warmup``
presses each that are not counted. Inside a burst the 250 ms settle timer fires only where a gap
between two presses outgrew it ("gaps > 250": noise, or a slow rerun); after each burst it fires,
so ``--burst`` 10 means 2 script runs per 20 presses at best. Script runs: each page's websocket
is followed, and a run counts when its ``script_finished`` (not FINISHED_EARLY_FOR_RERUN) comes
for a ``new_session`` after the target's first counted press and by TAIL_S after the last press
(the last settle's report counts); the warm-up's runs have ended before counting starts.

Targets (2 CPU cores here): each explorer's median <= 16.7 ms (one frame at 60 Hz) and <= 0.5x
the floor's, and <= 2 script runs per 20 presses. ``--with-class`` takes the same measurement
while ``bench/load_test.py --scenario class`` runs beside it (its own server, Fashion-MNIST from
../shared/datasets/, the instructor training, 30 students): then the target is the 16.7 ms alone,
the rest is printed. load_test prints nothing until its end, so the class counts as arrived when
its server holds a connection per student and the instructor's (read from /proc), plus
CLASS_SETTLE_S; its connections and the CPU cores its processes kept busy while measuring are
reported. It is stopped (SIGINT) afterwards. Prints a table and PASS/FAIL per target (exit
status 1 on a FAIL); the last line is one JSON object. Run from the repository root:

    python bench/browser_latency.py                  # 20 presses per target, under a minute
    python bench/browser_latency.py --presses 60
    python bench/browser_latency.py --with-class     # 1-2 min here: the class arrives first (30-60 s)
    python bench/browser_latency.py --with-class --class-args --sessions 30 --stay-seconds 60

The former ``--before DIR`` (an older checkout measured alongside) is gone: those pages' sliders
were Streamlit widgets answered by a rerun, not comparable press for press with a draw in the
browser; run that checkout's own bench/browser_latency.py for its figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from load_test import descendants  # the class's server and its children (bench/ is on the path)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tools/
from tools.running_app import CHROMIUM_ARGS, chromium_path, free_port, start_app

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = chromium_path() or "/usr/bin/chromium"
PAGE_TIMEOUT_MS = 120_000  # a first page load on a busy 2-core machine
PRESS_TIMEOUT_MS = 5_000  # a press with no rerun end / no draw by then counts at this value
FRAME_MS = 1000 / 60  # one frame at 60 Hz: the explorers' target
FLOOR_RATIO = 0.5  # an explorer's median at most this fraction of the floor's
RUNS_PER_20 = 2  # script runs an explorer may cause per 20 presses
SETTLE_MS = 250  # widgets.SETTLE_MS: the explorers report once the controls rest this long
TAIL_S = 1.0  # after the last press: the last settle (250 ms) reports, and its run starts
QUIET_TIMEOUT_S = 60  # waiting for the runs in flight to end (warm-up's, the tail's)
CLASS_ARRIVAL_S = 900  # the class's server starts, the instructor's run trains, then students come
CLASS_SETTLE_S = 5  # after the students' connections: their first renders are under way
DEFAULT_CLASS_ARGS = ["--stay-seconds", "90"]  # they stay through the measurement (load_test's 30 s may not)
DATASET = ROOT.parent / "shared" / "datasets" / "fashion-mnist-70k.npz"  # load_test's class default

FLOOR_APP = """import streamlit as st

value = st.slider("Value", 0, 100, 50)
st.write("The value is", value)
"""


@dataclass(frozen=True)
class Target:
    name: str
    path: str  # URL path on its server ("" for the floor app)
    control: str  # CSS selector of the control pressed (Playwright pierces open shadow roots)
    explorer: str | None = None  # the section's data-explorer; None: the floor (a Streamlit rerun)
    param: str | None = None  # the control's data-name (its URL parameter)


def explorer_target(name: str, path: str, param: str) -> Target:
    return Target(name, path, f'input[data-name="{param}"]', name, param)


FLOOR = Target("floor", "", 'input[type="range"][aria-label="Value"]')  # Streamlit's slider
EXPLORERS = (
    explorer_target("convolution", "convolution", "conv_kernel"),
    explorer_target("pooling", "pooling", "pool_size"),
    explorer_target("transposed", "convolution", "tconv_stride"),  # the Convolution page's second explorer
)

# Shared by both timers (one press at a time): arm() focuses the control (if it is not) and resets;
# the keydown starts the clock (a capture listener on the document: a keydown inside a shadow root
# reaches it, retargeted); finish() stops it at the rerun's end or the draw, and "paint" is the
# second animation frame after that (the first runs before the frame is painted, the second after);
# wait(ms) resolves to [done, paint], or to null after ms.
TIMER_JS = """
function latencyTimer(findControl) {
  const state = {
    t0: null, done: null, paint: null, started: false, input: false, resolve: null, result: null,
  };
  state.arm = () => {
    const control = findControl();
    if (!control) return false;
    if (control.getRootNode().activeElement !== control) control.focus();
    Object.assign(state, {t0: null, done: null, paint: null, started: false, input: false});
    state.result = new Promise((resolve) => { state.resolve = resolve; });
    return true;
  };
  state.finish = () => {
    if (state.t0 === null || state.done !== null) return;
    const t0 = state.t0;
    state.done = performance.now() - t0;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      state.paint = performance.now() - t0;
      state.resolve([state.done, state.paint]);
    }));
  };
  state.wait = (ms) => Promise.race([
    state.result, new Promise((resolve) => setTimeout(() => resolve(null), ms)),
  ]);
  document.addEventListener('keydown', () => {
    if (state.result && state.t0 === null && state.done === null) state.t0 = performance.now();
  }, true);
  window.__latency = state;
  return state;
}
"""

# Installed before the floor page's own scripts: the clock stops when the server's script_finished
# arrives for a run started after the keydown, read from the page's websocket (top-level protobuf
# fields of ForwardMsg: 4 new_session, 6 script_finished, whose value 2 is FINISHED_EARLY_FOR_RERUN).
FLOOR_JS = (
    "(() => {\n"
    + TIMER_JS
    + f"const CONTROL = {json.dumps(FLOOR.control)};"
    + """
  const state = latencyTimer(() => document.querySelector(CONTROL));
  function topFields(bytes) {  // [[field number, varint value or null], ...]
    let i = 0;
    const varint = () => {
      let value = 0, scale = 1, byte;
      do { byte = bytes[i++]; value += (byte & 0x7f) * scale; scale *= 128; } while (byte & 0x80);
      return value;
    };
    const fields = [];
    while (i < bytes.length) {
      const key = varint(), wire = key % 8, number = Math.floor(key / 8);
      if (wire === 0) fields.push([number, varint()]);
      else if (wire === 2) { const n = varint(); fields.push([number, null]); i += n; }
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else break;
    }
    return fields;
  }
  function received(bytes) {
    if (state.t0 === null) return;
    for (const [number, value] of topFields(bytes)) {
      if (number === 4) state.started = true;
      if (number === 6 && value !== 2 && state.started) state.finish();
    }
  }
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      if (String(args[0]).endsWith('/_stcore/stream')) {
        this.addEventListener('message', (event) => {
          if (event.data instanceof ArrayBuffer) received(new Uint8Array(event.data));
        });
      }
    }
  };
})();
"""
)

# Evaluated in an explorer's page once it has drawn: the clock stops at the first change of the
# section's data-draws after an input event of the pressed control (a draw without one, such as a
# rerun's or a resize's, is not this press's picture). The section and its control are found
# again at each arm(), in case Streamlit mounted the component afresh.
EXPLORER_JS = (
    """
([explorer, param]) => {
  if (window.__latency) return;
"""
    + TIMER_JS
    + """
  let section = null;
  const observer = new MutationObserver(() => { if (state.input) state.finish(); });
  const findSection = () => {
    for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      const found = host.shadowRoot
        && host.shadowRoot.querySelector(`section.explorer[data-explorer="${explorer}"]`);
      if (found) return found;
    }
    return null;
  };
  const state = latencyTimer(() => {
    const found = findSection();
    if (found !== section) {
      observer.disconnect();
      if (found) observer.observe(found, {attributes: true, attributeFilter: ['data-draws']});
      section = found;
    }
    return section && section.querySelector(`input[data-name="${param}"]`);
  });
  document.addEventListener('input', (event) => {
    const origin = event.composedPath()[0];
    if (state.t0 !== null && origin && origin.dataset && origin.dataset.name === param) state.input = true;
  }, true);
}
"""
)


@dataclass
class RunCounter:
    """The script runs (of the page's script or a fragment) its server reports over its websocket.

    Each ``new_session`` starts run number ``started``; ``completed`` holds the number of each run
    whose ``script_finished`` came and was not FINISHED_EARLY_FOR_RERUN (tests/e2e/conftest.py's
    ``_run_ended``); ``ended`` is the last run that got any script_finished."""

    started: int = 0
    ended: int = 0
    completed: list[int] = field(default_factory=list)

    def received(self, payload: bytes | str) -> None:
        from google.protobuf.message import DecodeError
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return
        try:
            msg = ForwardMsg.FromString(payload)
        except DecodeError:
            return
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.started += 1
        elif kind == "script_finished":
            self.ended = self.started
            if msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self.completed.append(self.started)

    def in_flight(self) -> bool:
        return self.ended < self.started

    def between(self, after: int, upto: int) -> int:
        """Completed runs numbered after ``after``, up to ``upto``."""
        return sum(after < run <= upto for run in self.completed)


@dataclass
class Measured:
    """One target's open page and its figures."""

    target: Target
    page: object
    runs: RunCounter
    done: list[float] = field(default_factory=list)  # ms per counted press (timeouts at the timeout)
    paint: list[float] = field(default_factory=list)
    timeouts: int = 0
    pressed: int = 0  # presses so far, warm-up included: right on even, left on odd
    intervals: list[float] = field(default_factory=list)  # s between two presses of one burst
    first_run: int | None = None  # runs started before its first counted press
    last_run: int = 0  # runs started by TAIL_S after the last press


@contextlib.contextmanager
def server(script: str, log: Path) -> Iterator[str]:
    """``streamlit run script`` from the repository root (its .streamlit/config.toml), offline;
    yields the URL."""
    port = free_port()
    proc = start_app(port, log=log, script=script)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def wait_idle(page) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def open_target(browser, url: str, target: Target) -> Measured:
    """A page of its own (so its script runs are its own), loaded, its timer installed."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    if target.explorer is None:
        context.add_init_script(FLOOR_JS)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    runs = RunCounter()

    def opened(ws) -> None:
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framereceived", runs.received)

    page.on("websocket", opened)  # before goto: the socket opens with the page
    page.goto(url)
    control = page.locator(target.control)
    control.wait_for()
    wait_idle(page)
    if target.explorer is not None:
        page.locator(f'section.explorer[data-explorer="{target.explorer}"][data-draws]').wait_for()
        control.scroll_into_view_if_needed()  # the transposed explorer is further down its page
        page.evaluate(EXPLORER_JS, [target.explorer, target.param])
    return Measured(target, page, runs)


def press(measured: Measured) -> tuple[float, float] | None:
    """One arrow key on the target's control: (ms to done, ms to painted), or None by the timeout."""
    page, target = measured.page, measured.target
    key = "ArrowRight" if measured.pressed % 2 == 0 else "ArrowLeft"
    measured.pressed += 1
    if not page.evaluate("() => window.__latency.arm()"):
        raise SystemExit(f"{target.name}: {target.control} is gone from /{target.path}")
    page.keyboard.press(key)  # to the control arm() focused: keydown, (input,) keyup
    result = page.evaluate("(ms) => window.__latency.wait(ms)", PRESS_TIMEOUT_MS)
    return (float(result[0]), float(result[1])) if result else None


def record(measured: Measured, result: tuple[float, float] | None) -> None:
    if result is None:
        measured.timeouts += 1
        result = (PRESS_TIMEOUT_MS, PRESS_TIMEOUT_MS)
        print(
            f"  {measured.target.name}: no {'rerun end' if measured.target.explorer is None else 'draw'} "
            f"within {PRESS_TIMEOUT_MS} ms",
            file=sys.stderr,
        )
    measured.done.append(result[0])
    measured.paint.append(result[1])


def burst(measured: Measured, count: int, pause_ms: int, counted: bool) -> None:
    """``count`` presses in a row at a human pace: each waits for its picture (or rerun), then
    ``pause_ms``."""
    last = None
    for _ in range(count):
        if counted and measured.first_run is None:
            measured.first_run = measured.runs.started
        at = time.monotonic()
        result = press(measured)
        if counted:
            record(measured, result)
            if last is not None:
                measured.intervals.append(at - last)
        last = at
        measured.page.wait_for_timeout(pause_ms)  # Playwright delivers the websocket's frames meanwhile


def bursts(presses: int, size: int) -> list[int]:
    """``presses`` cut into bursts of about ``size``, each of an odd length: keys alternate, so an
    odd burst ends one step from where it began, as a learner's move does (an even one would end
    where it began, and the explorer rightly reports nothing). Their count has the parity of ``presses``."""
    count = max(1, round(presses / size))
    count += count % 2 != presses % 2
    sizes = [presses // count + (i < presses % count) for i in range(count)]
    evens = [i for i, n in enumerate(sizes) if n % 2 == 0]  # an even number of them
    for give, take in zip(evens[::2], evens[1::2]):
        sizes[give] -= 1
        sizes[take] += 1
    return sizes


def wait_quiet(targets: list[Measured], timeout_s: float = QUIET_TIMEOUT_S) -> None:
    """Until no page has a script run in flight (Playwright delivers the websocket frames while it waits)."""
    page = targets[0].page
    deadline = time.monotonic() + timeout_s
    while any(m.runs.in_flight() for m in targets) and time.monotonic() < deadline:
        page.wait_for_timeout(50)


def settle(targets: list[Measured]) -> None:
    """TAIL_S after the last press (the last settle reports, its run starts), then until the runs end."""
    targets[0].page.wait_for_timeout(TAIL_S * 1000)
    for measured in targets:
        measured.last_run = measured.runs.started
    wait_quiet(targets)


# --- the class beside (--with-class) -----------------------------------------------------------


def established(pid: int) -> int:
    """TCP connections ``pid`` holds in state ESTABLISHED (for a server: its clients' connections)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                link = os.readlink(fd)
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                cols = line.split()
                count += cols[3] == "01" and cols[9] in inodes
    return count


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the live processes ``pids`` have used so far."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class ClassLoad:
    """``bench/load_test.py --scenario class`` running beside: its server's connections, and the
    CPU its processes (load_test, its server, its Chromium) used while measuring."""

    proc: subprocess.Popen
    sessions: int
    log: Path
    connections: list[int] = field(default_factory=list)
    cpu_from: tuple[float, float] = (0.0, 0.0)  # (time.monotonic(), CPU seconds) when measuring began

    def cpu(self) -> float:
        return cpu_seconds([self.proc.pid, *descendants(self.proc.pid)])

    def cores_used(self) -> float:
        """CPU cores the class kept busy on average since measuring began."""
        start, used = self.cpu_from
        return (self.cpu() - used) / max(time.monotonic() - start, 1e-9)

    def server_pid(self) -> int | None:
        for pid in descendants(self.proc.pid):
            with contextlib.suppress(OSError):
                if b"streamlit" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
        return None

    def sample(self) -> int:
        pid = self.server_pid()
        self.connections.append(established(pid) if pid else 0)
        return self.connections[-1]

    def wait_for_students(self) -> None:
        """Until the class's server holds a connection per student (+ the instructor's page)."""
        deadline = time.monotonic() + CLASS_ARRIVAL_S
        while self.sample() < self.sessions + 1:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"load_test.py ended (status {self.proc.returncode}) before its class came; see "
                    f"{self.log}"
                )
            if time.monotonic() > deadline:
                raise SystemExit(f"the class did not arrive in {CLASS_ARRIVAL_S} s; see {self.log}")
            time.sleep(1)
        time.sleep(CLASS_SETTLE_S)
        self.connections.clear()  # from here on: while measuring
        self.cpu_from = (time.monotonic(), self.cpu())


def sessions_in(class_args: list[str]) -> int:
    """The ``--sessions`` passed to load_test.py (its class default: 30)."""
    for i, arg in enumerate(class_args):
        if arg == "--sessions" and i + 1 < len(class_args):
            return int(class_args[i + 1])
        if arg.startswith("--sessions="):
            return int(arg.split("=", 1)[1])
    return 30


@contextlib.contextmanager
def class_beside(class_args: list[str], log: Path) -> Iterator[ClassLoad]:
    """Start the class and wait for its students; on leaving, stop it (SIGINT: its own clean-up runs)."""
    if "--data" not in class_args and not DATASET.exists():
        raise SystemExit(f"--with-class needs {DATASET} (load_test.py's class trains on it)")
    with open(log, "w") as out:
        # Its own process group: what is left of it (its server, its Chromium) can be stopped, and only that.
        proc = subprocess.Popen(
            [sys.executable, "bench/load_test.py", "--scenario", "class", *class_args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            load = ClassLoad(proc, sessions_in(class_args), log)
            print(f"waiting for load_test.py's class ({load.sessions} students) to arrive ...", flush=True)
            started = time.monotonic()
            load.wait_for_students()
            print(f"  arrived after {time.monotonic() - started:.0f} s", flush=True)
            yield load
        finally:
            stop_class(proc)


def stop_class(proc: subprocess.Popen) -> None:
    """SIGINT to load_test.py (its clean-up closes its Chromium and stops its server: a
    KeyboardInterrupt traceback in its log is expected), then whatever of its group is left."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # its group: started with start_new_session, only its own


# --- the report --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def interval_ms(measured: Measured) -> float:
    """The median time between two presses of one burst (the settle timer fires after 250 ms)."""
    return statistics.median(measured.intervals) * 1000 if measured.intervals else float("nan")


def figures(measured: Measured, floor_ms: float | None) -> dict[str, object]:
    med = statistics.median(measured.done)
    runs = measured.runs.between(measured.first_run or 0, measured.last_run)
    result: dict[str, object] = {
        "median_ms": round(med, 1),
        "p90_ms": round(percentile(measured.done, 0.9), 1),
        "paint_median_ms": round(statistics.median(measured.paint), 1),
        "timeouts": measured.timeouts,
        "script_runs": runs,
        "script_runs_per_20": round(runs * 20 / len(measured.done), 1),
        "press_interval_ms": round(interval_ms(measured)),
        "gaps_over_settle": sum(gap * 1000 > SETTLE_MS for gap in measured.intervals),
    }
    if floor_ms is not None:
        result["ratio"] = round(med / floor_ms, 3)
    return result


def verdicts(name: str, fig: dict[str, object], with_class: bool) -> dict[str, bool]:
    checks = {f"{name}: median <= {FRAME_MS:.1f} ms": fig["median_ms"] <= FRAME_MS}
    if not with_class:  # under the class the target is the frame alone
        checks[f"{name}: median <= {FLOOR_RATIO}x the floor"] = fig["ratio"] <= FLOOR_RATIO
        checks[f"{name}: script runs <= {RUNS_PER_20} per 20 presses"] = (
            fig["script_runs_per_20"] <= RUNS_PER_20
        )
    return checks


def report(targets: list[Measured], presses: int, load: ClassLoad | None, class_cores: float | None) -> int:
    """Print the table and PASS/FAIL lines, then the JSON line; the exit status."""
    floor = next(m for m in targets if m.target.explorer is None)
    floor_fig = figures(floor, None)
    summary: dict[str, object] = {"presses": presses, "with_class": load is not None, "floor": floor_fig}
    print(
        f"{'target':<12} {'median ms':>9} {'p90 ms':>7} {'x floor':>7} {'paint ms':>8} {'timeouts':>8} "
        f"{'script runs':>11} {'press every':>11} {'gaps > 250':>10}"
    )
    checks: dict[str, bool] = {}
    for measured in targets:
        name = measured.target.name
        fig = floor_fig if measured is floor else figures(measured, statistics.median(floor.done))
        ratio = f"{fig['ratio']:7.2f}" if "ratio" in fig else f"{'':7}"
        print(
            f"{name:<12} {fig['median_ms']:9.1f} {fig['p90_ms']:7.1f} {ratio} {fig['paint_median_ms']:8.1f} "
            f"{fig['timeouts']:8d} {fig['script_runs']:11d} {fig['press_interval_ms']:8.0f} ms "
            f"{fig['gaps_over_settle']:10d}"
        )
        if measured is not floor:
            summary[name] = fig
            checks.update(verdicts(name, fig, load is not None))
    if load is not None:
        seen = load.connections or [0]
        summary["class_connections"] = {"min": min(seen), "max": max(seen)}
        summary["class_cpu_cores"] = round(class_cores, 2)
        print(
            f"while measuring, the class's server held {min(seen)}-{max(seen)} connections ({load.sessions} "
            f"students + the instructor) and its processes kept {class_cores:.2f} CPU cores busy"
        )
    for name, passed in checks.items():
        print(f"{'PASS' if passed else 'FAIL'}  {name}")
    summary["passed"] = all(checks.values())
    print(json.dumps(summary))
    return 0 if summary["passed"] else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20, help="counted presses per target")
    parser.add_argument(
        "--burst", type=int, default=10, help="presses in a row on one target before the next"
    )
    parser.add_argument("--warmup", type=int, default=4, help="presses per target first, not counted")
    parser.add_argument("--pause-ms", type=int, default=100, help="after each press's picture (or rerun)")
    parser.add_argument("--with-class", action="store_true", help="measure while load_test.py's class runs")
    parser.add_argument(
        "--class-args",
        nargs=argparse.REMAINDER,
        default=DEFAULT_CLASS_ARGS,
        help=f"the rest goes to load_test.py --scenario class (default: {' '.join(DEFAULT_CLASS_ARGS)})",
    )
    args = parser.parse_args()
    if args.presses < 1 or args.burst < 1 or args.warmup < 0:
        parser.error("--presses and --burst must be at least 1, --warmup at least 0")

    from playwright.sync_api import sync_playwright

    logs = Path(tempfile.mkdtemp(prefix="browser_latency_"))
    floor_script = logs / "floor_app.py"
    floor_script.write_text(FLOOR_APP)
    with contextlib.ExitStack() as stack:
        floor_url = stack.enter_context(server(str(floor_script), logs / "floor.log"))
        app_url = stack.enter_context(server("streamlit_app.py", logs / "app.log"))
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        targets = [open_target(browser, floor_url, FLOOR)]
        targets += [open_target(browser, f"{app_url}/{t.path}", t) for t in EXPLORERS]
        load = (
            stack.enter_context(class_beside(args.class_args, logs / "load_test.log"))
            if args.with_class
            else None
        )
        for measured in targets:
            burst(measured, args.warmup, args.pause_ms, counted=False)
        settle(targets)  # the warm-up's runs are over before counting starts
        for size in bursts(args.presses, args.burst):
            for measured in targets:  # interleaved burst by burst: the machine's noise hits all alike
                burst(measured, size, args.pause_ms, counted=True)
                if load is not None:
                    load.sample()
        class_cores = load.cores_used() if load is not None else None
        settle(targets)
    print(f"(servers' logs in {logs})")
    return report(targets, args.presses, load, class_cores)


if __name__ == "__main__":
    sys.exit(main())
