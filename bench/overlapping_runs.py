"""Peak memory of two runs on one dataset that overlap, as the job line's runs do when one starts
as the other ends (each run used to copy the images into TensorFlow's memory pool).

    python bench/overlapping_runs.py --data ../shared/datasets/fashion-mnist-70k.npz

Prints the process's peak RSS (VmHWM, MiB) after two 1-epoch runs of the Tutorial network started
together on the same 60,000 images. Compare checkouts in the same conditions, one after another.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnn_core import datasets, models, training_config  # noqa: E402
from cnn_core.worker.process_setup import limit_memory_growth  # noqa: E402
from cnn_core.worker.trainer import Trainer  # noqa: E402


def peak_rss_mib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="an .npz in the Keras layout")
    args = parser.parse_args()
    limit_memory_growth()  # the app's process settings
    data = datasets.load_dataset("fashion_mnist", args.data)
    config = training_config.TrainingConfig(epochs=1, checkpoint_every=0, validation_fraction=0.0)
    runs = [Trainer(data, models.PRESETS["tutorial"], config).start() for _ in range(2)]
    statuses = [run.wait().status for run in runs]
    print(
        f"two overlapping runs on {len(data.y_train):,} images: peak RSS {peak_rss_mib():,} MiB "
        f"({', '.join(statuses)})"
    )


if __name__ == "__main__":
    main()
