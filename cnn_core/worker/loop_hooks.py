"""What a training loop needs from the run it trains: its settings, where it starts, and the hooks
it reports through. Both loops (Keras ``fit`` in :mod:`~cnn_core.worker.fit_loop`, the GradientTape
loop in :mod:`~cnn_core.worker.custom_loop`) talk to this, and
:class:`~cnn_core.worker.trainer.Trainer` provides it, so neither loop imports the trainer.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..training_config import TrainingConfig


class LoopHooks(Protocol):
    """A run as its training loop sees it. Steps count batches from the run's first epoch."""

    config: TrainingConfig

    @property
    def steps_per_epoch(self) -> int: ...

    @property
    def start_epoch(self) -> int:
        """Epochs done before this run's thread started (non-zero for a resumed run)."""
        ...

    @property
    def paused(self) -> bool: ...

    @property
    def stopping(self) -> bool:
        """Whether the run was asked to stop (or diverged): the loop returns before its next batch."""
        ...

    def epoch_begin(self, epoch: int) -> None: ...

    def before_batch(self, step_in_run: int) -> bool:
        """Wait while paused, apply a learning-rate change; False when the loop must stop."""
        ...

    def batch_images(self, batch: int) -> int:
        """The number of images in batch ``batch`` of an epoch (the last one may be short)."""
        ...

    def record_batch(self, epoch: int, batch: int, loss: float, accuracy: float, images: int) -> None: ...

    def epoch_end(self, model: Any, epoch: int, loss: float, accuracy: float, val_ds: Any) -> None:
        """The epoch's means, validation on ``val_ds`` (or None), a checkpoint."""
        ...
