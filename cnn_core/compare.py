"""Compare finished runs: what each run trained and how it learned, read back from ``runs/``,
and which of their settings differ. Files only; no TensorFlow, no Streamlit.

A run's per-epoch history is in its ``run.json`` (the trainer writes it with every status); a
run with none (stopped before its first epoch ended) is listed with no curve.
The experiment set (:data:`TUTORIAL_COMPARISONS`) is the tutorial's questions as runs: one more
block? a tenfold smaller learning rate?
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Sequence

from . import run_storage
from .datasets import DATASET_TITLES
from .formulas import plural
from .models import PRESET_TITLES, PRESETS, ModelConfig, preset_name
from .training_config import OPTIMIZER_TITLES, TrainingConfig, architecture_text, training_defaults

MAX_COMPARED = 6  # runs on one chart: more lines than a reader (or a palette) can tell apart
COMPARED_STATUSES = ("finished", "stopped")  # both were evaluated on the test set
SOURCE_WORDS = {"keras": "full", "bundled": "bundled sample", "file": "uploaded file", "auto": ""}


@dataclass(frozen=True)
class EpochPoint:
    """One finished epoch of a stored run: mean cross-entropy losses, accuracies as fractions
    0-1; the ``val_`` values are None when the run held out no validation images."""

    epoch: int
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None


@dataclass(frozen=True)
class RunSummary:
    """A finished (or stopped) run as the comparison sees it."""

    path: str
    label: str  # e.g. "Tutorial on MNIST · 5 epochs · Adam η=0.01"
    status: str
    created: str  # ISO time, "" when unknown
    dataset_name: str
    dataset_source: str
    model_config: ModelConfig
    training: TrainingConfig
    history: tuple[EpochPoint, ...]
    test_accuracy: float | None
    experiment: str = ""
    experiment_step: int = 0  # place in the set, 1-based

    @property
    def final_val_accuracy(self) -> float | None:
        """The last epoch's validation accuracy (None without validation or history)."""
        return self.history[-1].val_accuracy if self.history else None

    @property
    def epochs_done(self) -> int:
        """How many epochs the run finished (a stopped run: fewer than ``training.epochs``)."""
        return len(self.history)

    @property
    def model_title(self) -> str:
        return PRESET_TITLES.get(preset_name(self.model_config), "Custom")


def summarize(info: run_storage.RunInfo) -> RunSummary:
    """A :class:`RunSummary` of a run folder's :class:`cnn_core.run_storage.RunInfo`, with the
    per-epoch history its ``run.json`` holds."""
    return RunSummary(
        path=info.path,
        label=info.label,
        status=info.status,
        created=info.created,
        dataset_name=info.dataset_name,
        dataset_source=info.dataset_source,
        model_config=info.model_config,
        training=info.training,
        history=_points(info.history),
        test_accuracy=_number(info.test_accuracy),
        experiment=info.experiment,
        experiment_step=info.experiment_step,
    )


def finished_runs(runs_dir: str | os.PathLike) -> list[RunSummary]:
    """Every finished or stopped run under ``runs_dir``, newest first (unreadable folders and
    runs still going, waiting or failed are left out)."""
    return [summarize(info) for info in run_storage.list_runs(runs_dir) if info.status in COMPARED_STATUSES]


def experiments(runs: Sequence[RunSummary]) -> dict[str, list[RunSummary]]:
    """The runs of each experiment set, by name (newest set first, its runs in the order they ran)."""
    sets: dict[str, list[RunSummary]] = {}
    for run in runs:
        if run.experiment:
            sets.setdefault(run.experiment, []).append(run)
    return {
        name: sorted(members, key=lambda r: (r.experiment_step, r.created, r.path))
        for name, members in sets.items()
    }


def run_names(runs: Sequence[RunSummary]) -> list[str]:
    """Short, distinct names for a chart's legend and the table: "1 · Tutorial η=0.01"."""
    return [f"{i + 1} · {r.model_title} η={r.training.learning_rate:g}" for i, r in enumerate(runs)]


def run_choice_label(run: RunSummary, own: bool = False) -> str:
    """How a run is offered for ticking: its title, data, test accuracy and when it ran."""
    test = f"test {run.test_accuracy:.1%}" if run.test_accuracy is not None else "no test accuracy"
    stopped = (
        f" · stopped after {run.epochs_done} of {run.training.epochs} {plural(run.training.epochs, 'epoch')}"
        if run.status == "stopped"
        else ""
    )
    when = run.created.replace("T", " ")[5:16] if run.created else ""
    t = run.training
    optimizer = OPTIMIZER_TITLES.get(t.optimizer, t.optimizer)
    what = f"{run.model_title} · {optimizer} η={t.learning_rate:g} · {t.epochs} {plural(t.epochs, 'epoch')}"
    return " · ".join(p for p in (what + stopped, _data_words(run), test, when, "yours" if own else "") if p)


