"""How long a light page takes to answer a slider: the median rerun time, through AppTest.

Runs each light page (Convolution, Pooling) through the router in-process, moves its sliders
many times, and prints the median and 90th-percentile wall time of ``at.run()`` (the whole script:
router, widgets, arithmetic, numpy, building and serialising the charts; not the browser's
drawing), and the median CPU time of the process per rerun (steadier on a busy machine). Home,
rerun unchanged, is the baseline: what the router and AppTest cost on any page. Asserts that
TensorFlow was never imported. Run from the repository root:

    python bench/page_latency.py            # 40 slider moves per control
    python bench/page_latency.py --moves 100

Each page is measured twice. "AppTest as shipped" recompiles the page script on every run (a new
ScriptCache per run, and Streamlit's "magic" AST pass costs ~15-20 ms for these pages here); the
real server compiles each page once (one ScriptCache per Runtime), which the "server's script
cache" rows reproduce by sharing one cache across runs. AppTest still adds its own overhead (a
script thread per run, protobuf round trips), so both are upper bounds on the server's work.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CNN_EXPLORER_OFFLINE", "1")

from streamlit.runtime.scriptrunner.script_cache import ScriptCache  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.testing.v1 import app_test as _app_test  # noqa: E402
from streamlit.testing.v1 import local_script_runner as _local_runner  # noqa: E402

# page -> sliders to move (by label) and the values to cycle through
CASES: dict[str, dict[str, list[int]]] = {
    "app_pages/convolution.py": {
        "Input size I": [7, 12, 28, 9, 20],
        "Kernel size K": [3, 5, 2, 7, 4],
        "Stride S": [1, 2, 3, 4],
        "Dilation D": [1, 2, 3],
        "Window position (output cell number, in reading order)": [0, 3, 7, 11, 2],
    },
    "app_pages/pooling.py": {
        "Pool size F": [2, 3, 4, 1, 5],
        "Grid size I": [6, 8, 10, 5, 7],
        "Window (reading order)": [0, 1, 2, 3],
        "Example": [0, 4, 9, 2],
    },
}


def open_page(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page(path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def measure(path: str, sliders: dict[str, list[int]], moves: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each rerun after a slider move."""
    at = open_page(path)
    times, cpu = [], []
    for i in range(moves):
        for label, values in sliders.items():
            widgets = [s for s in at.slider if s.label == label]
            if not widgets:  # e.g. the window slider vanishes when there is one position
                continue
            widget = widgets[0]
            value = min(max(values[i % len(values)], widget.min), widget.max)
            widget.set_value(value)
            start, start_cpu = time.perf_counter(), time.process_time()
            at.run()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            assert not at.exception, (path, label, value, [e.value for e in at.exception])
    return times, cpu


def report(path: str, times: list[float], cpu: list[float], what: str) -> None:
    times = sorted(times)
    p90 = times[int(0.9 * (len(times) - 1))]
    print(
        f"{path:24s} rerun wall median {statistics.median(times) * 1000:6.1f} ms, p90 {p90 * 1000:6.1f} ms; "
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
    parser.add_argument("--moves", type=int, default=40, help="rounds of moves per page (default 40)")
    args = parser.parse_args()

    for shared in (False, True):
        share_script_cache(shared)
        print("With the server's script cache (compiled once):" if shared else "AppTest as shipped (recompiles each run):")
        home = open_page("app_pages/home.py")
        times, cpu = [], []
        for _ in range(max(10, args.moves // 2)):
            start, start_cpu = time.perf_counter(), time.process_time()
            home.run()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        report("  app_pages/home.py", times, cpu, "unchanged reruns: the baseline")
        for path, sliders in CASES.items():
            report("  " + path, *measure(path, sliders, args.moves), "slider moves")
    assert "tensorflow" not in sys.modules, "a light page imported TensorFlow"
    assert "keras" not in sys.modules, "a light page imported Keras"
    print("TensorFlow imported: no")


if __name__ == "__main__":
    main()
