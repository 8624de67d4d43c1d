"""What a run writes to its folder (:mod:`cnn_core.run_storage`): its description, its status,
its checkpoints and its final model. A run without a folder writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import run_storage
from ..datasets import Dataset
from ..models import ModelConfig
from ..training_config import EpochRecord, Snapshot, TrainingConfig


class RunFolder:
    """The files of the run in ``run_dir`` (None: a run that keeps no files; every call does nothing)."""

    def __init__(
        self,
        run_dir: Path | None,
        label: str,
        dataset: Dataset,
        model_config: ModelConfig,
        config: TrainingConfig,
    ) -> None:
        self.run_dir = run_dir
        self.label = label
        self.dataset = dataset
        self.model_config = model_config
        self.config = config

    @property
    def final_model(self) -> Path | None:
        """Where the finished run's ``.keras`` model is written."""
        return self.run_dir / run_storage.FINAL_MODEL if self.run_dir is not None else None

    def write_run_file(self, status: str) -> None:
        """The run's description: label, dataset, model and training settings, status."""
        if self.run_dir is not None:
            run_storage.write_run_file(
                self.run_dir,
                label=self.label,
                status=status,
                dataset_name=self.dataset.name,
                dataset_source=self.dataset.source,
                model_config=self.model_config,
                config=self.config,
            )

    def write_status(
        self,
        status: str,
        history: list[EpochRecord],
        test: tuple[float, float] | None,
        detail: str = "",
    ) -> None:
        """The run's status, epochs so far and test (loss, accuracy) when it has one."""
        if self.run_dir is not None:
            run_storage.update_run_status(
                self.run_dir,
                status,
                detail=detail,
                epochs_done=len(history),
                test=test,
                history=history,
            )

    def save_checkpoint(self, model: Any, epoch: int, snap: Snapshot, base_learning_rate: float) -> Path:
        """The model after ``epoch`` and the run's state in ``snap`` (taken before the model is
        saved), from which the run can resume; returns the checkpoint's path."""
        path = run_storage.checkpoint_path(self.run_dir, epoch)
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
        run_storage.write_checkpoint_state(
            path,
            epoch=epoch,
            history=snap.history,
            batch_loss=snap.batch_loss,
            batch_accuracy=snap.batch_accuracy,
            elapsed_seconds=snap.elapsed_seconds,
            base_learning_rate=base_learning_rate,
            learning_rate_changes=snap.learning_rate_changes,
        )
        return path

    def save_final_model(self, model: Any) -> None:
        """The finished (or stopped) run's model, as :attr:`final_model`."""
        if self.final_model is not None:
            model.save(self.final_model)
