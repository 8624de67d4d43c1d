"""The words a page shows for a training job: its progress, its place in line, its wait.

Read-only over the registry (:mod:`cnn_core.jobs`) and the trainer's snapshot; short enough for
the sidebar.
"""

from __future__ import annotations

from .formulas import ordinal
from .jobs import Job, JobRegistry


def progress_words(job: Job, registry: JobRegistry) -> str:
    """A few words for a run, short enough for the sidebar: "waiting, 2nd in line",
    "epoch 3 of 10", "preparing", "finished" (reads the registry and the trainer's snapshot only)."""
    if job.queued:
        return f"waiting, {ordinal(registry.place(job.id) or 1)} in line"
    snap = job.trainer.snapshot()
    if snap.status == "preparing":
        return "preparing"
    if snap.status == "evaluating":
        return "testing"
    if snap.status in ("running", "paused"):
        return f"epoch {snap.epoch} of {snap.epochs}" + (", paused" if snap.status == "paused" else "")
    return str(snap.status)


def start_words(job: Job, registry: JobRegistry) -> str | None:
    """ "Starts in about 2 min" for a waiting run; None for any other."""
    eta = registry.estimated_start_s(job.id)
    return None if eta is None else f"Starts in about {wait_words(eta)}"


def wait_words(seconds: float) -> str:
    """ "20 s" under a minute (to 10 s), else "3 min" (rounded up): an estimate, not a countdown."""
    if seconds < 60:
        return f"{max(int(round(seconds / 10.0)) * 10, 10)} s"
    return f"{int(-(-seconds // 60))} min"
