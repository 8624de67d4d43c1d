"""Command line: train and evaluate the tutorial's networks without the app.

    python -m cnn_core train --dataset fashion_mnist --preset tutorial --epochs 10
    python -m cnn_core train --data ../shared/datasets/fashion-mnist-70k.npz --json
    python -m cnn_core train --checkpoint-dir runs/lesson1 --checkpoint-every 2 --save model.keras
    python -m cnn_core train --checkpoint-dir runs/lesson1 --resume     # after a crash or Ctrl-C
    python -m cnn_core evaluate --model model.keras --dataset fashion_mnist
    python -m cnn_core notebook --dataset fashion_mnist --model-config strong --out strong.ipynb
    python -m cnn_core devices            # the GPU/TPU/CPU found, TensorFlow and CUDA versions
    python -m cnn_core train --mixed-precision   # float16 on a GPU (the last layer stays float32)

``train`` uses the same :class:`cnn_core.worker.trainer.Trainer` as the app, shows a progress bar on
stderr, and with ``--json`` prints one JSON object as the last line of stdout (test_accuracy,
images_per_second, wall_seconds, epochs, source, ...). Ctrl-C stops the run after the current
batch and still evaluates and saves the model; a second Ctrl-C quits at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

_USER_TF_LOG_LEVEL = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ banner is not for learners

from . import datasets, notebook, run_storage, training_config  # noqa: E402  (after the environment is set)
from .models import PRESETS, ModelConfig, config_from_text, preset_name  # noqa: E402
from .training_config import EpochRecord, Snapshot  # noqa: E402
from .worker.process_setup import limit_memory_growth  # noqa: E402
from .worker.trainer import Trainer  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:  # bad input: one readable line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cnn_core", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a preset network, with a progress bar")
    _data_args(t)
    t.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="tutorial",
        help="the model page's presets: tutorial, exercise2 (one more block), strong",
    )
    _training_args(t)
    t.add_argument("--checkpoint-dir", type=Path, help="run folder for checkpoints and the final model")
    t.add_argument(
        "--resume", action="store_true", help="continue the run in --checkpoint-dir from its last checkpoint"
    )
    t.add_argument("--save", type=Path, help="save the trained model to this .keras file")
    t.add_argument(
        "--cpu-replicas",
        type=int,
        default=1,
        help="split the CPU into N devices under a MirroredStrategy (testing)",
    )
    t.add_argument(
        "--mixed-precision",
        action="store_true",
        help="compute in float16 with float32 weights (mixed_float16): faster on a GPU",
    )
    t.add_argument("--json", action="store_true", help="end with one line of JSON on stdout")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="test accuracy of a saved .keras model")
    _data_args(e)
    e.add_argument("--model", type=Path, required=True, help="a .keras file (from train --save)")
    e.add_argument("--json", action="store_true", help="end with one line of JSON on stdout")
    e.set_defaults(func=cmd_evaluate)

    n = sub.add_parser("notebook", help="write the run as a Jupyter notebook that stands alone (Colab)")
    n.add_argument("--dataset", choices=datasets.DATASET_NAMES, help="mnist or fashion_mnist (default mnist)")
    n.add_argument("--data", type=Path, help="a .npz in the Keras layout (default: the Keras download)")
    _training_args(n)
    n.add_argument("--out", type=Path, required=True, help="the notebook file to write (.ipynb)")
    n.set_defaults(func=cmd_notebook)

    d = sub.add_parser("devices", help="the accelerator found, TensorFlow and CUDA versions, GPU problems")
    d.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    d.set_defaults(func=cmd_devices)
    return parser


def _training_args(p: argparse.ArgumentParser) -> None:
    """The network and its training settings, the same for ``train`` and ``notebook``; a setting
    left out takes the network's preset's value."""
    p.add_argument(
        "--model-config",
        help="a preset (tutorial, exercise2, strong) or a network as links carry it, e.g. "
        "'24:3:same:relu:max:2:1:0,36:3:same:relu:max:2:1:0;128;0.5' (train: instead of --preset)",
    )
    p.add_argument("--epochs", type=int, help="epochs to train (default: the preset's, 10 for tutorial)")
    p.add_argument("--batch-size", type=int, help="images per batch (default 256)")
    p.add_argument("--lr", type=float, help="learning rate η (default: the preset's, 0.01 for tutorial)")
    p.add_argument("--optimizer", choices=training_config.OPTIMIZERS, help="default adam")
    p.add_argument(
        "--loop", choices=training_config.LOOPS, help="fit (Keras) or custom (GradientTape); default fit"
    )
    p.add_argument(
        "--schedule", choices=training_config.SCHEDULES, help="learning-rate schedule (default: the preset's)"
    )
    p.add_argument(
        "--augment",
        choices=training_config.AUGMENTATIONS,
        help="flip: mirror a random half of each training batch (default: the preset's)",
    )
    p.add_argument(
        "--validation-fraction",
        type=float,
        help="share of the training images held out for validation (default 0.1; 0 for none)",
    )
    p.add_argument(
        "--seed",
        type=int,
        help="seed for the weights' initial values, the hold-out and the shuffling (default 0)",
    )
    p.add_argument("--checkpoint-every", type=int, help="epochs between checkpoints (default 10; 0: never)")


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dataset",
        choices=datasets.DATASET_NAMES,
        help="mnist or fashion_mnist (default: from --data's file name, else mnist)",
    )
    p.add_argument("--data", type=Path, help="a .npz in the Keras layout (x_train, y_train, x_test, y_test)")
    p.add_argument(
        "--source",
        choices=("auto", "keras", "bundled"),
        default="auto",
        help="without --data: the Keras download, else the bundled sample (auto)",
    )
    p.add_argument(
        "--limit", type=int, help="use a random N training and N test images (quick trials and tests)"
    )


def load_data(args: argparse.Namespace) -> datasets.Dataset:
    """The dataset the flags name, cut to ``--limit`` images per split."""
    name = _dataset_name(args)
    if args.data is not None:
        if not args.data.exists():
            raise ValueError(f"There is no file {args.data}.")
        data = datasets.load_dataset(name, args.data)
    else:
        from .worker.data import keras_download  # the command line is its own TensorFlow process

        data = datasets.load_dataset(name, args.source, download=keras_download)
    if args.limit is not None:
        if args.limit < 10:
            raise ValueError(f"--limit must be at least 10 images, not {args.limit}.")
        rng = np.random.default_rng(0)
        train = np.sort(rng.permutation(len(data.y_train))[: args.limit])
        test = np.sort(rng.permutation(len(data.y_test))[: args.limit])
        data = replace(
            data,
            x_train=data.x_train[train],
            y_train=data.y_train[train],
            x_test=data.x_test[test],
            y_test=data.y_test[test],
        )
    return data


def _dataset_name(args: argparse.Namespace) -> str:
    """``--dataset``, else guessed from ``--data``'s file name, else mnist."""
    return args.dataset or ("fashion_mnist" if args.data and "fashion" in args.data.name.lower() else "mnist")


