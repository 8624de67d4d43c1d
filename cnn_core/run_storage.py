"""A run's folder under ``runs/``: ``run.json``, its checkpoints and the final model.

A run with a folder checkpoints every N epochs (the tutorial's exercise 4) as a ``.keras`` file
holding the weights and the optimizer's state, beside a ``.json`` with the history up to that
epoch, so that a run whose server was killed resumes with nothing before the checkpoint lost.
Ended runs beyond ``$CNN_EXPLORER_KEEP_RUNS`` are pruned, oldest first, when a new run is created.
Everything here reads and writes files only; a model is saved by ``model.save`` of whoever holds it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from .formulas import plural
from .models import ConvBlock, ModelConfig
from .training_config import TrainingConfig

RUN_FILE = "run.json"
FINAL_MODEL = "model.keras"
CHECKPOINT_DIR = "checkpoints"
KEEP_CHECKPOINTS = 3  # older checkpoints are deleted: resuming needs only the last one
RUNS_DIR_ENV = "CNN_EXPLORER_RUNS_DIR"
KEEP_RUNS_ENV = "CNN_EXPLORER_KEEP_RUNS"
# A class of 30 pressing Start two or three times in a lesson, plus the instructor's experiment set,
# stays listed for comparing; at about 3 MB a run (its model.keras) that is some 300 MB of disk.
DEFAULT_KEEP_RUNS = 100
ENDED_STATUSES = ("finished", "stopped", "failed")  # what run.json says once its trainer is done


def model_config_to_dict(config: ModelConfig) -> dict:
    return asdict(config)


def model_config_from_dict(data: dict) -> ModelConfig:
    blocks = tuple(ConvBlock(**b) for b in data.get("blocks", ()))
    return ModelConfig(**{**data, "blocks": blocks})


def default_runs_dir() -> Path:
    """Where the app keeps run folders: ``$CNN_EXPLORER_RUNS_DIR``, else ``./runs``."""
    return Path(os.environ.get(RUNS_DIR_ENV) or "runs")


def new_run_dir(runs_dir: str | os.PathLike, name: str) -> Path:
    """A fresh, unique folder under ``runs_dir`` named by the time and ``name``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "run"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(runs_dir)
    for i in range(1000):
        path = base / (f"{stamp}-{slug}" + (f"-{i}" if i else ""))
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise ValueError(f"Could not create a run folder in {base}.")


@dataclass(frozen=True)
class RunInfo:
    """What a run folder says about itself (read without TensorFlow)."""

    path: str
    label: str
    status: str
    dataset_name: str
    dataset_source: str
    model_config: ModelConfig
    training: TrainingConfig
    checkpoint_epoch: int  # 0: none
    checkpoint: str | None
    created: str = ""
    test_accuracy: float | None = None
    history: tuple[dict, ...] = ()  # one EpochRecord as a dict per finished epoch
    experiment: str = ""  # the experiment set the run belongs to ("": none)
    experiment_step: int = 0  # its place in that set, 1-based (0: none)

    @property
    def resumable(self) -> bool:
        """Has a checkpoint and did not finish all its epochs."""
        return (
            self.checkpoint is not None
            and self.checkpoint_epoch < self.training.epochs
            and self.status != "finished"
        )


def resume_plan(
    run_dir: str | os.PathLike, epochs: int | None = None, loop: str | None = None
) -> tuple[RunInfo, TrainingConfig]:
    """The run in ``run_dir`` and how it continues from its last checkpoint: ``epochs`` may raise
    its total and ``loop`` switch between "fit" and "custom" (both read the same checkpoint).
    Raises ``ValueError`` with a sentence when there is nothing to resume."""
    info = read_run(run_dir)
    if info.checkpoint_epoch == 0 or info.checkpoint is None:
        raise ValueError(
            f"The run {Path(run_dir).name!r} has no checkpoint to resume from: it stopped before its "
            f"first checkpoint (every {info.training.checkpoint_every} "
            f"{plural(info.training.checkpoint_every, 'epoch')})."
        )
    training = info.training
    if epochs is not None:
        training = replace(training, epochs=epochs)
    if loop is not None:
        training = replace(training, loop=loop)
    if training.epochs <= info.checkpoint_epoch:
        raise ValueError(
            f"The run's last checkpoint is at epoch {info.checkpoint_epoch} of "
            f"{training.epochs}: ask for more epochs to continue it."
        )
    return info, training


