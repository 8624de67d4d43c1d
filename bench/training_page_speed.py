"""Does training from the Training page cost speed? A run started in Chromium against plain ``model.fit``.

Since TensorFlow moved out of the Streamlit server, a run started on the Training page trains in
the server's worker process (``python -m cnn_core.worker``, a Trainer thread there) while the
page polls its snapshot and redraws its charts in the browser. This measures what a learner gets,
end to end, on the same machine:

* ``page``: the real app (``streamlit run streamlit_app.py``), driven by Chromium: open the
  Training page with its defaults (the Tutorial network, MNIST; with ``--data``, the file's data
  placed where ``keras.datasets.<name>.load_data()`` finds its download, in a temporary
  ``KERAS_HOME``), set "Epochs E", press "Start training" and wait for the result ("Learning
  curve", "Test accuracy"). The speed is read from the run folder's ``run.json`` (the app writes
  runs under ``$CNN_EXPLORER_RUNS_DIR``, a temporary folder here): each epoch's
  ``images_per_second`` as the Trainer timed it, not the page's rounded metric;
* ``plain``: in a separate Python process, ``model.fit`` as the tutorial calls it, on the same
  model (Tutorial preset, its default optimizer and learning rate), the same images, batch size
  and validation split as the page's defaults (``training_config.training_defaults("tutorial")``),
  on the app's input pipeline (``make_tf_dataset``) and with the worker's process settings
  (``limit_memory_growth`` before TensorFlow's first tensor). A callback reads the clock at epoch
  boundaries only (which keeps Keras's asynchronous batch dispatch on) and stops it where
  validation begins, as the Trainer's epoch time ends before its validation.

* ``away``: the same as ``page``, but the learner leaves once the run has started (the browser
  page goes to ``about:blank``; the run goes on in the worker, as the Training page promises).
  This arm splits the page's cost in two: ``away`` / ``plain`` is what the server and its worker
  cost a run, ``page`` / ``away`` what Chromium drawing the live panel on the same cores costs.

All arms train ``--epochs`` epochs; the first includes tracing and is not counted. A round's
figure is the images trained in the counted epochs over their seconds. Arms run interleaved, in
a rotated order each round (page, away, plain / away, plain, page / ...), so slow spells of the
machine fall on all. The server (and its worker, kept from idling out) is started once and reused: the first
page round pays for the worker's start and TensorFlow's import, outside its timed epochs, and later
rounds find the worker warm, as a class's second run does. Each page round is a new browser page,
so a new session. Chromium runs on the same cores as the worker, as it does when the app is run
on one's own machine: the page arm pays for drawing the live panel too. Verdict: median page
images/s ÷ median plain images/s, target from the issue >= 0.95 (0.91 when training ran in the
server's own process). The last line is one JSON object.

    python bench/training_page_speed.py                       # bundled MNIST sample, 6 epochs, 3 rounds
    python bench/training_page_speed.py --data ../shared/datasets/fashion-mnist-70k.npz --epochs 3 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# bench/ is on sys.path (the script's folder). Pure modules only: this process drives the app
# and never imports TensorFlow.
from training_memory import write_keras_cache

from cnn_core import datasets, run_storage, training_config
from tools.running_app import CHROMIUM_ARGS, chromium_path, free_port, start_app

TARGET = 0.95
PRESET = "tutorial"
RUN_TIMEOUT_S = 1800


# ----- the data ------------------------------------------------------------------------------


def data_name(path: Path | None, override: str | None) -> str:
    """Which built-in dataset a file stands for ("fashion" in its name: Fashion-MNIST)."""
    if override:
        return override
    if path is None:
        return "mnist"  # the Training page's default
    return "fashion_mnist" if "fashion" in path.name.lower() else "mnist"


def place_for_keras(npz: Path, name: str, keras_home: Path) -> None:
    """Put the file's arrays where ``keras.datasets.<name>.load_data()`` reads its download."""
    if name == "fashion_mnist":
        write_keras_cache(npz, keras_home)
        return
    with np.load(npz, allow_pickle=False) as f:
        arrays = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    (keras_home / "datasets").mkdir(parents=True, exist_ok=True)
    np.savez(keras_home / "datasets" / "mnist.npz", **arrays)


# ----- the plain arm (its own process) -------------------------------------------------------


