"""How fast a run trains while other threads of the same process run Python (pages rendering).

A class's server is one process: the instructor's run trains in a thread while the students'
page scripts run in others, and every thread needs Python's GIL. Between its batches a run needs
the GIL for a moment; a waiting thread gets it only when the holder's switch interval is up
(Python's default: 5 ms), so a busy page thread taxes every batch. This trains the Tutorial
network in one process, in turns (after a warm-up run):

- quiet @ 5 ms: nothing else running, at Python's default interval;
- quiet @ 1 ms: nothing else running, at the 1 ms interval the server set while runs trained in its process;
- busy @ 5 ms: a thread running Python all the time (a saturated server: a class's reruns queue
  up), with Python's default interval;
- busy @ 1 ms: the same thread, at 1 ms;
- busy process: the same loop in another process (its own GIL), at the default interval: what
  is left is the competition for the CPU cores alone, the cost a run would pay if it trained in
  a worker process.

Short runs, the arms interleaved over many rounds, each round starting one arm later than the
last (over five rounds each arm runs once in every place, first included): the machine's noise
then hits each alike. An arm's images/s counts only the epochs after the first, whose time
includes tracing the training step into a graph (pure Python: what a busy thread slows most,
and not what a run pays batch after batch). Each loaded arm's ratio is to the quiet arm at its
own switch interval in the same round (busy process: quiet @ 5 ms); quiet @ 1 ms is given over
quiet @ 5 ms (what the interval alone costs). The medians over the rounds are reported. The
last line is one JSON object.

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
from cnn_core.training_config import TrainingConfig  # noqa: E402
from cnn_core.worker.process_setup import limit_memory_growth  # noqa: E402
from cnn_core.worker.trainer import Trainer  # noqa: E402

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


@dataclasses.dataclass(frozen=True)
class Arm:
    """One way of running: beside what, at which switch interval, compared with which arm."""

    name: str
    busy: str  # "" (nothing), "thread" or "process"
    switch_s: float
    baseline: str  # the arm its ratio is to: the quiet one at the same switch interval


FAST_SWITCH = f"{GIL_SWITCH_INTERVAL_S * 1000:g} ms"
ARMS = (
    Arm("quiet @ 5 ms", "", DEFAULT_SWITCH_S, ""),
    Arm(f"quiet @ {FAST_SWITCH}", "", GIL_SWITCH_INTERVAL_S, "quiet @ 5 ms"),
    Arm("busy @ 5 ms", "thread", DEFAULT_SWITCH_S, "quiet @ 5 ms"),
    Arm(f"busy @ {FAST_SWITCH}", "thread", GIL_SWITCH_INTERVAL_S, f"quiet @ {FAST_SWITCH}"),
    Arm("busy process", "process", DEFAULT_SWITCH_S, "quiet @ 5 ms"),
)


def rotated(arms: tuple[Arm, ...], round_: int) -> tuple[Arm, ...]:
    """The arms in this round's order: each round starts one arm later than the last."""
    k = round_ % len(arms)
    return arms[k:] + arms[:k]


def images_per_second(data: datasets.Dataset, epochs: int, busy: str, switch_s: float) -> float:
    """The run's images/s beside ``busy`` ("", "thread" or "process") over the epochs after the
    first (the first includes tracing the training step)."""
    sys.setswitchinterval(switch_s)
    stop = threading.Event()
    if busy == "thread":
        threading.Thread(target=page_thread, args=(stop,), daemon=True).start()
    # Forked: the child runs only this pure-Python loop, never TensorFlow, so its threads do not matter.
    other = (
        multiprocessing.get_context("fork").Process(target=page_process, daemon=True)
        if busy == "process"
        else None
    )
    if other is not None:
        other.start()
    try:
        snapshot = (
            Trainer(data, ModelConfig(), TrainingConfig(epochs=epochs, validation_fraction=0.0))
            .start()
            .wait()
        )
    finally:
        stop.set()
        if other is not None:
            other.terminate()
            other.join()
        sys.setswitchinterval(DEFAULT_SWITCH_S)
    if snapshot.status != "finished":
        raise SystemExit(f"the run ended {snapshot.status}: {snapshot.message}")
    timed = snapshot.history[1:]
    return snapshot.train_images * len(timed) / sum(record.seconds for record in timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared" / "datasets" / "fashion-mnist-70k.npz"
    )
    parser.add_argument("--images", type=int, default=10_000, help="training images used")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run; the first is not timed")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch (tracing included) is not timed")

    limit_memory_growth()
    full = datasets.load_dataset("fashion_mnist", args.data)  # the app's loader and its checks
    data = dataclasses.replace(
        full,
        x_train=full.x_train[: args.images],
        y_train=full.y_train[: args.images],
        x_test=full.x_test[:1000],
        y_test=full.y_test[:1000],
    )
    images_per_second(data, 2, "", DEFAULT_SWITCH_S)  # warm-up: TensorFlow's first run
    ratios: dict[str, list[float]] = {arm.name: [] for arm in ARMS if arm.baseline}
    for round_ in range(args.rounds):
        order = rotated(ARMS, round_)
        speeds = {arm.name: images_per_second(data, args.epochs, arm.busy, arm.switch_s) for arm in order}
        for arm in ARMS:
            if arm.baseline:
                ratios[arm.name].append(speeds[arm.name] / speeds[arm.baseline])
        print(
            f"round {round_ + 1} (from {order[0].name}): "
            + " · ".join(f"{arm.name} {speeds[arm.name]:,.0f} images/s" for arm in ARMS),
            flush=True,
        )
    summary = {name: round(statistics.median(r), 2) for name, r in ratios.items()}
    print(
        "median ratio to quiet at the same interval: "
        + " · ".join(f"{n} {r:.2f}" for n, r in summary.items())
    )
    print(
        json.dumps(
            {
                "images": args.images,
                "epochs": args.epochs,
                "timed_epochs": args.epochs - 1,
                "rounds": args.rounds,
                "ratios": summary,
            }
        )
    )


if __name__ == "__main__":
    main()