def _network(args: argparse.Namespace) -> ModelConfig:
    """The network ``--model-config`` names (a preset or the text of a link), else ``--preset``'s."""
    if args.model_config is None:
        return PRESETS[getattr(args, "preset", "tutorial")]
    try:
        return config_from_text(args.model_config)
    except ValueError as exc:
        raise ValueError(f"--model-config: {exc}") from None


def cmd_notebook(args: argparse.Namespace) -> int:
    """Write the run the flags describe as a notebook that stands alone (Keras, no cnn_core)."""
    if args.out.suffix != ".ipynb":
        raise ValueError(f"--out needs a file name ending in .ipynb, not {args.out.name!r}.")
    model_config = _network(args)
    config = _training_config(args, preset_name(model_config))
    if args.data is not None and not args.data.exists():
        raise ValueError(f"There is no file {args.data}.")
    # An absolute path: Jupyter runs a notebook in its own folder (Colab asks for the file instead).
    data_file = str(args.data.resolve()) if args.data is not None else None
    name = _dataset_name(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(notebook.notebook_bytes(model_config, config, name, data_file))
    print(f"Wrote {args.out}: {notebook.run_title(model_config, config, name)}.")
    print(notebook.HOW_TO_OPEN.replace("**", "").replace("`", ""))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    if args.save is not None and args.save.suffix != ".keras":
        raise ValueError(f"--save needs a file name ending in .keras, not {args.save.name!r}.")
    # Check every flag before the slow parts (loading data, importing TensorFlow).
    network = _network(args)
    config = _training_config(args, preset_name(network))
    run_dir = args.checkpoint_dir
    preset = _checked_run_folder(args, preset_name(network))
    data = load_data(args)
    if data.note:
        print(data.note, file=sys.stderr)
    limit_memory_growth()  # the same process settings as the app
    if args.seed is not None:  # the initial weights too, not only the hold-out and the shuffling
        import keras

        keras.utils.set_random_seed(config.seed)
    accelerator = _accelerator(args.cpu_replicas)
    if args.resume:
        trainer = Trainer.from_checkpoint(
            run_dir, data, accelerator=accelerator, epochs=args.epochs, loop=args.loop
        )
        print(f"Resuming {trainer.label} after epoch {trainer.start_epoch}.", file=sys.stderr)
    else:
        trainer = Trainer(data, network, config, accelerator=accelerator, run_dir=run_dir)
    if trainer.config.mixed_precision and not accelerator.mixed_precision_useful:
        print(
            f"Note: mixed precision on {accelerator.description} only emulates float16 "
            "(slower than float32); it pays off on a GPU.",
            file=sys.stderr,
        )
    t0 = time.monotonic()
    trainer.start()
    snap = _watch(trainer, quiet=args.quiet)
    wall = time.monotonic() - t0
    if snap.status == "failed":
        print(snap.message, file=sys.stderr)
    else:
        print(
            f"{snap.message} Test accuracy {snap.test_accuracy:.4f} on {len(data.y_test):,} images "
            f"({data.title}, {data.source_label})."
        )
    saved = None
    if args.save is not None and trainer.model is not None and snap.status != "failed":
        saved = str(trainer.save(args.save))
        print(f"Saved the model to {saved}")
    if args.json:
        print(json.dumps(_run_report(snap, data, trainer, preset, config.seed, wall, saved)))
    return 1 if snap.status == "failed" else 0


def _checked_run_folder(args: argparse.Namespace, preset: str) -> str:
    """The preset's short name of the run to train, once ``--checkpoint-dir`` and ``--resume``
    are known to agree with the folder: a resume needs a run to continue, a new run an empty folder."""
    run_dir = args.checkpoint_dir
    if not args.resume:
        if run_dir is not None and (run_dir / run_storage.RUN_FILE).exists():
            raise ValueError(
                f"{run_dir} already holds a run: add --resume to continue it, or choose another folder."
            )
        return preset
    if run_dir is None:
        raise ValueError("--resume needs --checkpoint-dir: the run folder to continue.")
    info = run_storage.read_run(run_dir)
    if not info.resumable and (args.epochs is None or args.epochs <= info.checkpoint_epoch):
        raise ValueError(
            f"The run in {run_dir} has nothing to resume (status {info.status}, last checkpoint "
            f"at epoch {info.checkpoint_epoch} of {info.training.epochs}); pass --epochs N to train "
            "it further."
        )
    return preset_name(info.model_config)


def _run_report(
    snap: Any, data: Any, trainer: Any, preset: str, seed: Any, wall: float, saved: str | None
) -> dict[str, Any]:
    """What ``train --json`` prints: the run's outcome, its data and settings, its history."""
    return {
        "status": snap.status,
        "test_accuracy": snap.test_accuracy,
        "test_loss": snap.test_loss,
        "images_per_second": round(snap.mean_images_per_second, 1),
        "wall_seconds": round(wall, 2),
        "epochs": len(snap.history),
        "source": data.source,
        "dataset": data.name,
        "train_images": snap.train_images,
        "validation_images": snap.val_images,
        "test_images": int(len(data.y_test)),
        "preset": preset,
        "seed": seed,
        "loop": snap.loop,
        "device": snap.device,
        "mixed_precision": trainer.config.mixed_precision,
        "run_dir": snap.run_dir,
        "saved": saved,
        "message": snap.message,
        "history": [asdict(r) for r in snap.history],
    }


def cmd_evaluate(args: argparse.Namespace) -> int:
    if not args.model.exists():
        raise ValueError(f"There is no model file {args.model}.")
    data = load_data(args)
    import keras

    try:
        model = keras.models.load_model(args.model)
    except Exception as exc:
        raise ValueError(f"{args.model} is not a Keras model file ({type(exc).__name__}: {exc}).") from None
    from .worker.data import make_tf_dataset

    ds = make_tf_dataset(data.x_test, data.y_test, 256, shuffle=False)
    t0 = time.monotonic()
    logs = model.evaluate(ds, verbose=0, return_dict=True)
    wall = time.monotonic() - t0
    print(
        f"Test accuracy {logs['accuracy']:.4f}, loss {logs['loss']:.4f} on {len(data.y_test):,} images "
        f"({data.title}, {data.source_label})."
    )
    if args.json:
        print(
            json.dumps(
                {
                    "test_accuracy": float(logs["accuracy"]),
                    "test_loss": float(logs["loss"]),
                    "test_images": int(len(data.y_test)),
                    "source": data.source,
                    "dataset": data.name,
                    "wall_seconds": round(wall, 2),
                }
            )
        )
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    from . import accelerators
    from .worker.accelerators import device_report

    if _USER_TF_LOG_LEVEL is None and "tensorflow" not in sys.modules:
        # TensorFlow's warnings ("Cannot dlopen some GPU libraries"...) are the diagnosis here.
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "1"
    report = device_report()
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(accelerators.report_text(report))
    return 0


def _training_config(args: argparse.Namespace, preset: str) -> training_config.TrainingConfig:
    """The training defaults of ``preset``, with every flag given on the command line applied."""
    config = training_config.training_defaults(preset)
    changes = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.lr,
        "optimizer": args.optimizer,
        "loop": args.loop,
        "schedule": args.schedule,
        "augment": args.augment,
        "validation_fraction": args.validation_fraction,
        "checkpoint_every": args.checkpoint_every,
        "seed": args.seed,
        "mixed_precision": getattr(args, "mixed_precision", False) or None,  # train's only
    }
    return replace(config, **{k: v for k, v in changes.items() if v is not None}).check()


