"""The process-wide registry of training jobs: who runs what, how many at once, and who watches.

A Streamlit server is one process shared by every browser session. Training is expensive (a
Community Cloud container has 1-3 GB), so at most ``$CNN_EXPLORER_MAX_JOBS`` (default 1) runs at
once; another session is told a run is in progress, may watch it live, and may start its own once
the cap allows. Each job belongs to the session that started it (its *owner*); a job whose owner
has left (the browser tab closed) for ``$CNN_EXPLORER_OWNER_TIMEOUT_S`` seconds (default 600) is
stopped, so a forgotten run does not hold the server forever. A session may take over a job whose
owner has left (the instructor reloaded the page, say).

:class:`JobRegistry` is plain Python (testable without Streamlit); :func:`get_registry` holds the
one instance per process in ``st.cache_resource``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import streamlit as st

MAX_JOBS_ENV = "CNN_EXPLORER_MAX_JOBS"
OWNER_TIMEOUT_ENV = "CNN_EXPLORER_OWNER_TIMEOUT_S"
DEFAULT_MAX_JOBS = 1
DEFAULT_OWNER_TIMEOUT_S = 600.0
KEEP_DONE = 4  # finished jobs kept (with their models) for watchers and returning owners
REAP_EVERY_S = 5.0

OWNER_KEY = "_training_owner"  # session state: this session's owner token
JOB_KEY = "_training_job"  # session state: the id of the job this session started


class JobCapReached(ValueError):
    """Starting another job would exceed the cap; the message says what to do."""


@dataclass
class Job:
    """One training run in the registry. ``trainer`` is a :class:`cnn_core.training.Trainer`
    (or anything with the same start/stop/snapshot methods)."""

    id: str
    owner: str  # the owner's token (one per browser session)
    owner_session: str | None  # Streamlit's session id, to ask the runtime whether it is connected
    trainer: Any
    title: str
    dataset_name: str
    started_at: float = field(default_factory=time.time)  # wall clock, for display
    last_seen: float = field(default_factory=time.monotonic)  # the owner's last visit
    owner_gone_since: float | None = None
    stop_reason: str = ""  # set when the registry (not the owner) stopped the job

    @property
    def active(self) -> bool:
        return bool(self.trainer.active)


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


def runtime_session_alive(session_id: str | None) -> bool | None:
    """Whether Streamlit still has a connected browser for ``session_id``; None if unknown
    (no server runtime, as under AppTest: the registry then goes by the owner's last visit)."""
    if not session_id:
        return None
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return None
        return Runtime.instance().is_active_session(session_id)
    except Exception:
        return None


class JobRegistry:
    """Jobs of one process, with a cap on how many are active at once. Thread-safe.

    ``owner_alive(session_id)`` answers True/False, or None when it cannot tell; ``clock`` is
    injectable so tests need not wait for the timeout.
    """

    def __init__(
        self,
        max_jobs: int | None = None,
        owner_timeout_s: float | None = None,
        owner_alive: Callable[[str | None], bool | None] = runtime_session_alive,
        clock: Callable[[], float] = time.monotonic,
        reap_every_s: float | None = REAP_EVERY_S,
    ) -> None:
        self.max_jobs = max_jobs if max_jobs is not None else max_jobs_from_env()
        self.owner_timeout_s = owner_timeout_s if owner_timeout_s is not None else owner_timeout_from_env()
        self._owner_alive = owner_alive
        self._clock = clock
        self._reap_every_s = reap_every_s
        self._jobs: dict[str, Job] = {}
        self._lock = threading.RLock()
        self._reaper: threading.Thread | None = None

    # ----- starting -------------------------------------------------------------------------

    def start(
        self, owner: str, trainer: Any, title: str, dataset_name: str, owner_session: str | None = None
    ) -> Job:
        """Start ``trainer`` as a job of ``owner``, or raise :class:`JobCapReached`."""
        with self._lock:
            self.reap()
            running = self.active_jobs()
            if len(running) >= self.max_jobs:
                names = "; ".join(f"{j.title} ({_progress_text(j)})" for j in running)
                raise JobCapReached(
                    f"This server trains at most {self.max_jobs} run{'s' if self.max_jobs > 1 else ''} "
                    f"at once and {'it is' if len(running) == 1 else 'they are'} busy: {names}. "
                    "Watch it live below, or start yours when it ends."
                )
            job = Job(uuid.uuid4().hex[:12], owner, owner_session, trainer, title, dataset_name,
                      last_seen=self._clock())
            trainer.start()
            self._jobs[job.id] = job
            self._prune()
        self._ensure_reaper()
        return job

    def can_start(self) -> bool:
        """Whether a new job would fit under the cap right now."""
        return len(self.active_jobs()) < self.max_jobs

    # ----- reading --------------------------------------------------------------------------

    def get(self, job_id: str | None) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id) if job_id else None

    def jobs(self) -> list[Job]:
        """All kept jobs, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.started_at, reverse=True)

    def active_jobs(self) -> list[Job]:
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
                raise ValueError("The session that started this run is still connected: only it can steer the run.")
            job.owner, job.owner_session = owner, owner_session
            job.last_seen, job.owner_gone_since = self._clock(), None
            return job

    def reap(self) -> list[Job]:
        """Stop active jobs whose owner has been gone for the timeout; return them."""
        stopped = []
        now = self._clock()
        with self._lock:
            for job in list(self._jobs.values()):
                if not job.active:
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
                if gone_for >= self.owner_timeout_s:
                    job.stop_reason = (
                        f"Stopped by the server: the session that started it left more than "
                        f"{self.owner_timeout_s:.0f} s ago (${OWNER_TIMEOUT_ENV})."
                    )
                    job.trainer.stop()
                    stopped.append(job)
        return stopped

    # ----- housekeeping ----------------------------------------------------------------------

    def _prune(self) -> None:
        """Forget the oldest finished jobs beyond KEEP_DONE (each holds a model in memory)."""
        done = [j for j in self.jobs() if not j.active]
        for job in done[KEEP_DONE:]:
            del self._jobs[job.id]

    def _ensure_reaper(self) -> None:
        """A daemon thread that reaps while jobs are active, so a run whose owner left stops
        even when no session ever opens the page again. It never calls Streamlit."""
        if self._reap_every_s is None:
            return
        with self._lock:
            if self._reaper is not None and self._reaper.is_alive():
                return
            self._reaper = threading.Thread(target=self._reap_loop, name="training-job-reaper", daemon=True)
            self._reaper.start()

    def _reap_loop(self) -> None:
        while True:
            time.sleep(self._reap_every_s)
            self.reap()
            with self._lock:
                if not self.active_jobs():
                    self._prune()
                    self._reaper = None
                    return


def _progress_text(job: Job) -> str:
    snap = job.trainer.snapshot()
    if snap.status == "preparing":
        return "preparing"
    return f"epoch {snap.epoch} of {snap.epochs}, {snap.status}"


@st.cache_resource(show_spinner=False)
def get_registry() -> JobRegistry:
    """The one registry of this server process (shared by every session)."""
    return JobRegistry()


def owner_token() -> str:
    """This browser session's owner token (kept in session state, so it survives page changes)."""
    if OWNER_KEY not in st.session_state:
        st.session_state[OWNER_KEY] = uuid.uuid4().hex
    return st.session_state[OWNER_KEY]


