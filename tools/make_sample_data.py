"""Derive the bundled offline sample from the full development datasets.

Run once from the repository root (needs ../shared/datasets):

    python tools/make_sample_data.py

The sample is class-balanced and seeded, so re-running it reproduces the same files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SOURCES = {
    "mnist": "mnist-10k.npz",
    "fashion_mnist": "fashion-mnist-70k.npz",
}
TRAIN_PER_CLASS = 600  # 6,000 training images: enough to reach ~0.95 on MNIST offline
TEST_PER_CLASS = 100  # 1,000 test images
SEED = 20261127


def balanced_indices(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Pick `per_class` indices of every label, shuffled together."""
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)]
    out = np.concatenate(picks)
    rng.shuffle(out)
    return out


def main(shared: Path, out_dir: Path) -> None:
    rng = np.random.default_rng(SEED)
    for name, filename in SOURCES.items():
        with np.load(shared / filename, allow_pickle=False) as full:
            train = balanced_indices(full["y_train"], TRAIN_PER_CLASS, rng)
            test = balanced_indices(full["y_test"], TEST_PER_CLASS, rng)
            arrays = {
                "x_train": full["x_train"][train],
                "y_train": full["y_train"][train],
                "x_test": full["x_test"][test],
                "y_test": full["y_test"][test],
            }
        target = out_dir / f"{name}_sample.npz"
        np.savez_compressed(target, **arrays)
        print(f"{target}: {target.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "datasets"
    main(shared, root / "cnn_core" / "sample_data")
