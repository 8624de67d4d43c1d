"""The app's process tree, read from /proc: the Streamlit server and its TensorFlow workers.

    from _process_tree import TreeMemory, worker_pids, maps_mention

The server starts ``python -m cnn_core.worker`` as its child when TensorFlow is first needed
(cnn_core/client.py), so the tree is the server plus those of its descendants whose command line
names ``cnn_core.worker``; nothing else (not Chromium, not the bench, not a websocket student).
Only /proc and /sys are read; the one thing done to a process is :func:`sigkill`, asked for by the
bench's ``--kill-worker``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

WORKER_MODULE = b"cnn_core.worker"  # in a worker's command line: python -m cnn_core.worker --address ...
CGROUP_PEAK = Path(
    "/sys/fs/cgroup/memory.peak"
)  # cgroup v2's high-water mark of the container (absent on v1)


def proc_kib(pid: int, field_name: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB (VmHWM: peak resident set, the kernel's own
    high-water mark; VmRSS: now; RssAnon: the part no file backs, which the kernel cannot drop
    under pressure); 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Every live child process of ``pid``, and theirs."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(k) for k in children.read_text().split()]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return found


def worker_pids(server: int) -> list[int]:
    """The server's TensorFlow workers alive now (its descendants running ``cnn_core.worker``)."""
    found = []
    for pid in descendants(server):
        with contextlib.suppress(OSError):
            if WORKER_MODULE in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    return found


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of ``pid`` so far, in clock ticks (0 if gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    except (OSError, ValueError, IndexError):
        return 0


def busiest(pids: list[int], window_s: float = 1.0) -> int | None:
    """The process of ``pids`` that used the most CPU over the next ``window_s`` seconds: the
    worker training a run (the others, if any, wait for inference requests). Blocks."""
    if len(pids) <= 1:
        return pids[0] if pids else None
    before = {pid: cpu_ticks(pid) for pid in pids}
    time.sleep(window_s)
    return max(pids, key=lambda pid: cpu_ticks(pid) - before[pid])


def sigkill(pid: int) -> None:
    """SIGKILL, as the kernel's out-of-memory killer would: no clean-up runs in the process."""
    os.kill(pid, signal.SIGKILL)


def maps_mention(pid: int, names: tuple[str, ...]) -> list[str]:
    """The files mapped into ``pid`` whose path contains one of ``names`` (e.g. TensorFlow's
    shared libraries): a library a process imported stays mapped for its life."""
    try:
        paths = {
            line.split(maxsplit=5)[5]
            for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
            if len(line.split(maxsplit=5)) == 6
        }
    except OSError:
        return []
    return sorted(p for p in paths if any(name in p for name in names))


def cgroup_peak_mib() -> float | None:
    """The container's memory high-water mark (cgroup v2 ``memory.peak``), or None where the
    kernel does not keep one for it (cgroup v1: its ``memory.max_usage_in_bytes`` spans the
    container's whole life and every process in it, so it says nothing about this run)."""
    try:
        return int(CGROUP_PEAK.read_text()) / 2**20
    except (OSError, ValueError):
        return None


@dataclass
class TreeMemory:
    """The tree's memory, sampled every ``every_s`` seconds while :meth:`watch` runs.

    Each sample reads the VmRSS of the server and of every worker alive then, one after the
    other in the same pass (the same moment, to a few milliseconds): ``tree_peak_kib`` is the
    largest sum, ``phases`` the largest sum during each phase the bench names in ``phase``.
    ``hwm_kib`` keeps each process's own high-water mark (VmHWM) as last read, so a worker that
    ended keeps its last one: their sum bounds the tree's peak from above (the processes' peaks
    need not coincide), which sampling every half second cannot miss.
    """

    server: int
    phase: str = "server started"
    tree_peak_kib: int = 0
    tree_peak_phase: str = ""
    tree_peak_workers: int = 0
    server_max_kib: int = 0  # the largest sampled VmRSS of the server alone
    server_anon_max_kib: int = 0  # ... and of its anonymous part
    phases: dict[str, int] = field(default_factory=dict)
    hwm_kib: dict[int, int] = field(default_factory=dict)
    workers_seen: set[int] = field(default_factory=set)
    most_workers: int = 0
    samples: int = 0
    started: float = field(default_factory=time.monotonic)
    events: list[str] = field(default_factory=list)  # "12 s (phase): worker 123 up" as workers come and go
    _alive: set[int] = field(default_factory=set)

    def now(self) -> tuple[int, list[int]]:
        """The tree's VmRSS now (KiB) and the workers alive."""
        workers = worker_pids(self.server)
        return sum(proc_kib(pid, "VmRSS") for pid in [self.server, *workers]), workers

    def sample(self) -> None:
        workers = worker_pids(self.server)
        rss = {pid: proc_kib(pid, "VmRSS") for pid in [self.server, *workers]}
        anon = proc_kib(self.server, "RssAnon")
        if not rss[self.server]:
            return  # the server has ended
        total = sum(rss.values())
        for pid in rss:
            self.hwm_kib[pid] = max(self.hwm_kib.get(pid, 0), proc_kib(pid, "VmHWM"))
        if total > self.tree_peak_kib:
            self.tree_peak_kib, self.tree_peak_phase, self.tree_peak_workers = total, self.phase, len(workers)
        self.server_max_kib = max(self.server_max_kib, rss[self.server])
        self.server_anon_max_kib = max(self.server_anon_max_kib, anon)
        self.phases[self.phase] = max(self.phases.get(self.phase, 0), total)
        self.note_workers(set(workers))
        self.workers_seen.update(workers)
        self.most_workers = max(self.most_workers, len(workers))
        self.samples += 1

    def note_workers(self, alive: set[int]) -> None:
        """Record each worker that appeared or went since the last sample."""
        when = f"{time.monotonic() - self.started:.0f} s ({self.phase})"
        self.events += [f"{when}: worker {pid} up" for pid in sorted(alive - self._alive)]
        self.events += [f"{when}: worker {pid} gone" for pid in sorted(self._alive - alive)]
        self._alive = alive

    async def watch(self, every_s: float = 0.5) -> None:
        """Sample until cancelled."""
        while True:
            self.sample()
            await asyncio.sleep(every_s)

    def server_hwm_kib(self) -> int:
        """The server's VmHWM now (read it before the server ends); its last reading after."""
        self.hwm_kib[self.server] = max(self.hwm_kib.get(self.server, 0), proc_kib(self.server, "VmHWM"))
        return self.hwm_kib[self.server]
