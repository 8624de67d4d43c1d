"""A trainer for page tests that moves only when a test tells it to (the real one is tested in
tests/unit/test_trainer.py); the ``trainers`` fixture (tests/app/conftest.py) hands it to pages."""

from __future__ import annotations

from cnn_core import training_config
from cnn_core.training_config import ACTIVE_STATUSES, EpochRecord, LearningRateChange, Snapshot


class FakeTrainer:
    """A trainer that moves only when told to: advance(), finish(), fail()."""

    def __init__(self, dataset, model_config, config, run_dir=None, resume_from=None, steps=5):
        self.dataset, self.model_config, self.config = dataset, model_config, config
        # Its run folder, for the tests; the pages read it from snapshot().run_dir, as from the
        # real RemoteTrainer, which has no run_dir attribute.
        self.folder, self.resume_from = run_dir, resume_from
        self.label = training_config.describe_run(model_config, dataset, config)
        self.status, self.message = "preparing", ""
        self.steps = steps
        self.losses: list[float] = []
        self.history: list[EpochRecord] = []
        self.learning_rate = config.learning_rate
        self.calls: list[str] = []
        self.test_accuracy = None
        self.model = object()
        self.changes: list[LearningRateChange] = []
        self.checkpoint: tuple[str, int] | None = None  # (path on the server, epoch)

    # the Trainer interface the page and the registry use
    def start(self):
        self.calls.append("start")
        self.status = "running"
        return self

    def pause(self):
        self.calls.append("pause")
        self.status = "paused"

    def resume(self):
        self.calls.append("resume")
        self.status = "running"

    def stop(self):
        self.calls.append("stop")
        self.status, self.message = "stopped", "Stopped by request."
        self.test_accuracy = 0.5

    def set_learning_rate(self, value):
        value = training_config.check_learning_rate(value)
        done = len(self.losses)
        self.changes.append(LearningRateChange(done, done // self.steps + 1, value, self.learning_rate))
        self.learning_rate = value
        self.calls.append(f"lr={value:g}")

    @property
    def active(self):
        return self.status in ACTIVE_STATUSES

    def model_bytes(self):
        return b"PK fake keras file"

    def snapshot(self):
        done = len(self.losses)
        epoch = min(done // self.steps + 1, self.config.epochs)
        return Snapshot(
            status=self.status,
            message=self.message,
            epoch=epoch,
            epochs=self.config.epochs,
            batch=done - (epoch - 1) * self.steps,
            steps_per_epoch=self.steps,
            train_images=5400,
            val_images=600,
            batch_loss=tuple(self.losses),
            batch_accuracy=tuple(1 - loss / 3 for loss in self.losses),
            history=tuple(self.history),
            images_per_second=6912.0 if done else 0.0,
            elapsed_seconds=1.5 * done,
            eta_seconds=42.0 if self.active and done else None,
            learning_rate=self.learning_rate,
            device="CPU · 2 threads",
            loop=self.config.loop,
            test_loss=0.3 if self.test_accuracy else None,
            test_accuracy=self.test_accuracy,
            learning_rate_changes=tuple(self.changes),
            last_checkpoint=self.checkpoint[0] if self.checkpoint else None,
            last_checkpoint_epoch=self.checkpoint[1] if self.checkpoint else 0,
            run_dir=str(self.folder) if self.folder else None,
        )

    # what the tests use to move it along
    def advance(self, batches):
        for _ in range(batches):
            self.losses.append(2.3 / (1 + len(self.losses) / 3))
            if len(self.losses) % self.steps == 0:
                e = len(self.losses) // self.steps
                self.history.append(
                    EpochRecord(
                        e,
                        2.3 / (1 + e),
                        0.5 + 0.04 * e,
                        2.4 / (1 + e),
                        0.48 + 0.04 * e,
                        1.0,
                        5400.0,
                        self.learning_rate,
                    )
                )

    def finish(self, test_accuracy=0.908):
        self.advance(self.config.epochs * self.steps - len(self.losses))
        self.status, self.message, self.test_accuracy = "finished", "Finished.", test_accuracy

    def fail(self, message):
        self.status, self.message = "failed", message

    def interrupt(self, message):
        """As when the worker process that trained it died."""
        self.status, self.message = "interrupted", message
