"""Device check: how much faster the best device trains than the CPU, with and without mixed precision.

Trains the Tutorial preset (Adam η = 0.01, batch 256) for 3 epochs on all 60,000 training images
of Fashion-MNIST with the app's Trainer, in one process, on each of:

* the CPU (float32), always;
* the best device :func:`cnn_core.worker.accelerators.detect_accelerator` finds (GPU or TPU), float32;
* on a GPU, the same with mixed precision (``mixed_float16``, the output layer float32).

It prints images per second of the steady epochs (the first, which also traces the graph, is
left out), the ratios against the CPU and against float32, and each arm's test accuracy on the
10,000 test images; mixed precision must not lose more than ``MAX_MIXED_DROP`` of accuracy
against float32 on the same device (exit code 1 if it does). Every arm starts from the same
initial weights. The last line of stdout is one JSON object. Without a GPU or TPU it runs the
CPU arm alone and says so.

    python bench/device_check.py --data ../shared/datasets/fashion-mnist-70k.npz
    python bench/device_check.py --data ... --epochs 1      # a quick trial
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnn_core import accelerators, datasets, models, training_config  # noqa: E402
from cnn_core.worker.accelerators import detect_accelerator, device_report  # noqa: E402
from cnn_core.worker.process_setup import limit_memory_growth  # noqa: E402
from cnn_core.worker.trainer import Trainer  # noqa: E402

SHARED = ROOT.parent / "shared" / "datasets"
MAX_MIXED_DROP = 0.005  # test accuracy mixed precision may lose against float32 (fraction)
SEED = 0


@dataclass(frozen=True)
class Arm:
    """One measured run: where, in which precision, how fast, how accurate."""

    name: str
    kind: str  # "CPU", "GPU" or "TPU"
    mixed_precision: bool
    images_per_second: float  # steady epochs (all epochs when there is only one)
    first_epoch_seconds: float
    wall_seconds: float
    test_accuracy: float


def cpu_accelerator(best: accelerators.Accelerator) -> accelerators.Accelerator:
    """The CPU as an accelerator, even where a GPU is present (every op placed on /cpu:0)."""
    if best.kind == "CPU":
        return best
    import tensorflow as tf

    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    return accelerators.Accelerator(
        "CPU", strategy, f"CPU · {accelerators.cpu_threads()} threads", 1, ("/cpu:0",)
    )


def train(data: datasets.Dataset, acc: accelerators.Accelerator, epochs: int, batch: int, mixed: bool) -> Arm:
    """One run of the Tutorial preset on every training image (no validation, no checkpoints)."""
    import keras

    config = training_config.TrainingConfig(
        epochs=epochs,
        batch_size=batch,
        validation_fraction=0.0,
        checkpoint_every=0,
        mixed_precision=mixed,
        seed=SEED,
    )
    keras.utils.set_random_seed(SEED)  # Python's random too: every arm gets the same initial weights
    random.seed(SEED)
    t0 = time.perf_counter()
    snap = Trainer(data, models.PRESETS["tutorial"], config, accelerator=acc).start().wait()
    wall = time.perf_counter() - t0
    name = f"{acc.description} · {'mixed float16' if mixed else 'float32'}"
    if snap.status != "finished":
        raise SystemExit(f"{name}: {snap.status}: {snap.message}")
    steady = [r.images_per_second for r in snap.history[1:]] or [r.images_per_second for r in snap.history]
    arm = Arm(
        name,
        acc.kind,
        mixed,
        statistics.median(steady),
        snap.history[0].seconds,
        wall,
        float(snap.test_accuracy),
    )
    print(
        f"  {arm.name:<44} {arm.images_per_second:>10,.0f} img/s · first epoch "
        f"{arm.first_epoch_seconds:5.1f} s · test accuracy {arm.test_accuracy:.4f}",
        flush=True,
    )
    return arm


def plan(best: accelerators.Accelerator) -> list[tuple[accelerators.Accelerator, bool]]:
    """The arms to run, as (accelerator, mixed precision): the CPU, then the best device in
    float32 when it is not the CPU, then in mixed precision where that pays (a GPU)."""
    arms = [(cpu_accelerator(best), False)]
    if best.kind != "CPU":
        arms.append((best, False))
    if best.mixed_precision_useful:
        arms.append((best, True))
    return arms


def compare(arms: list[Arm]) -> tuple[dict[str, float], bool | None, list[str]]:
    """(speed ratios, whether mixed precision kept its accuracy or None when it did not run,
    the lines that say so). ``arms`` are in :func:`plan`'s order, the CPU first."""
    cpu = arms[0]
    ratios = {f"{arm.name} / CPU": arm.images_per_second / cpu.images_per_second for arm in arms[1:]}
    lines = []
    mixed_ok = None
    plain = next((a for a in arms[1:] if not a.mixed_precision), None)
    mixed = next((a for a in arms if a.mixed_precision), None)
    if plain is not None and mixed is not None:
        ratios["mixed / float32"] = mixed.images_per_second / plain.images_per_second
        drop = plain.test_accuracy - mixed.test_accuracy
        mixed_ok = drop <= MAX_MIXED_DROP
        lines.append(
            f"Mixed precision: test accuracy {mixed.test_accuracy:.4f} vs {plain.test_accuracy:.4f} "
            f"in float32 (drop {drop:+.4f}, at most {MAX_MIXED_DROP}): {'OK' if mixed_ok else 'TOO LOW'}"
        )
    lines += [f"Ratio {label}: {value:.2f}×" for label, value in ratios.items()]
    return ratios, mixed_ok, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=SHARED / "fashion-mnist-70k.npz",
        help="Fashion-MNIST in the Keras layout (.npz)",
    )
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"There is no file {args.data}: pass --data PATH.npz (Fashion-MNIST, Keras layout).")
    data = datasets.load_dataset("fashion_mnist", args.data)
    applied = limit_memory_growth()  # the app's process settings
    report = device_report()
    best = detect_accelerator()
    print(
        f"Device check · {data.title}: {len(data.y_train):,} training / {len(data.y_test):,} test images · "
        f"Tutorial preset · {args.epochs} epoch{'s' if args.epochs != 1 else ''} · batch {args.batch_size} · "
        f"TensorFlow {report.tensorflow} · {', '.join(applied) or 'no process settings'}"
    )
    print(
        f"Best device: {best.description} ({report.strategy}, {best.replicas} replica"
        f"{'s' if best.replicas > 1 else ''})"
    )

    arms = [train(data, acc, args.epochs, args.batch_size, mixed) for acc, mixed in plan(best)]
    ratios, mixed_ok, lines = compare(arms)
    note = ""
    if best.kind == "CPU":
        note = "No GPU or TPU: only the CPU arm ran." + (f" {report.problem}" if report.problem else "")
        lines.append(note)
    print("\n".join(lines))
    print(
        json.dumps(
            {
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "train_images": int(len(data.y_train)),
                "test_images": int(len(data.y_test)),
                "tensorflow": report.tensorflow,
                "cuda": report.cuda_version or None,
                "cudnn": report.cudnn_version or None,
                "best_device": best.description,
                "replicas": best.replicas,
                "arms": [
                    {**asdict(arm), "images_per_second": round(arm.images_per_second, 1)} for arm in arms
                ],
                "ratios": {k: round(v, 3) for k, v in ratios.items()},
                "mixed_precision_accuracy_ok": mixed_ok,
                "max_mixed_drop": MAX_MIXED_DROP,
                "note": note,
            }
        )
    )
    return 1 if mixed_ok is False else 0


if __name__ == "__main__":
    sys.exit(main())