def read_run(run_dir: str | os.PathLike) -> RunInfo:
    """Read a run folder; ``ValueError`` if it is not one."""
    run_dir = Path(run_dir)
    try:
        data = json.loads((run_dir / RUN_FILE).read_text())
        training = TrainingConfig(**data["training"])
        model_config = model_config_from_dict(data["model_config"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # The folder's own name, not its path: the message may reach a page.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ValueError(f"{run_dir.name!r} is not a readable run folder ({reason}).") from None
    checkpoints = sorted(
        p for p in (run_dir / CHECKPOINT_DIR).glob("epoch-*.keras") if p.with_suffix(".json").exists()
    )
    last = checkpoints[-1] if checkpoints else None
    return RunInfo(
        path=str(run_dir),
        label=data.get("label", run_dir.name),
        status=data.get("status", "unknown"),
        dataset_name=data["dataset"]["name"],
        dataset_source=data["dataset"].get("source", "auto"),
        model_config=model_config,
        training=training,
        checkpoint_epoch=int(last.stem.split("-")[1]) if last else 0,
        checkpoint=str(last) if last else None,
        created=data.get("created", ""),
        test_accuracy=data.get("test_accuracy"),
        history=tuple(r for r in data.get("history", ()) if isinstance(r, dict)),
        experiment=str(data.get("experiment") or ""),
        experiment_step=int(data.get("experiment_step") or 0),
    )


def list_runs(runs_dir: str | os.PathLike) -> list[RunInfo]:
    """Every readable run under ``runs_dir``, newest first."""
    base = Path(runs_dir)
    try:
        paths = sorted(base.iterdir(), reverse=True) if base.is_dir() else []
    except OSError:  # unreadable: there is nothing to resume, which is not an error
        return []
    runs = []
    with _read_lock:
        for path in paths:
            try:
                stamp = _folder_stamp(path)
            except OSError:  # no run.json: not a run folder
                continue
            cached = _read_cache.get(path)
            if cached is None or cached[0] != stamp:
                try:
                    cached = (stamp, read_run(path))
                except ValueError:
                    continue
                _read_cache[path] = cached
            runs.append(cached[1])
        for gone in _read_cache.keys() - set(paths):
            if gone.parent == base:
                del _read_cache[gone]
    return runs


# list_runs runs on every rerun of the Training page (resume and compare) and every second while
# an experiment set trains, for every watching session: each run.json is parsed again only when
# its folder changed, so a busy runs/ folder costs a stat per run, not a JSON parse.
_read_cache: dict[Path, tuple[tuple[Any, ...], RunInfo]] = {}
_read_lock = threading.Lock()


def _folder_stamp(run_dir: Path) -> tuple[Any, ...]:
    """What :func:`read_run` reads that can change: run.json's time and size and the checkpoint
    files present. OSError when the folder has no run.json."""
    info = (run_dir / RUN_FILE).stat()
    try:
        checkpoints = tuple(sorted(os.listdir(run_dir / CHECKPOINT_DIR)))
    except OSError:
        checkpoints = ()
    return info.st_mtime_ns, info.st_size, checkpoints


def write_run_file(
    run_dir: Path,
    *,
    label: str,
    status: str,
    dataset_name: str,
    dataset_source: str,
    model_config: ModelConfig,
    config: TrainingConfig,
    experiment: str | None = None,
    experiment_step: int = 0,
) -> None:
    """Start ``run_dir/run.json``: what the run trains, on what, and its status.

    ``experiment`` names the set the run belongs to and ``experiment_step`` its place in it
    (1-based); None keeps what an earlier write gave (a run of a set is written "queued" with
    them before its trainer writes the file again)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if experiment is None:
        try:
            before = json.loads((run_dir / RUN_FILE).read_text())
            experiment, experiment_step = (
                before.get("experiment") or "",
                int(before.get("experiment_step") or 0),
            )
        except (OSError, ValueError, AttributeError, TypeError):
            experiment, experiment_step = "", 0
    _write_json(
        run_dir / RUN_FILE,
        {
            "version": 1,
            "experiment": experiment,
            "experiment_step": experiment_step,
            "label": label,
            "status": status,
            "detail": "",
            "created": datetime.now().isoformat(timespec="seconds"),
            "dataset": {"name": dataset_name, "source": dataset_source},
            "model_config": model_config_to_dict(model_config),
            "training": asdict(config),
        },
    )


def update_run_status(
    run_dir: Path,
    status: str,
    *,
    detail: str = "",
    epochs_done: int,
    test: tuple[float, float] | None = None,
    history: Sequence[Any] | None = None,
) -> None:
    """Record a run's status (and its test loss and accuracy once known, and its per-epoch
    ``history`` of EpochRecord dataclasses when given) in its ``run.json``; nothing when the run
    has written none yet."""
    if not (run_dir / RUN_FILE).exists():
        return
    data = json.loads((run_dir / RUN_FILE).read_text())
    data.update(status=status, detail=detail, epochs_done=epochs_done)
    if history is not None:
        data["history"] = [asdict(r) for r in history]
    if test:
        data.update(test_loss=test[0], test_accuracy=test[1])
    _write_json(run_dir / RUN_FILE, data)


def checkpoint_path(run_dir: Path, epoch: int) -> Path:
    """Where the checkpoint after ``epoch`` (1-based) goes: ``checkpoints/epoch-0004.keras``."""
    return run_dir / CHECKPOINT_DIR / f"epoch-{epoch:04d}.keras"


def write_checkpoint_state(
    path: Path,
    *,
    epoch: int,
    history: Sequence[Any],
    batch_loss: Sequence[float],
    batch_accuracy: Sequence[float],
    elapsed_seconds: float,
    base_learning_rate: float,
    learning_rate_changes: Sequence[Any],
) -> None:
    """Write the history beside the checkpoint ``path`` (already saved), then drop the oldest
    checkpoints beyond ``KEEP_CHECKPOINTS``. ``history`` and ``learning_rate_changes`` are
    dataclasses (EpochRecord, LearningRateChange). The ``.json`` is written last: a checkpoint
    counts only once both files are complete."""
    _write_json(
        path.with_suffix(".json"),
        {
            "epoch": epoch,
            "history": [asdict(r) for r in history],
            "batch_loss": list(batch_loss),
            "batch_accuracy": list(batch_accuracy),
            "elapsed_seconds": elapsed_seconds,
            "base_learning_rate": base_learning_rate,
            "learning_rate_changes": [asdict(c) for c in learning_rate_changes],
        },
    )
    for old in sorted(path.parent.glob("epoch-*.keras"))[:-KEEP_CHECKPOINTS]:
        old.with_suffix(".json").unlink(missing_ok=True)
        old.unlink(missing_ok=True)


def read_checkpoint_state(checkpoint: str | os.PathLike) -> dict:
    """What :func:`write_checkpoint_state` wrote beside ``checkpoint`` (a ``.keras`` path)."""
    return json.loads(Path(checkpoint).with_suffix(".json").read_text())


# ----- pruning and deleting ------------------------------------------------------------------


def keep_runs_from_env() -> int:
    """How many ended runs ``runs/`` keeps, from ``$CNN_EXPLORER_KEEP_RUNS`` (default 100; 0 keeps all)."""
    try:
        return max(int(os.environ.get(KEEP_RUNS_ENV, DEFAULT_KEEP_RUNS)), 0)
    except ValueError:
        return DEFAULT_KEEP_RUNS


def runs_to_prune(runs: Sequence[RunInfo], keep: int) -> list[RunInfo]:
    """The runs to remove so that only the newest ``keep`` ended runs stay (``keep`` 0: none).

    Only a run that finished, stopped or failed and cannot be resumed is ever chosen: one that is
    queued or running in its run.json (going, waiting, or interrupted with the server) or that has
    a checkpoint to resume from is kept, and does not count against ``keep``. Oldest first by the
    time its run.json was written, then by folder name."""
    if keep <= 0:
        return []
    ended = [r for r in runs if r.status in ENDED_STATUSES and not r.resumable]
    ended.sort(key=lambda r: (r.created, Path(r.path).name), reverse=True)
    return ended[keep:][::-1]


def prune_runs(runs_dir: str | os.PathLike, keep: int) -> list[str]:
    """Remove the run folders :func:`runs_to_prune` chooses under ``runs_dir``; the names of those
    removed. A folder that cannot be removed (gone already, the disk refuses) is left for next time."""
    removed = []
    for info in runs_to_prune(list_runs(runs_dir), keep):
        try:
            remove_run(info.path)
        except ValueError:
            continue
        removed.append(Path(info.path).name)
    return removed


def remove_run(run_dir: str | os.PathLike) -> None:
    """Delete a run folder with its model and checkpoints. Only a folder holding a run.json is
    removed; ``ValueError`` with a sentence (the folder's name, never its path) otherwise."""
    run_dir = Path(run_dir)
    if not (run_dir / RUN_FILE).is_file():
        raise ValueError(f"The run {run_dir.name!r} is already gone.")
    try:
        shutil.rmtree(run_dir)
    except FileNotFoundError:  # another session removed it meanwhile: gone is what was asked
        return
    except OSError as exc:
        raise ValueError(
            f"The run {run_dir.name!r} could not be deleted ({exc.strerror or type(exc).__name__})."
        ) from None


def _write_json(path: Path, data: dict) -> None:
    """Write atomically: a server killed mid-write leaves the old file, never half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)
