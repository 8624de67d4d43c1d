"""Quality: the Tutorial preset reproduces the tutorial; the Strong preset beats it in the same time.

On the real Fashion-MNIST file (60,000 training / 10,000 test images), with the app's Trainer:

* ``tutorial``: the tutorial's network, Adam η = 0.01, batch 256, 10 epochs, trained on all
  60,000 images as the tutorial does: expect about 0.91 test accuracy (the reference is 0.910);
* ``strong``: ``PRESETS["strong"]`` with its own training settings
  (``training_config.TRAINING_PRESETS["strong"]``): must reach >= 0.930 test accuracy in at most
  0.85× the tutorial's 10-epoch wall time, measured in the same run.

Wall time is a run's whole life as the app sees it (model built, every epoch, test evaluated).
Runs alternate (tutorial, strong, strong, tutorial, ...) so machine noise falls on both; the verdict
is on the medians of 3 rounds (``--rounds``), printed with their spread (lowest–highest).
With ``--mnist`` it also trains the tutorial on MNIST-10k (reference 0.981).

    python bench/strong_preset.py --data ../shared/datasets/fashion-mnist-70k.npz
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnn_core import datasets, models, training_config  # noqa: E402
from cnn_core.worker.accelerators import detect_accelerator  # noqa: E402
from cnn_core.worker.process_setup import limit_memory_growth  # noqa: E402
from cnn_core.worker.trainer import Snapshot, Trainer  # noqa: E402

SHARED = ROOT.parent / "shared" / "datasets"
STRONG_TARGET = 0.930  # test accuracy, the median of the rounds
RATIO_TARGET = 0.85  # Strong's wall time / the Tutorial's, the median of the rounds


def run(data, preset: str, acc) -> tuple[float, float, Snapshot]:
    """(test accuracy, wall seconds, snapshot) of one run of ``preset`` with its own settings,
    on every training image (no validation hold-out, as the tutorial) and no checkpoints."""
    config = replace(training_config.training_defaults(preset), validation_fraction=0.0, checkpoint_every=0)
    t0 = time.perf_counter()
    snap = Trainer(data, models.PRESETS[preset], config, accelerator=acc).start().wait()
    wall = time.perf_counter() - t0
    if snap.status != "finished":
        raise SystemExit(f"{preset}: {snap.status}: {snap.message}")
    return snap.test_accuracy, wall, snap


def medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The median test accuracy and the median wall time of (accuracy, seconds) runs."""
    return statistics.median(a for a, _ in runs), statistics.median(w for _, w in runs)


def spread(runs: list[tuple[float, float]], field: int, fmt: str = ".4f") -> str:
    """ "lowest–highest" of one field (0: accuracy, 1: seconds) of the runs."""
    values = [run[field] for run in runs]
    return f"{min(values):{fmt}}–{max(values):{fmt}}"


def describe(preset: str) -> str:
    c = training_config.training_defaults(preset)
    return (
        f"{models.PRESET_TITLES[preset]}: {training_config.architecture_text(models.PRESETS[preset])} · "
        f"{models.total_params(models.PRESETS[preset]):,} params · "
        f"{training_config.OPTIMIZER_TITLES[c.optimizer]} "
        f"η={c.learning_rate:g} {c.schedule} · batch {c.batch_size} · {c.epochs} epochs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED / "fashion-mnist-70k.npz")
    parser.add_argument("--rounds", type=int, default=3, help="tutorial/strong pairs to run")
    parser.add_argument(
        "--mnist",
        type=Path,
        nargs="?",
        const=SHARED / "mnist-10k.npz",
        help="also train the tutorial on MNIST-10k",
    )
    args = parser.parse_args()

    data = datasets.load_dataset("fashion_mnist", args.data)
    limit_memory_growth()  # as the app does before it trains
    acc = detect_accelerator()
    print(
        f"Fashion-MNIST from {args.data.name}: {len(data.y_train):,} train / {len(data.y_test):,} test · "
        f"{acc.description} · load {os.getloadavg()[0]:.1f}"
    )
    for preset in ("tutorial", "strong"):
        print("  " + describe(preset))
    results: dict[str, list[tuple[float, float]]] = {"tutorial": [], "strong": []}
    for r in range(args.rounds):
        for preset in ("tutorial", "strong") if r % 2 == 0 else ("strong", "tutorial"):
            accuracy, wall, snap = run(data, preset, acc)
            results[preset].append((accuracy, wall))
            print(
                f"round {r + 1} · {preset:8}: test accuracy {accuracy:.4f} · wall {wall:6.1f} s · "
                f"{snap.mean_images_per_second:,.0f} img/s · per-epoch train acc "
                + " ".join(f"{e.accuracy:.3f}" for e in snap.history)
                + f" · load {os.getloadavg()[0]:.1f}"
            )
    ratios = [s[1] / t[1] for t, s in zip(results["tutorial"], results["strong"])]
    t_acc, t_wall = medians(results["tutorial"])
    s_acc, s_wall = medians(results["strong"])
    ratio = statistics.median(ratios)
    accurate, fast = s_acc >= STRONG_TARGET, ratio <= RATIO_TARGET
    print()
    print(f"medians of {args.rounds} rounds (lowest–highest):")
    print(
        f"tutorial 10 epochs: test accuracy {t_acc:.4f} ({spread(results['tutorial'], 0)}) · "
        f"wall {t_wall:.1f} s ({spread(results['tutorial'], 1, '.1f')}) (tutorial / reference: about 0.91)"
    )
    print(
        f"strong:             test accuracy {s_acc:.4f} ({spread(results['strong'], 0)}) · "
        f"wall {s_wall:.1f} s ({spread(results['strong'], 1, '.1f')}) "
        f"(target >= {STRONG_TARGET}: {'PASS' if accurate else 'FAIL'})"
    )
    print(
        f"strong wall / tutorial wall: {ratio:.3f} ({min(ratios):.3f}–{max(ratios):.3f}) "
        f"(target <= {RATIO_TARGET}: {'PASS' if fast else 'FAIL'})"
        f"  per round: {', '.join(f'{x:.3f}' for x in ratios)}"
    )
    if args.mnist:
        mnist = datasets.load_dataset("mnist", args.mnist)
        accuracy, wall, _ = run(mnist, "tutorial", acc)
        print(
            f"tutorial on MNIST-10k ({len(mnist.y_train):,} train): test accuracy {accuracy:.4f} "
            f"(reference 0.981) · wall {wall:.1f} s"
        )
    sys.exit(0 if accurate and fast else 1)


if __name__ == "__main__":
    main()
