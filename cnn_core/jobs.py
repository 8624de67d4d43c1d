"""The process-wide registry of training jobs: who runs what, who waits, and who watches.

A server is one process shared by every browser session, and training is expensive (a Cloud
container has 1-3 GB), so at most ``$CNN_EXPLORER_MAX_JOBS`` (default 1) runs at once. Every run
is :meth:`JobRegistry.submit`-ted: it starts at once when a slot is free, else waits in a fair
line (first come, first served; an instructor's run may go to the front) and the registry's own
thread starts it when a slot frees. A job whose owner has left for ``$CNN_EXPLORER_OWNER_TIMEOUT_S``
seconds (default 600) is stopped, or dropped from the line. How long a waiting run waits is
:mod:`cnn_core.wait_estimate`; the words a page shows for a job are :mod:`cnn_core.job_words`.
Plain Python: the app's Streamlit layer (``ui/jobs.py``) holds one registry per process and
builds it with its trainer factory.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from .wait_estimate import DEFAULT_IMAGES_PER_S, remaining_s, snapshot_rate, start_s

MAX_JOBS_ENV = "CNN_EXPLORER_MAX_JOBS"
OWNER_TIMEOUT_ENV = "CNN_EXPLORER_OWNER_TIMEOUT_S"
INSTRUCTOR_TOKEN_ENV = "CNN_EXPLORER_INSTRUCTOR_TOKEN"
DEFAULT_MAX_JOBS = 1
DEFAULT_OWNER_TIMEOUT_S = 600.0
KEEP_DONE = 4  # finished jobs kept (with their models) for watchers and returning owners
REAP_EVERY_S = 5.0  # how often the registry's thread looks for owners who left
DISPATCH_EVERY_S = 0.25  # how often it looks for a finished run, to start the next in line


@dataclass
class Job:
    """One training run in the registry. ``trainer`` is a :class:`cnn_core.remote_trainer.RemoteTrainer`
    (or anything with the same start/stop/snapshot methods); it is started by the registry.

    ``work_images`` is the run's whole work in training images (epochs × images per epoch), for
    the line's estimate; ``page`` names where the run is shown (the app's sidebar links to it).
    """

    id: str
    owner: str  # the owner's token (one per browser session)
    owner_session: str | None  # the owner's connection (a Streamlit session id), for owner_alive
    trainer: Any
    title: str
    dataset_name: str
    work_images: int = 0
    front: bool = False  # an instructor's run: ahead of every student's in the line
    page: str = ""
    queued: bool = False  # waiting in line: the trainer is not started yet
    started_at: float = field(default_factory=time.time)  # wall clock, for display (asked, then started)
    last_seen: float = field(default_factory=time.monotonic)  # the owner's last visit
    owner_gone_since: float | None = None
    stop_reason: str = ""  # set when the registry (not the owner) stopped the job
    # The experiment set the run belongs to: such a run is the class's, started ahead of time,
    # so it goes on (or keeps its place in line) after its owner's page is closed.
    group: str = ""

    @property
    def active(self) -> bool:
        """Started and still working (a waiting run is not active: it holds no slot)."""
        return not self.queued and bool(self.trainer.active)

    @property
    def pending(self) -> bool:
        """Waiting in line or working: a page showing it should keep polling."""
        return self.queued or self.active


def max_jobs_from_env() -> int:
    """The cap on concurrent jobs from ``$CNN_EXPLORER_MAX_JOBS`` (default 1, at least 1)."""
    try:
        return max(int(os.environ.get(MAX_JOBS_ENV, DEFAULT_MAX_JOBS)), 1)
    except ValueError:
        return DEFAULT_MAX_JOBS


def owner_timeout_from_env() -> float:
    """Seconds a job survives its owner's absence, from ``$CNN_EXPLORER_OWNER_TIMEOUT_S``."""
    try:
        return max(float(os.environ.get(OWNER_TIMEOUT_ENV, DEFAULT_OWNER_TIMEOUT_S)), 1.0)
    except ValueError:
        return DEFAULT_OWNER_TIMEOUT_S