def settings_of(run: RunSummary) -> dict[str, str]:
    """Every setting a comparison may show, as words, in a fixed order."""
    t = run.training
    return {
        "Data": _data_words(run),
        "Model": run.model_title,
        "Layers": architecture_text(run.model_config),
        "Optimizer": OPTIMIZER_TITLES.get(t.optimizer, t.optimizer),
        "η": f"{t.learning_rate:g}",
        "Schedule": {"constant": "constant", "cosine": "cosine decay"}.get(t.schedule, t.schedule),
        "Batch": str(t.batch_size),
        "Epochs": str(t.epochs) if run.epochs_done in (0, t.epochs) else f"{run.epochs_done} of {t.epochs}",
        "Validation": f"{t.validation_fraction:.0%}",
        "Augmentation": {"none": "none", "flip": "mirror half"}.get(t.augment, t.augment),
        "Loop": {"fit": "Keras fit", "custom": "GradientTape"}.get(t.loop, t.loop),
        "Mixed precision": "on" if t.mixed_precision else "off",
        "Seed": str(t.seed),
    }


def settings_that_differ(runs: Sequence[RunSummary]) -> list[dict[str, str]]:
    """One row per run: its name (:func:`run_names`), its test accuracy and final validation
    accuracy (as "97.1 %", "—" when unknown), then only the settings whose values are not the
    same for every run. Nothing for no runs."""
    if not runs:
        return []
    every = [settings_of(r) for r in runs]
    differ = [name for name in every[0] if len({s[name] for s in every}) > 1]
    rows = []
    for name, run, settings in zip(run_names(runs), runs, every):
        row = {
            "Run": name,
            "Test accuracy": _percent(run.test_accuracy),
            "Final validation accuracy": _percent(run.final_val_accuracy),
        }
        row.update({key: settings[key] for key in differ})
        rows.append(row)
    return rows


# ----- the experiment set --------------------------------------------------------------------

EXPERIMENT_EPOCHS = 5  # short enough to run before class; long enough for the curves to part
EXPERIMENT_TITLE = "The tutorial's comparisons"


@dataclass(frozen=True)
class PlannedRun:
    """One run of an experiment set: a model preset and how to train it."""

    preset: str
    model_config: ModelConfig
    training: TrainingConfig
    question: str  # what this run answers, for people


def tutorial_comparisons(epochs: int = EXPERIMENT_EPOCHS) -> list[PlannedRun]:
    """The tutorial's comparisons as distinct runs: Tutorial vs Tutorial + exercise 2 vs Strong
    (each with its preset's training settings), and η 0.01 vs 0.001 on the Tutorial network
    (its η = 0.01 run is the first one, so 4 runs answer both questions). ``epochs`` each, no
    checkpoints (the run's folder keeps its history and final model)."""

    def plan(preset: str, question: str, **changes: Any) -> PlannedRun:
        training = replace(training_defaults(preset), epochs=epochs, checkpoint_every=0, **changes)
        return PlannedRun(preset, PRESETS[preset], training.check(), question)

    return [
        plan("tutorial", "the baseline: the tutorial's network and settings"),
        plan("exercise2", "one more convolution block (exercise 2)"),
        plan(
            "strong",
            "fewer filters early, more late, with its own settings "
            f"(η {training_defaults('strong').learning_rate:g} decaying to 0)",
        ),
        plan("tutorial", "the baseline with a tenfold smaller learning rate", learning_rate=1e-3),
    ]


# ----- helpers -----------------------------------------------------------------------------


def _points(rows: Sequence[Any]) -> tuple[EpochPoint, ...]:
    points = []
    for row in rows:
        try:
            points.append(
                EpochPoint(
                    int(row["epoch"]),
                    float(row["loss"]),
                    float(row["accuracy"]),
                    _number(row.get("val_loss")),
                    _number(row.get("val_accuracy")),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # a damaged row: the others still draw
    return tuple(sorted(points, key=lambda p: p.epoch))


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}".replace("%", " %")


def _data_words(run: RunSummary) -> str:
    source = SOURCE_WORDS.get(run.dataset_source, run.dataset_source)
    title = DATASET_TITLES.get(run.dataset_name, run.dataset_name)
    return f"{title} ({source})" if source else title