def runtime_session_id() -> str | None:
    """Streamlit's id of this session, for asking the runtime whether it is still connected."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return ctx.session_id if ctx is not None else None
    except Exception:
        return None


class _QuietTrainerThreads(logging.Filter):
    """Streamlit warns "missing ScriptRunContext" when a cached function (the shared
    accelerator) is called from a thread it did not start. The trainer thread calls it on
    purpose, to load TensorFlow off the page's thread, and never calls st.* itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName or "").startswith(TRAINER_THREAD_PREFIX) or "ScriptRunContext" not in record.getMessage()


TRAINER_THREAD_PREFIX = "trainer:"
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_QuietTrainerThreads())


def make_trainer(
    dataset: Any,
    model_config: Any,
    config: Any,
    run_dir: Any = None,
    resume_from: str | None = None,
) -> Any:
    """The app's trainer: a :class:`cnn_core.training.Trainer` on the process's accelerator.

    Tests replace this function to inject a fast fake. With ``resume_from`` (a run folder) the
    trainer continues that run from its last checkpoint.
    """
    from cnn_core.training import Trainer, limit_memory_growth
    from ui.common import keras_ready, shared_accelerator

    keras_ready()  # before any model exists: see its docstring (GC and Streamlit's Keras cleanup)
    limit_memory_growth()  # the server shares a 1-3 GB container: see its docstring
    if resume_from is not None:
        return Trainer.from_checkpoint(resume_from, dataset, accelerator=shared_accelerator)
    return Trainer(dataset, model_config, config, accelerator=shared_accelerator, run_dir=run_dir)