def instructor_token_set() -> bool:
    """Whether this server has an instructor (``$CNN_EXPLORER_INSTRUCTOR_TOKEN`` is set)."""
    return bool(os.environ.get(INSTRUCTOR_TOKEN_ENV, ""))


def is_instructor_token(given: str | None, expected: str | None = None) -> bool:
    """Whether ``given`` is the server's instructor token (``$CNN_EXPLORER_INSTRUCTOR_TOKEN``).

    False when the server sets no token. Compared in constant time, so response timing does
    not tell a student how much of a guess was right.
    """
    expected = os.environ.get(INSTRUCTOR_TOKEN_ENV, "") if expected is None else expected
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


class TrainerFactory(Protocol):
    """Builds a run's trainer; a run folder ``resume_from`` continues that run instead."""

    def __call__(
        self,
        dataset: Any,
        model_config: Any,
        config: Any,
        run_dir: Any = None,
        resume_from: str | None = None,
    ) -> Any: ...


def no_trainer_factory(
    dataset: Any, model_config: Any, config: Any, run_dir: Any = None, resume_from: str | None = None
) -> Any:
    """The default of a registry built without a trainer factory: it can queue trainers made
    elsewhere, not make them (the app's makes remote ones: ui.jobs)."""
    raise RuntimeError("This job registry was built without a trainer factory.")


def owner_unknown(session_id: str | None) -> bool | None:
    """The registry's default answer to "is this owner still connected?": it cannot tell, so
    it goes by the owner's last visit."""
    return None


