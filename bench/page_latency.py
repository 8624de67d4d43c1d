"""What the server pays when a learner settles an explorer: the median rerun time, through AppTest.

The Convolution and Pooling explorers (and the transposed one below Convolution) are drawn in the
browser (ui/explorers): a slider step costs the server nothing, and its cost in Chromium is
measured by bench/browser_latency.py. What reaches the server is one settled report once the
controls rest 250 ms: the component's state ``{"settings": {"values": {...}, "id": "<new>"}}``,
which Python applies (ui.explorers.explorer) before it draws the Keras line and the link.

Runs each explorer's page through the router in-process and delivers many settled reports, each
with one setting moved to the next value of its cycle (``CASES``; a new id each time; set as the
component's state in ``at.session_state`` before ``at.run()``, which is how AppTest delivers it),
checks that each was applied (the session's setting took the new value), and prints the median and
90th-percentile wall time of ``at.run()`` and the median CPU time of the process per run (steadier
on a busy machine). AppTest reruns the whole page script (router, intro, tables), where the
browser's report reruns only the explorer's fragment, so these are upper bounds; the fragment's
own cost over the wire is in bench/load_test.py (its students' explorer reports). Home, rerun
unchanged, is the baseline: what the router and AppTest cost on any page. Asserts that TensorFlow
was never imported. Run from the repository root:

    python bench/page_latency.py            # 40 rounds: a report per moved setting in each
    python bench/page_latency.py --moves 100

Each page is measured twice. "AppTest as shipped" recompiles the page script on every run (a new
ScriptCache per run, and Streamlit's "magic" AST pass costs ~15-20 ms for these pages here); the
real server compiles each page once (one ScriptCache per Runtime), which the "server's script
cache" rows reproduce by sharing one cache across runs. AppTest still adds its own overhead (a
script thread per run, protobuf round trips), so both are upper bounds on the server's work.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CNN_EXPLORER_OFFLINE", "1")

from streamlit.runtime.scriptrunner.script_cache import ScriptCache  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.testing.v1 import app_test as _app_test  # noqa: E402
from streamlit.testing.v1 import local_script_runner as _local_runner  # noqa: E402

# (page, explorer's component key) -> the settings a learner moves, one per report, and the values
# each cycles through: within the page's SETTINGS bounds, never the default first, no two neighbours
# alike (round end to start included), so every report changes the value it moves.
CASES: dict[tuple[str, str], dict[str, list[int]]] = {
    ("app_pages/convolution.py", "conv_explorer"): {
        "conv_size": [12, 28, 9, 20, 7],
        "conv_kernel": [4, 5, 2, 7, 3],
        "conv_stride": [2, 3, 4, 1],
        "conv_dilation": [2, 3, 1],
        "conv_step": [3, 7, 11, 2, 0],
    },
    ("app_pages/convolution.py", "tconv_explorer"): {
        "tconv_kernel": [4, 5, 2, 3],
        "tconv_stride": [3, 1, 2],
    },
    ("app_pages/pooling.py", "pool_explorer"): {
        "pool_size": [3, 4, 1, 5, 2],
        "pool_grid": [8, 10, 5, 7, 6],
        "pool_window": [1, 2, 3, 0],
        "pool_example": [4, 9, 2, 0],
    },
}


def open_page(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page(path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sent_settings(at: AppTest, key: str) -> dict[str, Any]:
    """The settings the page sent the explorer ``key`` (its data's "settings"): what the browser
    shows until the learner moves a control."""
    for element in at.get("bidi_component"):
        if element.proto.id.endswith(f"-{key}"):  # a keyed component's widget id ends with its key
            return json.loads(element.proto.json)["settings"]
    raise LookupError(f"no explorer {key!r} on the page")


def measure(
    path: str, key: str, settings: dict[str, list[int]], moves: int
) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each run that takes in one settled report of the explorer ``key``."""
    at = open_page(path)
    values = sent_settings(at, key)  # the browser reports every setting, its own values standing
    times, cpu = [], []
    for i in range(moves):
        for setting, cycle in settings.items():
            values = {**values, setting: cycle[i % len(cycle)]}
            at.session_state[key] = {"settings": {"values": values, "id": uuid.uuid4().hex}}
            start, start_cpu = time.perf_counter(), time.process_time()
            at.run()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            assert not at.exception, (path, setting, values[setting], [e.value for e in at.exception])
            # A report the page did not apply would cost less and measure nothing.
            assert at.session_state[setting] == values[setting], (path, setting, "report not applied")
    return times, cpu


def report(path: str, times: list[float], cpu: list[float], what: str) -> None:
    times = sorted(times)
    p90 = times[int(0.9 * (len(times) - 1))]
    print(
        f"{path:44s} rerun wall median {statistics.median(times) * 1000:6.1f} ms, p90 {p90 * 1000:6.1f} ms; "
        f"CPU median {statistics.median(cpu) * 1000:5.1f} ms  ({len(times)} {what})"
    )


def share_script_cache(shared: bool) -> None:
    """Make AppTest keep compiled page scripts between runs, as the server's Runtime does."""
    cache = ScriptCache()
    factory = (lambda: cache) if shared else ScriptCache
    _local_runner.ScriptCache = factory  # type: ignore[attr-defined]
    _app_test.ScriptCache = factory  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--moves",
        type=int,
        default=40,
        help="rounds of settled reports per explorer, one per moved setting (default 40)",
    )
    args = parser.parse_args()

    for shared in (False, True):
        share_script_cache(shared)
        print(
            "With the server's script cache (compiled once):"
            if shared
            else "AppTest as shipped (recompiles each run):"
        )
        home = open_page("app_pages/home.py")
        times, cpu = [], []
        for _ in range(max(10, args.moves // 2)):
            start, start_cpu = time.perf_counter(), time.process_time()
            home.run()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        report("  app_pages/home.py", times, cpu, "unchanged reruns: the baseline")
        for (path, key), settings in CASES.items():
            report(f"  {path} [{key}]", *measure(path, key, settings, args.moves), "settled reports")
    assert "tensorflow" not in sys.modules, "a light page imported TensorFlow"
    assert "keras" not in sys.modules, "a light page imported Keras"
    print("TensorFlow imported: no")


if __name__ == "__main__":
    main()
