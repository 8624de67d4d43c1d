"""How fast a run trains while other threads of the same process run Python (pages rendering).

A class's server is one process: the instructor's run trains in a thread while the students'
page scripts run in others, and every thread needs Python's GIL. Between its batches a run needs
the GIL for a moment; a waiting thread gets it only when the holder's switch interval is up
(Python's default: 5 ms), so a busy page thread taxes every batch. This trains the Tutorial
network in one process, in turns (after a warm-up run):

- quiet: nothing else running;
- busy @ 5 ms: a thread running Python all the time (a saturated server: a class's reruns queue
  up), with Python's default interval;
- busy @ 1 ms: the same thread, with the interval the app's server sets (``ui.server``);
- busy process: the same loop in another process (its own GIL): what is left is the competition
  for the CPU cores alone, the cost a run would pay if it trained in a worker process.

Short runs, the arms interleaved over many rounds: the machine's noise then hits each alike.
Each arm's images/s is the run's mean; ratios are to the quiet figure of the same round, and the
medians over the rounds are reported. The last line is one JSON object.

    python bench/gil_share.py --data ../shared/datasets/fashion-mnist-70k.npz --images 10000 --rounds 8
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnn_core import datasets  # noqa: E402
from cnn_core.models import ModelConfig  # noqa: E402
from cnn_core.worker.trainer import Trainer, limit_memory_growth  # noqa: E402
from cnn_core.training_config import TrainingConfig  # noqa: E402

GIL_SWITCH_INTERVAL_S = 0.001  # what the server set while runs trained in its own process

DEFAULT_SWITCH_S = 0.005  # Python's own


def page_thread(stop: threading.Event) -> None:
    """Pure Python until stopped, holding the GIL as a page script does."""
    total = 0
    while not stop.is_set():
        for i in range(10_000):
            total += i * i


def page_process() -> None:
    page_thread(threading.Event())  # until terminated


def images_per_second(data: datasets.Dataset, epochs: int, busy: str, switch_s: float) -> float:
    """The run's images/s beside ``busy``: "" (nothing), "thread" or "process"."""
    sys.setswitchinterval(switch_s)
    stop = threading.Event()
    if busy == "thread":
        threading.Thread(target=page_thread, args=(stop,), daemon=True).start()
    # Forked: the child runs only this pure-Python loop, never TensorFlow, so its threads do not matter.
    other = multiprocessing.get_context("fork").Process(target=page_process, daemon=True) if busy == "process" else None
    if other is not None:
        other.start()
    try:
        snapshot = Trainer(data, ModelConfig(), TrainingConfig(epochs=epochs, validation_fraction=0.0)).start().wait()
    finally:
        stop.set()
        if other is not None:
            other.terminate()
            other.join()
        sys.setswitchinterval(DEFAULT_SWITCH_S)
    if snapshot.status != "finished":
        raise SystemExit(f"the run ended {snapshot.status}: {snapshot.message}")
    return snapshot.mean_images_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets" / "fashion-mnist-70k.npz")
    parser.add_argument("--images", type=int, default=10_000, help="training images used")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()

    limit_memory_growth()
    full = datasets.load_dataset("fashion_mnist", args.data)  # the app's loader and its checks
    data = dataclasses.replace(full, x_train=full.x_train[: args.images], y_train=full.y_train[: args.images],
                               x_test=full.x_test[:1000], y_test=full.y_test[:1000])
    arms = {"quiet": ("", DEFAULT_SWITCH_S), "busy @ 5 ms": ("thread", DEFAULT_SWITCH_S),
            f"busy @ {GIL_SWITCH_INTERVAL_S * 1000:g} ms": ("thread", GIL_SWITCH_INTERVAL_S),
            "busy process": ("process", DEFAULT_SWITCH_S)}
    images_per_second(data, 1, "", DEFAULT_SWITCH_S)  # warm-up: TensorFlow's first run
    ratios: dict[str, list[float]] = {name: [] for name in arms}
    for round_ in range(args.rounds):
        speeds = {name: images_per_second(data, args.epochs, *arm) for name, arm in arms.items()}
        for name, speed in speeds.items():
            ratios[name].append(speed / speeds["quiet"])
        print(f"round {round_ + 1}: " + " · ".join(f"{n} {s:,.0f} images/s" for n, s in speeds.items()), flush=True)
    summary = {name: round(statistics.median(r), 2) for name, r in ratios.items()}
    print("median ratio to quiet: " + " · ".join(f"{n} {r:.2f}" for n, r in summary.items()))
    print(json.dumps({"images": args.images, "epochs": args.epochs, "rounds": args.rounds, "ratios": summary}))


if __name__ == "__main__":
    main()