def _accelerator(cpu_replicas: int) -> Any:
    if cpu_replicas < 1:
        raise ValueError(f"--cpu-replicas must be at least 1, not {cpu_replicas}.")
    from .worker.accelerators import detect_accelerator

    return detect_accelerator(cpu_replicas=cpu_replicas)


def _watch(trainer: Trainer, quiet: bool = False) -> Snapshot:
    """Poll the trainer until it ends, drawing a progress bar on stderr; Ctrl-C stops it."""
    tty = sys.stderr.isatty()
    epochs_shown = 0
    interrupted = False
    while True:
        try:
            snap = trainer.wait(0.25)
            if not quiet:
                if tty:
                    print("\r" + progress_line(snap), end="", file=sys.stderr, flush=True)
                for record in snap.history[epochs_shown:]:  # one permanent line per epoch
                    print(("\r" if tty else "") + epoch_line(record, snap.epochs).ljust(100), file=sys.stderr)
                epochs_shown = len(snap.history)
            if not trainer.is_alive:
                if tty and not quiet:
                    print(file=sys.stderr)
                return trainer.snapshot()
        except KeyboardInterrupt:
            if interrupted:
                raise
            interrupted = True
            print("\nStopping after this batch (Ctrl-C again to quit at once)…", file=sys.stderr)
            trainer.stop()