def plain_arm(name: str, source: str, epochs: int) -> dict:
    """``model.fit`` as the tutorial calls it; images per second of each epoch (runs in a child)."""
    from cnn_core import models
    from cnn_core.worker.data import split_indices
    from cnn_core.worker.process_setup import limit_memory_growth

    applied = limit_memory_growth()  # as the worker does, before TensorFlow's first tensor
    import keras

    from cnn_core.worker.accelerators import detect_accelerator
    from cnn_core.worker.data import make_tf_dataset
    from cnn_core.worker.models import build_model, compile_model

    data = datasets.load_dataset(name, source)
    d = training_config.training_defaults(PRESET)
    n_train, n_val = training_config.validation_split(len(data.y_train), d.validation_fraction)
    train_idx, val_idx = split_indices(len(data.y_train), n_val, d.seed)
    acc = detect_accelerator()
    with acc.strategy.scope():
        model = compile_model(build_model(models.PRESETS[PRESET]), d.learning_rate, d.optimizer)
    train_ds = make_tf_dataset(
        data.x_train, data.y_train, d.batch_size, shuffle=True, seed=d.seed, indices=train_idx
    )
    val_ds = (
        make_tf_dataset(data.x_train, data.y_train, d.batch_size, shuffle=False, indices=val_idx)
        if n_val
        else None
    )
    seconds: list[float] = []

    class Clock(keras.callbacks.Callback):
        # Epoch hooks only: a batch hook would switch Keras's async batch dispatch off. The
        # epoch's time ends where its validation begins (fit calls evaluate with our callbacks).
        def on_epoch_begin(self, epoch, logs=None):
            self.t0, self.t1 = time.perf_counter(), None

        def on_test_begin(self, logs=None):
            self.t1 = self.t1 or time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append((self.t1 or time.perf_counter()) - self.t0)

    model.fit(train_ds, epochs=epochs, verbose=0, callbacks=[Clock()], validation_data=val_ds, shuffle=False)
    return {
        "images_per_second": [n_train / s for s in seconds],
        "seconds": seconds,
        "train_images": n_train,
        "validation_images": n_val,
        "source": data.source,
        "device": acc.description,
        "settings": applied,
    }


def run_plain(name: str, source: str, epochs: int) -> dict:
    """The plain arm in a fresh Python process (its last stdout line is its JSON)."""
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--arm",
            "plain",
            "--dataset",
            name,
            "--source",
            source,
            "--epochs",
            str(epochs),
        ],
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"plain arm failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----- the page arm ---------------------------------------------------------------------------


class App:
    """The real app under ``streamlit run`` and one Chromium, kept across rounds."""

    def __init__(self, env: dict, log: Path) -> None:
        from playwright.sync_api import sync_playwright

        self.env = env
        self.runs_dir = Path(env[run_storage.RUNS_DIR_ENV])
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = start_app(port, env, log)  # returns once healthy; it writes to ``log``
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(
            executable_path=chromium_path() or "/usr/bin/chromium", args=CHROMIUM_ARGS
        )

    def close(self) -> None:
        try:
            self.browser.close()
            self._pw.stop()
        finally:
            self.server.terminate()  # the server stops its worker as it exits
            try:
                self.server.wait(30)
            except subprocess.TimeoutExpired:
                self.server.kill()

    def train(self, name: str, train_images: int, epochs: int, watch: bool = True) -> dict:
        """One run from the Training page in a new session; its run.json history once finished.
        With ``watch`` false the page is left as soon as the run trains (the ``away`` arm)."""
        before = set(self.runs_dir.iterdir()) if self.runs_dir.is_dir() else set()
        page = self.browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(180_000)
        try:
            page.goto(f"{self.url}/training?dataset_name={name}")  # a link naming the data
            page.get_by_text(f"{train_images:,} train /").first.wait_for()  # the data box: the right data
            box = page.get_by_role("spinbutton", name="Epochs E")
            box.fill(str(epochs))
            box.press("Enter")
            page.wait_for_timeout(500)
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
            page.get_by_role("button", name="Start training").click()
            t0 = time.monotonic()
            info = None
            if not watch:
                page.get_by_text("Last batch").first.wait_for()  # the live panel: the run trains
                page.goto("about:blank")
            while (
                page.get_by_text("Test accuracy").count() == 0
                if watch
                else info is None or info.status != "finished"
            ):
                info = self._new_run(before)
                if info is not None and info.status in ("failed", "interrupted", "stopped"):
                    raise SystemExit(f"the page's run ended {info.status}: see {info.path}/run.json")
                if time.monotonic() - t0 > RUN_TIMEOUT_S:
                    raise SystemExit(f"the page's run did not end within {RUN_TIMEOUT_S} s")
                page.wait_for_timeout(500)
            if watch:
                page.get_by_role("heading", name="Learning curve").first.wait_for()
            wall = time.monotonic() - t0
        finally:
            page.close()
        # The page may show the result a moment before the worker's Trainer writes its status.
        for _ in range(120):
            info = self._new_run(before)
            if info is not None and info.status == "finished" and len(info.history) == epochs:
                break
            time.sleep(0.5)
        else:
            raise SystemExit(f"no finished run with {epochs} epochs appeared under {self.runs_dir}")
        history = info.history
        return {
            "images_per_second": [r["images_per_second"] for r in history],
            "seconds": [r["seconds"] for r in history],
            "train_images": round(history[0]["images_per_second"] * history[0]["seconds"]),
            "source": info.dataset_source,
            "dataset": info.dataset_name,
            "wall_seconds": wall,
            "test_accuracy": info.test_accuracy,
        }

    def _new_run(self, before: set) -> run_storage.RunInfo | None:
        new = [p for p in self.runs_dir.iterdir() if p not in before] if self.runs_dir.is_dir() else []
        if len(new) > 1:
            raise SystemExit(f"more than one new run folder under {self.runs_dir}: {new}")
        try:
            return run_storage.read_run(new[0]) if new else None
        except ValueError:  # run.json being written
            return None


