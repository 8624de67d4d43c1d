"""Peak memory of the app while it trains on all 60,000 Fashion-MNIST images (target: < 1 GiB).

A Community Cloud container has 1-3 GB, shared by every process of the app: the Streamlit server
and the TensorFlow worker it starts. This starts the real app with ``streamlit run``, with the
Fashion-MNIST file placed where ``keras.datasets.fashion_mnist.load_data()`` finds its download (a
temporary ``KERAS_HOME``, so no network is needed), then drives Chromium: choose Fashion-MNIST on
the Dataset page, start a run on the Training page, and sample the resident memory of the server
and its worker until the run ends. Reported: each process's high-water mark (VmHWM) and the
largest sum of the two sampled at the same moment (the tree's peak); the target is on the tree.

It also measures the command line on the same file (``python -m cnn_core train --data``), whose
peak is the same Trainer without Streamlit.

    python bench/training_memory.py --data ../shared/datasets/fashion-mnist-70k.npz --epochs 2
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _process_tree import worker_pids  # bench/ is on sys.path: the script's own folder

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the repository, for tools/
from tools.running_app import CHROMIUM_ARGS, chromium_path, free_port, start_app

SHARED = ROOT.parent / "shared" / "datasets"
LIMIT_MIB = 1024  # 1 GiB; 1 GB in decimal units is 954 MiB, printed alongside


def write_keras_cache(npz: Path, keras_home: Path) -> None:
    """Fashion-MNIST in the IDX .gz files keras.datasets.fashion_mnist.load_data() reads."""
    with np.load(npz, allow_pickle=False) as f:
        arrays = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    folder = keras_home / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb", compresslevel=1) as out:
            out.write(b"\0\0\x08\x01" + len(y).to_bytes(4, "big") + y.astype(np.uint8).tobytes())
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb", compresslevel=1) as out:
            out.write(
                b"\0\0\x08\x03"
                + b"".join(n.to_bytes(4, "big") for n in x.shape)
                + x.astype(np.uint8).tobytes()
            )


def tree_mb(server: int) -> tuple[float, float, dict[int, float]]:
    """(server RSS, server + workers RSS, each worker's VmHWM) in MiB, read at one moment."""
    own = memory_mb(server)[0]
    peaks, total = {}, own
    for pid in worker_pids(server):
        try:
            rss, peaks[pid] = memory_mb(pid)
        except (OSError, KeyError):
            continue
        total += rss
    return own, total, peaks


def memory_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a live process in MiB (2**20 bytes), from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cli_peak(npz: Path, epochs: int, env: dict) -> tuple[float, str]:
    """Peak RSS (MB) of `python -m cnn_core train` on the file, and its summary line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cnn_core", "train", "--data", str(npz), "--epochs", str(epochs), "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # rusage of exactly this child
    proc.returncode = os.waitstatus_to_exitcode(status)
    summary = next((line for line in out.splitlines() if "Test accuracy" in line), out.strip()[-300:])
    return usage.ru_maxrss / 1024, summary


def app_peak(epochs: int, env: dict) -> dict:
    """Drive the app in Chromium through one training run; sample the server's memory."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_app(port, env, Path(env["CNN_EXPLORER_RUNS_DIR"]).parent / "streamlit.log")
    samples: list[tuple[float, float]] = []  # (seconds into the run, server + workers RSS)
    marks: dict[str, float] = {}
    worker_peaks: dict[int, float] = {}
    try:
        marks["server started"] = memory_mb(server.pid)[0]
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium_path() or "/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.set_default_timeout(180_000)

            def settle() -> None:
                page.wait_for_timeout(500)
                page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')

            page.goto(url)
            settle()
            page.get_by_role("link", name="Dataset").first.click()
            settle()
            page.get_by_text("Fashion-MNIST", exact=True).first.click()
            settle()
            page.get_by_role("link", name="Training").first.click()
            settle()
            page.get_by_text("60,000 train").first.wait_for()
            marks["dataset loaded"] = memory_mb(server.pid)[0]
            box = page.get_by_role("spinbutton", name="Epochs E")
            box.fill(str(epochs))
            box.press("Enter")
            settle()
            page.get_by_role("button", name="Start training").click()
            t0 = time.monotonic()
            done = page.locator('[data-testid="stProgress"]').filter(
                has_text=re.compile("Finished|Stopped|failed")
            )
            while done.count() == 0:
                _, total, peaks = tree_mb(server.pid)
                worker_peaks.update(peaks)
                samples.append((time.monotonic() - t0, total))
                page.wait_for_timeout(250)
                if time.monotonic() - t0 > 1800:
                    raise SystemExit("the run did not end within 30 minutes")
            progress = done.first.inner_text()
            page.get_by_text("Test accuracy").first.wait_for()
            settle()
            marks["after the run (server + worker)"] = tree_mb(server.pid)[1]
            worker_peaks.update(tree_mb(server.pid)[2])
            browser.close()
        peak = memory_mb(server.pid)[1]
    finally:
        server.terminate()
        server.wait(30)
    return {
        "peak": peak,
        "worker_peak": max(worker_peaks.values(), default=0.0),
        "samples": samples,
        "marks": marks,
        "progress": progress,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED / "fashion-mnist-70k.npz")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_keras_cache(args.data, tmp / "keras")
        env = {
            **os.environ,
            "KERAS_HOME": str(tmp / "keras"),
            "CNN_EXPLORER_RUNS_DIR": str(tmp / "runs"),
            "CNN_EXPLORER_OFFLINE": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        print(
            f"load {os.getloadavg()[0]:.1f}; MALLOC_ARENA_MAX={os.environ.get('MALLOC_ARENA_MAX', 'unset')}"
        )
        if not args.skip_cli:
            peak, summary = cli_peak(args.data, args.epochs, env)
            print(
                f"CLI  python -m cnn_core train --data {args.data.name} --epochs {args.epochs}: "
                f"peak RSS {peak:,.0f} MiB · {summary}"
            )
        result = app_peak(args.epochs, env)
        rss = [m for _, m in result["samples"]]
        print(
            "app  streamlit run, Fashion-MNIST 60,000 images: "
            + " · ".join(f"{k} {v:,.0f} MiB" for k, v in result["marks"].items())
        )
        print(
            f"     during training, server + worker: RSS min {min(rss):,.0f} / max {max(rss):,.0f} MiB over "
            f"{len(rss)} samples ({result['samples'][-1][0]:.0f} s) · {result['progress']}"
        )
        ok = max(rss) < LIMIT_MIB
        print(
            f"     peak RSS (VmHWM): server {result['peak']:,.0f} MiB, worker {result['worker_peak']:,.0f} "
            "MiB; "
            f"the tree's largest sampled sum {max(rss):,.0f} MiB = {max(rss) * 2**20 / 1e9:.2f} GB "
            f"(target < {LIMIT_MIB} MiB: {'PASS' if ok else 'FAIL'})"
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
