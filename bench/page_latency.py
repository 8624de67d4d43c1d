"""How long a light page takes to answer a slider: the median rerun time, through AppTest.

Runs each light page (Home, Convolution, Pooling) through the router in-process, moves a slider
many times, and prints the median and 90th-percentile time of ``at.run()`` (the whole script:
widgets, arithmetic, numpy, building and serialising the charts; not the browser's drawing).
Asserts that TensorFlow was never imported. Run from the repository root:

    python bench/page_latency.py            # 40 slider moves per control
    python bench/page_latency.py --moves 100

AppTest adds its own overhead (a script thread per run, protobuf round trips), so the numbers are
an upper bound on the server's work per rerun.
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

from streamlit.testing.v1 import AppTest  # noqa: E402

# page -> sliders to move (by label) and the values to cycle through
CASES: dict[str, dict[str, list[int]]] = {
    "pages/convolution.py": {
        "Input size I": [7, 12, 28, 9, 20],
        "Kernel size K": [3, 5, 2, 7, 4],
        "Stride S": [1, 2, 3, 4],
        "Dilation D": [1, 2, 3],
        "Window position (output cell number, in reading order)": [0, 3, 7, 11, 2],
    },
    "pages/pooling.py": {
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


def measure(path: str, sliders: dict[str, list[int]], moves: int) -> list[float]:
    at = open_page(path)
    times = []
    for i in range(moves):
        for label, values in sliders.items():
            widgets = [s for s in at.slider if s.label == label]
            if not widgets:  # e.g. the window slider vanishes when there is one position
                continue
            widget = widgets[0]
            value = min(max(values[i % len(values)], widget.min), widget.max)
            widget.set_value(value)
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
            assert not at.exception, (path, label, value, [e.value for e in at.exception])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40, help="rounds of moves per page (default 40)")
    args = parser.parse_args()

    home = open_page("pages/home.py")
    start = time.perf_counter()
    for _ in range(10):
        home.run()
    print(f"{'pages/home.py':24s} rerun median ~{(time.perf_counter() - start) / 10 * 1000:6.1f} ms (10 reruns)")
    for path, sliders in CASES.items():
        times = measure(path, sliders, args.moves)
        times.sort()
        median = statistics.median(times)
        p90 = times[int(0.9 * (len(times) - 1))]
        print(
            f"{path:24s} rerun median {median * 1000:6.1f} ms, p90 {p90 * 1000:6.1f} ms, "
            f"max {times[-1] * 1000:6.1f} ms over {len(times)} slider moves"
        )
    assert "tensorflow" not in sys.modules, "a light page imported TensorFlow"
    assert "keras" not in sys.modules, "a light page imported Keras"
    print("TensorFlow imported: no")


if __name__ == "__main__":
    main()