# ----- the bench ------------------------------------------------------------------------------


def counted_rate(arm: dict) -> float:
    """Images per second over the epochs after the first (images trained / their seconds)."""
    rates, seconds = arm["images_per_second"][1:], arm["seconds"][1:]
    return sum(r * s for r, s in zip(rates, seconds)) / sum(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, help="a .npz in the Keras layout (default: the bundled MNIST sample)"
    )
    parser.add_argument(
        "--dataset",
        choices=datasets.DATASET_NAMES,
        help="which dataset --data is (default: from its name, 'fashion' = Fashion-MNIST)",
    )
    parser.add_argument("--epochs", type=int, default=6, help="per arm and round; the first is not counted")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--arm", choices=["plain"], help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--source", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first is not counted")

    if args.arm == "plain":
        print(json.dumps(plain_arm(args.dataset, args.source, args.epochs)))
        return

    name = data_name(args.data, args.dataset)
    source = str(args.data.resolve()) if args.data else "bundled"
    data = datasets.load_dataset(name, source)  # numpy only: for the counts the page must show
    defaults = training_config.training_defaults(PRESET)
    n_train, n_val = training_config.validation_split(len(data.y_train), defaults.validation_fraction)
    data_info = {
        "name": name,
        "source": "keras cache from " + args.data.name if args.data else "bundled sample",
        "train_images": n_train,
        "validation_images": n_val,
        "test_images": len(data.y_test),
    }

    tmp = Path(tempfile.mkdtemp(prefix="page-speed-"))
    env = {
        **os.environ,
        run_storage.RUNS_DIR_ENV: str(tmp / "runs"),
        "CNN_EXPLORER_OFFLINE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "KERAS_HOME": str(tmp / "keras"),
    }
    env.setdefault("CNN_EXPLORER_WORKER_IDLE_S", "3600")  # the worker stays warm across rounds
    if args.data:
        place_for_keras(args.data, name, tmp / "keras")
    print(
        f"{datasets.DATASET_TITLES[name]} ({data_info['source']}): {n_train:,} training images, "
        f"{n_val:,} validation · Tutorial network · batch {defaults.batch_size} · {defaults.optimizer} "
        f"η={defaults.learning_rate:g} · {args.epochs} epochs per arm (first not counted) · "
        f"{args.rounds} rounds · load {os.getloadavg()[0]:.1f}"
    )

    app = App(env, tmp / "streamlit.log")
    arms = ["page", "away", "plain"]
    rates: dict[str, list[float]] = {arm: [] for arm in arms}
    fastest = dict.fromkeys(arms, 0.0)
    try:
        for r in range(args.rounds):
            order = arms[r % len(arms) :] + arms[: r % len(arms)]
            for arm in order:
                load = os.getloadavg()[0]
                if arm in ("page", "away"):
                    result = app.train(name, len(data.y_train), args.epochs, watch=arm == "page")
                    wall, accuracy = result["wall_seconds"], result["test_accuracy"]
                    extra = f" · wall {wall:.0f} s · test accuracy {accuracy:.3f}"
                else:
                    result = run_plain(name, source, args.epochs)
                    extra = ""
                if result["train_images"] != n_train:
                    raise SystemExit(
                        f"{arm}: trained {result['train_images']:,} images per epoch, expected {n_train:,}"
                    )
                rate = counted_rate(result)
                rates[arm].append(rate)
                fastest[arm] = max(fastest[arm], *result["images_per_second"][1:])
                epochs_text = ", ".join(f"{v:,.0f}" for v in result["images_per_second"])
                print(
                    f"round {r + 1} {arm:5}: {rate:7,.0f} images/s over epochs 2-{args.epochs} "
                    f"(each: {epochs_text}){extra} · load before {load:.1f}",
                    flush=True,
                )
    finally:
        app.close()
        shutil.rmtree(tmp, ignore_errors=True)

    median = {arm: statistics.median(rates[arm]) for arm in arms}
    ratio = median["page"] / median["plain"]
    passed = ratio >= TARGET
    print()
    for arm in arms:
        print(f"median {arm:5} {median[arm]:7,.0f} images/s   (fastest epoch {fastest[arm]:,.0f})")
    print(
        f"away / plain = {median['away'] / median['plain']:.3f} (the server and its worker); "
        f"page / away = {median['page'] / median['away']:.3f} (Chromium drawing the live panel)"
    )
    print(
        f"page / plain = {ratio:.3f} (target >= {TARGET:.2f}: {'PASS' if passed else 'FAIL'}); "
        f"fastest epochs {fastest['page'] / fastest['plain']:.3f}; the worker stayed warm across rounds; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(
        json.dumps(
            {
                "rounds": args.rounds,
                "epochs": args.epochs,
                **{f"{arm}_images_per_s": [round(v, 1) for v in rates[arm]] for arm in arms},
                "away_over_plain": round(median["away"] / median["plain"], 4),
                "ratio": round(ratio, 4),
                "passed": passed,
                "data": data_info,
            }
        )
    )
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
