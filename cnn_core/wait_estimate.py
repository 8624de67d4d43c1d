"""How long a run waiting in the job line will wait: the work ahead of it over the training speed.

Pure arithmetic over the registry's jobs (:mod:`cnn_core.jobs`): the runs ahead (running ones:
their remaining images; waiting ones: all their images) are shared out over the server's slots,
each finishing after images ÷ images per second, plus :data:`START_OVERHEAD_S` per run.
"""

from __future__ import annotations

import heapq
from typing import Any

# Training speed assumed for the line's estimate until a run on this server has been measured: a
# little less than the tutorial's network trains on 2 CPU cores (docs/benchmarks.md).
DEFAULT_IMAGES_PER_S = 5000.0
START_OVERHEAD_S = 5.0  # a run's own preparation and test evaluation, added per run ahead


def snapshot_rate(snap: Any) -> float:
    """The images per second a trainer's snapshot measured (0.0 while it has measured none)."""
    return float(getattr(snap, "images_per_second", 0.0) or 0.0)


def remaining_s(work_images: int, snap: Any, rate: float) -> float:
    """Seconds until a running run ends: its images not yet trained (``work_images`` × the part
    left) over its own measured speed, else over ``rate`` images/s; a run still preparing adds
    :data:`START_OVERHEAD_S`."""
    own = snapshot_rate(snap)
    done = float(getattr(snap, "progress", 0.0) or 0.0)
    extra = START_OVERHEAD_S if snap.status == "preparing" else 0.0
    return extra + work_images * (1.0 - done) / (own if own > 0 else rate)


def start_s(running_s: list[float], ahead_images: list[int], slots: int, rate: float) -> float:
    """Seconds until the next run after ``ahead_images`` starts.

    ``running_s``: seconds until each running run ends; ``ahead_images``: the whole work, in
    training images, of each waiting run ahead, first in line first; ``slots``: runs at once;
    ``rate``: images per second.
    """
    free_at = list(running_s) + [0.0] * max(slots - len(running_s), 0)
    heapq.heapify(free_at)
    for images in ahead_images:
        first_free = heapq.heappop(free_at)
        heapq.heappush(free_at, first_free + START_OVERHEAD_S + images / rate)
    return free_at[0]