class JobRegistry:
    """Jobs of one process: at most ``max_jobs`` running, the others in a fair line. Thread-safe.

    ``trainer_factory`` builds this process's trainers (:meth:`make_trainer`); ``owner_alive(session_id)``
    answers True/False, or None when it cannot tell; ``default_page`` is a job's ``page`` unless
    :meth:`submit` names one; ``clock`` is injectable so tests need not wait for the timeout. With
    ``reap_every_s`` None no thread is started: the caller (a test) calls :meth:`dispatch` and
    :meth:`reap` itself.
    """

    def __init__(
        self,
        max_jobs: int | None = None,
        owner_timeout_s: float | None = None,
        owner_alive: Callable[[str | None], bool | None] = owner_unknown,
        trainer_factory: TrainerFactory = no_trainer_factory,
        default_page: str = "",
        clock: Callable[[], float] = time.monotonic,
        reap_every_s: float | None = REAP_EVERY_S,
        dispatch_every_s: float = DISPATCH_EVERY_S,
        default_images_per_s: float = DEFAULT_IMAGES_PER_S,
    ) -> None:
        self.max_jobs = max_jobs if max_jobs is not None else max_jobs_from_env()
        self.owner_timeout_s = owner_timeout_s if owner_timeout_s is not None else owner_timeout_from_env()
        self._owner_alive = owner_alive
        self._trainer_factory = trainer_factory
        self.default_page = default_page
        self._clock = clock
        self._reap_every_s = reap_every_s
        self._dispatch_every_s = dispatch_every_s
        self.default_images_per_s = default_images_per_s
        self._measured_images_per_s: float | None = None  # the last rate a run measured here
        self._jobs: dict[str, Job] = {}
        self._line: list[Job] = []  # waiting jobs, in the order they will start
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None

    # ----- asking for a run -------------------------------------------------------------------

    def make_trainer(
        self,
        dataset: Any,
        model_config: Any,
        config: Any,
        run_dir: Any = None,
        resume_from: str | None = None,
    ) -> Any:
        """A trainer for a run, built by this registry's factory in the caller's thread (a
        Streamlit script's, so the factory may read its caches there); :meth:`submit` it."""
        return self._trainer_factory(dataset, model_config, config, run_dir=run_dir, resume_from=resume_from)

    def submit(
        self,
        owner: str,
        trainer: Any,
        title: str,
        dataset_name: str,
        owner_session: str | None = None,
        *,
        work_images: int,
        front: bool = False,
        page: str | None = None,
        group: str = "",
    ) -> Job:
        """Start ``trainer`` as a job of ``owner`` now if a slot is free, else put it in line.

        ``work_images``: epochs × training images per epoch (the line's estimate uses it).
        ``front``: an instructor's run, placed after other instructors' runs and before every
        student's. The registry's thread starts a waiting run as soon as a slot frees.
        ``group``: the experiment set of the run; never reaped when its owner leaves.
        """
        with self._lock:
            self.reap()
            job = Job(
                uuid.uuid4().hex[:12],
                owner,
                owner_session,
                trainer,
                title,
                dataset_name,
                work_images=max(int(work_images), 0),
                front=front,
                page=self.default_page if page is None else page,
                queued=True,
                last_seen=self._clock(),
                group=group,
            )
            self._jobs[job.id] = job
            if front:
                fronts = sum(1 for j in self._line if j.front)
                self._line.insert(fronts, job)
            else:
                self._line.append(job)
            self.dispatch()
            self._prune()
        self._ensure_thread()
        return job

    def dispatch(self) -> list[Job]:
        """Start waiting runs, first in line first, while slots are free; return those started."""
        started = []
        with self._lock:
            running = len(self.active_jobs())
            while self._line and running < self.max_jobs:
                job = self._line.pop(0)
                job.queued = False
                job.started_at = time.time()
                try:
                    job.trainer.start()
                except Exception as exc:  # never leave a broken run holding the line
                    job.stop_reason = f"The run could not start: {exc}"
                    self._jobs.pop(job.id, None)
                    continue
                started.append(job)
                running += 1
        return started

    def can_start(self) -> bool:
        """Whether a new run would start at once (a free slot and nobody waiting)."""
        with self._lock:
            return not self._line and len(self.active_jobs()) < self.max_jobs

    def leave(self, job_id: str, owner: str) -> bool:
        """Take ``owner``'s waiting run out of the line (and out of the registry). False when
        there is no such waiting run (it started meanwhile, or belongs to someone else)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not job.queued or job.owner != owner:
                return False
            self._line.remove(job)
            del self._jobs[job_id]
            return True

    # ----- the line ---------------------------------------------------------------------------

    def line(self) -> list[Job]:
        """The waiting jobs, first to start first."""
        with self._lock:
            return list(self._line)

    def place(self, job_id: str | None) -> int | None:
        """1 for the next run to start, 2 for the one after...; None when not waiting."""
        with self._lock:
            for i, job in enumerate(self._line):
                if job.id == job_id:
                    return i + 1
            return None

    def images_per_second(self) -> float:
        """The training speed the estimate assumes: the running runs' own measured speed, else
        the last speed measured on this server, else :data:`DEFAULT_IMAGES_PER_S`."""
        with self._lock:
            rates = [r for r in (self._rate_of(j) for j in self.active_jobs()) if r > 0]
            if rates:
                return sum(rates) / len(rates)
            return self._measured_images_per_s or self.default_images_per_s

    def estimated_start_s(self, job_id: str | None) -> float | None:
        """Seconds from now until the waiting run ``job_id`` should start; None when not waiting
        (the work ahead of it over the measured speed: :func:`cnn_core.wait_estimate.start_s`)."""
        with self._lock:
            place = self.place(job_id)
            if place is None:
                return None
            rate = self.images_per_second()
            running = [self._remaining_s(j, rate) for j in self.active_jobs()]
            ahead = [j.work_images for j in self._line[: place - 1]]
            return start_s(running, ahead, self.max_jobs, rate)

    def _rate_of(self, job: Job, snap: Any = None) -> float:
        """The run's measured images/s, remembered for the estimate after it ends."""
        rate = snapshot_rate(job.trainer.snapshot() if snap is None else snap)
        if rate > 0:
            self._measured_images_per_s = rate
        return rate

    def _remaining_s(self, job: Job, rate: float) -> float:
        snap = job.trainer.snapshot()
        self._rate_of(job, snap)
        return remaining_s(job.work_images, snap, rate)

    # ----- reading --------------------------------------------------------------------------

    def get(self, job_id: str | None) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id) if job_id else None

    def jobs(self) -> list[Job]:
        """All kept jobs, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.started_at, reverse=True)

    def active_jobs(self) -> list[Job]:
        """The running jobs (each holds a slot)."""
        return [j for j in self.jobs() if j.active]

    # ----- owners ---------------------------------------------------------------------------

    def touch(self, job_id: str, owner: str) -> None:
        """The owner looked at its job: it is still here."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.owner == owner:
                job.last_seen = self._clock()
                job.owner_gone_since = None

    def owner_present(self, job: Job) -> bool:
        """Whether the job's owner is still connected (or, when the runtime cannot tell, was
        seen within the timeout)."""
        alive = self._owner_alive(job.owner_session)
        if alive is None:
            return self._clock() - job.last_seen < self.owner_timeout_s
        return alive

    def take_over(self, job_id: str, owner: str, owner_session: str | None = None) -> Job:
        """Make ``owner`` the owner of a job whose owner has left; ``ValueError`` otherwise."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise ValueError("That run is no longer on this server.")
            if job.owner != owner and self.owner_present(job):
                raise ValueError(
                    "The session that started this run is still connected: only it can steer the run."
                )
            job.owner, job.owner_session = owner, owner_session
            job.last_seen, job.owner_gone_since = self._clock(), None
            return job

    def reap(self) -> list[Job]:
        """Stop running jobs, and drop waiting ones, whose owner has been gone for the timeout
        (an experiment set's runs excepted); return them."""
        gone = []
        now = self._clock()
        with self._lock:
            for job in list(self._jobs.values()):
                if not job.pending or job.group:
                    continue
                alive = self._owner_alive(job.owner_session)
                if alive is None:
                    gone_for = now - job.last_seen
                elif alive:
                    job.owner_gone_since = None
                    continue
                else:
                    if job.owner_gone_since is None:
                        job.owner_gone_since = now
                    gone_for = now - job.owner_gone_since
                if gone_for < self.owner_timeout_s:
                    continue
                if job.queued:  # nobody will come back for it: give its place to the next
                    self._line.remove(job)
                    del self._jobs[job.id]
                else:
                    job.stop_reason = (
                        "Stopped by the server: the session that started it left more than "
                        f"{self.owner_timeout_s:.0f} s ago."
                    )
                    job.trainer.stop()
                gone.append(job)
        return gone

    # ----- housekeeping ----------------------------------------------------------------------

    def _prune(self) -> None:
        """Forget the oldest finished jobs beyond KEEP_DONE (each holds a model in memory)."""
        with self._lock:
            done = [j for j in self.jobs() if not j.pending]
            for job in done[KEEP_DONE:]:
                del self._jobs[job.id]

    def _ensure_thread(self) -> None:
        """A daemon thread that, while jobs run or wait, starts the next in line as soon as a
        slot frees and reaps jobs whose owner left (even when no session opens a page again).
        It never calls Streamlit."""
        if self._reap_every_s is None:
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._loop, name="training-job-line", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        next_reap = self._clock() + self._reap_every_s
        while True:
            time.sleep(self._dispatch_every_s)
            if self._clock() >= next_reap:
                self.reap()
                for job in self.active_jobs():
                    self._rate_of(job)  # remember the speed, for the estimate after it ends
                next_reap = self._clock() + self._reap_every_s
            with self._lock:
                self.dispatch()
                if not self._line and not self.active_jobs():
                    self._prune()
                    self._thread = None
                    return
