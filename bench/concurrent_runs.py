"""Two runs at once (``CNN_EXPLORER_MAX_JOBS=2``): in one TensorFlow worker, or each in its own?

The server's :class:`cnn_core.client.Workers` gives each concurrent run a worker of its own, so two
runs never share an interpreter lock. This measures that choice: the same two runs (the Tutorial
network, batch 256, started together) trained both in one worker, then each in its own worker, in
interleaved rounds; it reports each arrangement's combined images per second over the epochs after
the first (the first includes tracing) and the largest resident memory of the workers together
(VmHWM summed: an upper bound).

    python bench/concurrent_runs.py --data ../shared/datasets/fashion-mnist-70k.npz --rounds 2
    python bench/concurrent_runs.py            # the bundled 6,000 MNIST images
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnn_core import datasets, models, training_config  # noqa: E402
from cnn_core.client import Workers  # noqa: E402


def peak_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM"))


def round_of(data: datasets.Dataset, workers_for_two: int, epochs: int) -> tuple[float, float]:
    """(combined images/s of the two runs after their first epoch, summed worker VmHWM in MiB)."""
    pool = Workers(max_workers=workers_for_two, idle_s=600)
    try:
        config = training_config.TrainingConfig(
            epochs=epochs, validation_fraction=0.0, checkpoint_every=0
        ).check()
        runs = [pool.trainer(data, models.PRESETS["tutorial"], config) for _ in range(2)]
        for run in runs:
            run.start()
        peaks: dict[int, float] = {}
        while any(run.active for run in runs):
            for pid in pool.pids():
                try:
                    peaks[pid] = peak_mib(pid)
                except OSError:
                    pass
            time.sleep(0.5)
        rate = 0.0
        for run in runs:
            snap = run.snapshot()
            assert snap.status == "finished", snap.message
            later = snap.history[1:]
            rate += snap.train_images * len(later) / sum(r.seconds for r in later)
        return rate, sum(peaks.values())
    finally:
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="an .npz in the Keras layout (default: the bundled MNIST)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    data = (
        datasets.load_dataset("fashion_mnist", args.data)
        if args.data
        else datasets.load_dataset("mnist", "bundled")
    )
    results: dict[str, list[tuple[float, float]]] = {"one worker": [], "a worker each": []}
    for i in range(args.rounds):
        order = [("one worker", 1), ("a worker each", 2)]
        for name, count in order if i % 2 == 0 else order[::-1]:
            results[name].append(round_of(data, count, args.epochs))
            print(
                f"round {i + 1} {name}: {results[name][-1][0]:,.0f} images/s, workers' peak "
                f"{results[name][-1][1]:,.0f} MiB",
                flush=True,
            )
    summary = {
        name: {
            "images_per_s": round(statistics.median(r for r, _ in rs)),
            "peak_mib": round(max(m for _, m in rs)),
        }
        for name, rs in results.items()
    }
    ratio = summary["a worker each"]["images_per_s"] / summary["one worker"]["images_per_s"]
    print(f"a worker each / one worker: {ratio:.2f}× the combined speed")
    print(
        json.dumps(
            {
                "rounds": args.rounds,
                "epochs": args.epochs,
                "train_images": int(len(data.y_train)),
                **summary,
                "ratio": round(ratio, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