def progress_line(snap: Snapshot, width: int = 24) -> str:
    """e.g. "epoch 3/10 [#####.......] 120/211 · 6,912 img/s · loss 0.412 · ETA 1:20"."""
    if snap.status == "preparing":
        return "preparing (loading TensorFlow, building the model)…"
    done = int(width * snap.batch / max(snap.steps_per_epoch, 1))
    bar = "#" * done + "." * (width - done)
    loss = f" · loss {snap.batch_loss[-1]:.3f}" if snap.batch_loss else ""
    eta = f" · ETA {training_config.format_seconds(snap.eta_seconds)}" if snap.eta_seconds is not None else ""
    return (
        f"epoch {snap.epoch}/{snap.epochs} [{bar}] {snap.batch}/{snap.steps_per_epoch} · "
        f"{snap.images_per_second:,.0f} img/s{loss}{eta} · {snap.status}"
    )


def epoch_line(r: EpochRecord, epochs: int) -> str:
    val = f" · val loss {r.val_loss:.4f} · val acc {r.val_accuracy:.4f}" if r.val_loss is not None else ""
    return (
        f"epoch {r.epoch}/{epochs}: loss {r.loss:.4f} · acc {r.accuracy:.4f}{val} · "
        f"{r.seconds:.1f} s · {r.images_per_second:,.0f} img/s"
    )


if __name__ == "__main__":
    sys.exit(main())
