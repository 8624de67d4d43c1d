"""Rebuild the pretrained networks the app ships in ``cnn_core/pretrained_models/``.

    python tools/make_pretrained.py                       # both datasets, from ../shared/datasets
    python tools/make_pretrained.py --only mnist --data-dir /path/to/npz/folder

For each dataset it trains the Tutorial preset with the project's own command line (the exact
command is recorded), re-saves the model without its optimizer state (about 1 MB instead of 3),
measures its test accuracy on the file's test split, and writes ``{name}.keras`` and
``{name}.json`` (the provenance :mod:`cnn_core.pretrained` reads), then its answers on the
bundled sample's test images, ``{name}.predictions.npz`` (the app's first visit needs no
TensorFlow with them). ``--predictions-only`` rewrites those from the shipped models.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnn_core import pretrained  # noqa: E402  (after the path is set)
from cnn_core.worker.inference import write_predictions  # noqa: E402

# ../shared/datasets beside the clone (or beside its parent folder, for a git worktree).
DEFAULT_DATA_DIR = next(
    (d for d in (ROOT.parent / "shared" / "datasets", ROOT.parents[1] / "shared" / "datasets") if d.is_dir()),
    ROOT.parent / "shared" / "datasets",
)
# The largest offline training set of each dataset (60,000 Fashion-MNIST, 8,000 MNIST images).
DATA_FILES = {"fashion_mnist": "fashion-mnist-70k.npz", "mnist": "mnist-10k.npz"}
# The tutorial's own settings (cell [10]), all of the training images (no hold-out), a fixed seed.
EPOCHS, BATCH_SIZE, LEARNING_RATE, SEED = 10, 256, 1e-2, 0


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def train_command(data: Path, save: Path) -> list[str]:
    """The command line that trains one network (relative data path, as a reader would type it)."""
    return [
        "python",
        "-m",
        "cnn_core",
        "train",
        "--data",
        str(data),
        "--preset",
        "tutorial",
        "--epochs",
        str(EPOCHS),
        "--batch-size",
        str(BATCH_SIZE),
        "--lr",
        str(LEARNING_RATE),
        "--validation-fraction",
        "0",
        "--seed",
        str(SEED),
        "--save",
        str(save),
        "--json",
        "--quiet",
    ]


def build(name: str, data_path: Path, out_dir: Path) -> dict:
    """Train, strip, measure and write one pretrained network; returns its provenance."""
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / f"{name}_with_optimizer.keras"
        shown_data = os.path.relpath(data_path, ROOT)
        command = train_command(Path(shown_data), Path("model.keras"))
        argv = [sys.executable, *train_command(data_path, full)[1:]]
        print("$", shlex.join(command), flush=True)
        proc = subprocess.run(
            argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "CNN_EXPLORER_OFFLINE": "1"}
        )
        if proc.returncode != 0:
            raise SystemExit(f"training {name} failed:\n{proc.stderr[-3000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        import keras  # after the training: the child process, not this one, holds TensorFlow then
        import tensorflow as tf

        from cnn_core import datasets, evaluation

        # Loaded without compiling, the model has no optimizer: saved again, it is weights only.
        model = keras.models.load_model(full, compile=False, safe_mode=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{name}.keras"
        model.save(target)

    data = datasets.load_dataset(name, data_path)
    shipped = keras.models.load_model(target, compile=False, safe_mode=True)
    accuracy = evaluation.predict(shipped, data.x_test, data.y_test).accuracy
    prov = {
        "name": name,
        "title": data.title,
        "preset": "tutorial",
        "command": shlex.join(command),
        "data_file": data_path.name,
        "data_sha256": sha256(data_path),
        "train_images": int(result["train_images"]),
        "test_images": int(len(data.y_test)),
        "epochs": int(result["epochs"]),
        "batch_size": BATCH_SIZE,
        "learning_rate": LEARNING_RATE,
        "optimizer": "adam",
        "seed": SEED,
        "test_accuracy": round(accuracy, 4),
        "cli_test_accuracy": round(float(result["test_accuracy"]), 4),
        "wall_seconds": result["wall_seconds"],
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"),
        "model_bytes": target.stat().st_size,
    }
    (out_dir / f"{name}.json").write_text(json.dumps(prov, indent=2) + "\n")
    write_bundled_predictions(name)
    print(
        f"{name}: test accuracy {accuracy:.4f} on {prov['test_images']:,} images, "
        f"{prov['model_bytes'] / 1e6:.2f} MB, {result['wall_seconds']:.0f} s",
        flush=True,
    )
    return prov


def write_bundled_predictions(name: str) -> None:
    """The shipped network's answers on the bundled sample's test images, stored beside it."""
    from cnn_core import datasets

    sample = datasets.load_dataset(name, "bundled")
    preds = write_predictions(name, sample.x_test, sample.y_test)
    print(
        f"{name}: {preds.accuracy:.4f} on the bundled sample's {len(preds):,} test images "
        f"-> {pretrained.predictions_path(name).name}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(DATA_FILES), help="rebuild one network only")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"folder holding {' and '.join(DATA_FILES.values())}",
    )
    parser.add_argument(
        "--predictions-only",
        action="store_true",
        help="only rewrite {name}.predictions.npz from the shipped models (no training)",
    )
    args = parser.parse_args()
    names = [args.only] if args.only else list(DATA_FILES)
    if args.predictions_only:
        for name in names:
            write_bundled_predictions(name)
        return 0
    for name in names:
        path = args.data_dir / DATA_FILES[name]
        if not path.exists():
            raise SystemExit(f"There is no {path}: pass --data-dir with the folder holding it.")
    for name in names:
        build(name, args.data_dir / DATA_FILES[name], pretrained.MODELS_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
