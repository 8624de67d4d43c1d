"""How to train a network, what a run reports while it goes, and the words that name a run: read
without TensorFlow, by the server, the worker that trains and the command line alike.

:class:`TrainingConfig` holds the tutorial's settings as defaults and checks them with a sentence
saying what to change; :class:`LearningRateChange` records a live change of η; a :class:`Snapshot`
is a run's state as a watcher sees it (its finished epochs are :class:`EpochRecord` s); the helpers
below name a run ("Tutorial on MNIST · 10 epochs · Adam η=0.01") and its progress for people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from .datasets import Dataset
from .formulas import plural
from .models import PRESET_TITLES, ModelConfig, preset_name

LOOPS = ("fit", "custom")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
OPTIMIZER_TITLES = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}
SCHEDULES = ("constant", "cosine")
AUGMENTATIONS = ("none", "flip")


@dataclass(frozen=True)
class TrainingConfig:
    """How to train: the tutorial's values are the defaults.

    ``learning_rate`` is the optimizer's step size η (for ``schedule="cosine"`` its value at the
    start, decaying to 0 over the run); ``checkpoint_every`` is in epochs (0: never);
    ``validation_fraction`` of the training images is held out to measure over-fitting (0: none);
    ``augment="flip"`` mirrors a random half of each training batch left-right (a new picture of
    the same class for free; never applied to validation or test images).
    ``batch_size`` is the global batch: under a ``MirroredStrategy`` each of R replicas trains on
    ``batch_size / R`` of every batch. ``mixed_precision`` computes in float16 with float32
    weights (Keras's ``mixed_float16``; the output layer stays float32): faster on a GPU only.
    """

    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-2
    optimizer: str = "adam"
    loop: str = "fit"
    checkpoint_every: int = 10
    validation_fraction: float = 0.1
    schedule: str = "constant"
    augment: str = "none"
    seed: int = 0
    mixed_precision: bool = False

    def check(self) -> "TrainingConfig":
        """Return self, or raise ``ValueError`` with a sentence saying what to change."""

        def whole(value: Any, name: str, low: int) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"The {name} must be a whole number of at least {low}, not {value!r}.")

        whole(self.epochs, "number of epochs", 1)
        whole(self.batch_size, "batch size", 1)
        whole(self.checkpoint_every, "checkpoint interval (in epochs, 0 for never)", 0)
        check_learning_rate(self.learning_rate)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"The optimizer must be one of {', '.join(OPTIMIZERS)}, not {self.optimizer!r}.")
        if self.loop not in LOOPS:
            raise ValueError(f"The training loop must be 'fit' or 'custom', not {self.loop!r}.")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"The schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}.")
        if self.augment not in AUGMENTATIONS:
            raise ValueError(
                f"The augmentation must be one of {', '.join(AUGMENTATIONS)}, not {self.augment!r}."
            )
        if not isinstance(self.mixed_precision, bool):
            raise ValueError(f"Mixed precision must be True or False, not {self.mixed_precision!r}.")
        if not 0 <= self.validation_fraction < 0.5:
            raise ValueError(
                f"The validation fraction must be at least 0 and below 0.5, not {self.validation_fraction!r}."
            )
        return self


# The training settings each model preset is meant to be trained with (the page's defaults).
TRAINING_PRESETS: dict[str, TrainingConfig] = {
    "tutorial": TrainingConfig(),  # batch 256, 10 epochs, Adam at 1e-2: the tutorial's cell [10]
    "exercise2": TrainingConfig(),
    # Fewer epochs than the tutorial, each starting from a larger step that a cosine decay takes
    # to 0, settling the weights at the end; its accuracy and time: bench/strong_preset.py
    # (docs/benchmarks.md).
    "strong": TrainingConfig(epochs=7, batch_size=256, learning_rate=6e-3, schedule="cosine"),
}


def training_defaults(preset: str) -> TrainingConfig:
    """The training settings of a model preset; the tutorial's for "custom" or unknown names."""
    return TRAINING_PRESETS.get(preset, TRAINING_PRESETS["tutorial"])


def check_learning_rate(value: Any) -> float:
    """``value`` as a float if it is a usable learning rate, else ``ValueError``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"The learning rate must be a number above 0, such as 0.01, not {value!r}.")
    if value > 100:
        raise ValueError(f"A learning rate of {value:g} is far too large: use a value of at most 100.")
    return float(value)


def check_replica_batch(batch_size: int, replicas: int, loop: str) -> None:
    """``ValueError`` when Keras's ``fit`` cannot split ``batch_size`` over ``replicas``.

    Under a ``MirroredStrategy`` each replica trains on an equal share of the global batch.
    Keras 3's ``fit`` sums its first batch across the replicas before it starts, which fails
    when the shares differ; the custom loop splits any batch (the last replica's share smaller).
    """
    if loop == "fit" and replicas > 1 and batch_size % replicas:
        lower = batch_size // replicas * replicas
        upper = lower + replicas
        raise ValueError(
            f"Keras fit cannot split a batch of {batch_size} over {replicas} replicas: each must get "
            f"the same share. Choose a multiple of {replicas} ({lower or upper} or {upper}), or the "
            "custom GradientTape loop, which splits any batch."
        )


def steps_per_epoch(images: int, batch_size: int) -> int:
    """Batches in one epoch: ⌈images / batch_size⌉ (the last batch may be smaller)."""
    return -(-images // batch_size)


def validation_split(n: int, fraction: float) -> tuple[int, int]:
    """(training images, validation images) when ``fraction`` of ``n`` is held out."""
    n_val = int(round(n * fraction)) if fraction > 0 else 0
    n_val = min(n_val, n - 1)
    return n - n_val, n_val


def schedule_factor(schedule: str, step: int, total_steps: int) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based) of ``total_steps``.

    "constant": 1. "cosine": ½(1 + cos(π t)), t = step / total_steps, from 1 down towards 0.
    """
    if schedule == "cosine" and total_steps > 0:
        t = min(max(step / total_steps, 0.0), 1.0)
        return 0.5 * (1.0 + math.cos(math.pi * t))
    return 1.0


@dataclass(frozen=True)
class LearningRateChange:
    """A live change of η (:meth:`cnn_core.worker.trainer.Trainer.set_learning_rate`), as the run applied it.

    ``step`` batches of the run were done when it took effect: it applies from batch ``step`` + 1
    on, and sits at ``step / steps_per_epoch`` epochs on a chart. ``epoch`` is the 1-based epoch
    in progress then; ``learning_rate`` the new base η and ``previous`` the one before (a
    schedule scales the base).
    """

    step: int
    epoch: int
    learning_rate: float
    previous: float


# ----- what a run reports while it goes --------------------------------------------------------


# Statuses a run goes through. "preparing" covers importing TensorFlow and building the model;
# "evaluating" the final pass over the test set after the last (or a stopped) epoch.
ACTIVE_STATUSES = ("preparing", "running", "paused", "evaluating")
# "interrupted": the process that trained it stopped (a crash, killed for memory); its
# checkpoints are on disk and it can be resumed.
DONE_STATUSES = ("finished", "stopped", "failed", "interrupted")


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch. Losses are mean cross-entropy; accuracies are fractions 0-1.

    ``seconds`` is the training time of the epoch (no validation, no pauses);
    ``val_*`` are None when no validation images are held out.
    """

    epoch: int  # 1-based
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    seconds: float
    images_per_second: float
    learning_rate: float  # at the end of the epoch


@dataclass(frozen=True)
class Snapshot:
    """What a watcher sees: an immutable copy of a run's state (all times in seconds).

    ``batch_loss`` / ``batch_accuracy`` hold one value per training batch of the whole run (the
    batch's own mean, not a running average); batch i (0-based) ends at epoch
    (i + 1) / ``steps_per_epoch``.
    """

    status: str
    message: str
    epoch: int  # the epoch in progress (1-based), or the last one when done
    epochs: int
    batch: int  # batches done in that epoch
    steps_per_epoch: int
    train_images: int
    val_images: int
    batch_loss: tuple[float, ...]
    batch_accuracy: tuple[float, ...]
    history: tuple[EpochRecord, ...]
    images_per_second: float  # over the last few seconds of training
    elapsed_seconds: float  # since start, pauses excluded
    eta_seconds: float | None
    learning_rate: float
    device: str
    loop: str
    test_loss: float | None = None
    test_accuracy: float | None = None
    last_checkpoint: str | None = None
    run_dir: str | None = None
    resumed_from_epoch: int = 0
    learning_rate_changes: tuple[LearningRateChange, ...] = ()  # live changes of η, in order
    last_checkpoint_epoch: int = 0  # the epoch the last checkpoint holds (0: none yet)

    @property
    def active(self) -> bool:
        """Still working: a watcher should keep polling."""
        return self.status in ACTIVE_STATUSES

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def progress(self) -> float:
        """Fraction 0-1 of all batches of the run done."""
        total = self.epochs * self.steps_per_epoch
        return min(len(self.batch_loss) / total, 1.0) if total else 0.0

    @property
    def mean_images_per_second(self) -> float:
        """Training images per second over every finished epoch of this session of the run."""
        own = [r for r in self.history if r.epoch > self.resumed_from_epoch]
        seconds = sum(r.seconds for r in own)
        return self.train_images * len(own) / seconds if seconds > 0 else self.images_per_second


# ----- words for people ----------------------------------------------------------------------


def format_seconds(seconds: float | None) -> str:
    """ "1:05" for 65 s, "1:02:03" past an hour, "—" when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    s = int(round(max(seconds, 0)))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def progress_text(snap: Snapshot) -> str:
    """One line for a progress bar, e.g.
    "Epoch 3 of 10 · batch 120 of 211 · 6,912 images/s · ETA 1:20 · CPU · 2 threads"."""
    device = f" · {snap.device}" if snap.device else ""
    if snap.status == "preparing":
        return "Preparing: loading TensorFlow and building the model…"
    if snap.status == "evaluating":
        return (
            f"Measuring test accuracy after {len(snap.history)} {plural(len(snap.history), 'epoch')}…{device}"
        )
    parts = [f"Epoch {snap.epoch} of {snap.epochs}", f"batch {snap.batch} of {snap.steps_per_epoch}"]
    if snap.status in ("running", "paused"):
        parts.append(f"{snap.images_per_second:,.0f} images/s")
        parts.append(f"ETA {format_seconds(snap.eta_seconds)}")
    else:
        parts.append(f"{format_seconds(snap.elapsed_seconds)} elapsed")
    label = {"paused": "paused", "finished": "finished", "stopped": "stopped", "failed": "failed"}
    prefix = f"{label[snap.status].capitalize()} · " if snap.status in label else ""
    return prefix + " · ".join(parts) + device


def architecture_text(config: ModelConfig) -> str:
    """The layers in one line, e.g. "Conv 24 → pool → Conv 36 → pool → Dense 128 → Dropout 0.5
    → Dense 10" (3×3 kernels unless said)."""
    parts = []
    for block in config.blocks:
        k = "" if block.kernel_size == 3 else f" {block.kernel_size}×{block.kernel_size}"
        conv = f"Conv {block.filters}{k}" + (" + BN" if block.batch_norm else "")
        parts.append(f"{block.convs}× ({conv})" if block.convs > 1 else conv)
        if block.pool != "none":
            parts.append("pool" if block.pool == "max" else "avg pool")
    parts.append(f"Dense {config.dense_units}")
    if config.dropout > 0:
        parts.append(f"Dropout {config.dropout:g}")
    parts.append(f"Dense {config.num_classes}")
    return " → ".join(parts)


def describe_run(model_config: ModelConfig, dataset: Dataset, config: TrainingConfig) -> str:
    """One line naming a run, e.g. "Tutorial on Fashion-MNIST · 10 epochs · Adam η=0.01" (with
    "· mixed precision" before the optimizer when on: η stays last, see learning_rate_title)."""
    title = PRESET_TITLES.get(preset_name(model_config), "Custom model")
    return (
        f"{title} on {dataset.title} · {config.epochs} {plural(config.epochs, 'epoch')} · "
        + ("mixed precision · " if config.mixed_precision else "")
        + f"{OPTIMIZER_TITLES[config.optimizer]} η={config.learning_rate:g}"
    )


def learning_rate_title(title: str, changes: Sequence[LearningRateChange], steps_per_epoch: int) -> str:
    """A run's ``title`` (from :func:`describe_run`, ending "η=<initial>") with the η it trains
    at now and each live change, e.g. "… Adam η=0.03 (changed live: 0.01 → 0.03 at epoch 2,
    batch 5)". The title as it is when η never changed."""
    if not changes:
        return title
    per_epoch = max(steps_per_epoch, 1)
    story = f"{changes[0].previous:g}" + "".join(
        f" → {c.learning_rate:g} at epoch {c.epoch}, batch {c.step - (c.epoch - 1) * per_epoch + 1}"
        for c in changes
    )
    now = f"η={changes[-1].learning_rate:g} (changed live: {story})"
    head, found, _ = title.rpartition("η=")
    return f"{head}{now}" if found else f"{title} · {now}"


def recent_images_per_second(recent: Sequence[tuple[float, int]]) -> float:
    """Images per second over the last batches, from (end time in s, images) marks: the images
    after the first mark over the time since it; 0 until there are two marks."""
    if len(recent) < 2:
        return 0.0
    span = recent[-1][0] - recent[0][0]
    images = sum(n for _, n in list(recent)[1:])
    return images / span if span > 0 else 0.0
