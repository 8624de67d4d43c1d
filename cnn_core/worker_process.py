"""One TensorFlow worker process, seen from the server: start it, send it requests, route its
replies and snapshots, and notice when it dies.

The server starts ``python -m cnn_core.worker`` (named, never imported: :data:`WORKER_MODULE`)
and talks to it over an authenticated local socket (``multiprocessing.connection``). A request
waits for its reply; a run's snapshots go to its :class:`WorkerRun` (a
:class:`~cnn_core.remote_trainer.RemoteTrainer`).
When the process dies, every waiting request raises :class:`~cnn_core.protocol.WorkerDied` and
every run it trained is interrupted. Pure Python: no Streamlit, no TensorFlow.
"""

from __future__ import annotations

import itertools
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any, Protocol

from .protocol import AUTHKEY_ENV, FINAL, REPLY, SNAPSHOT, WorkerDied, WorkerError
from .training_config import Snapshot

WORKER_MODULE = "cnn_core.worker"  # started by name in its own process: the server never imports it
ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60.0  # a worker connects back within a second or two; TensorFlow loads after
STOP_GRACE_S = 5.0  # a worker told to quit has this long before it is killed


def death_cause(returncode: int | None) -> str:
    """Why a worker process stopped, in words."""
    if returncode is None:
        return "its connection was lost"
    if returncode == -signal.SIGKILL:
        return "it was killed, most often because the machine ran out of memory"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"it crashed ({name})"
    return f"it exited with code {returncode}"


class WorkerRun(Protocol):
    """A run as the worker that trains it sees it (:class:`~cnn_core.remote_trainer.RemoteTrainer`):
    where its snapshots go, and the news that the worker died."""

    def update(self, snap: Snapshot, model_path: str | None = None) -> None:
        """A snapshot from the worker; with ``model_path`` (or an ended status) the run's last."""
        ...

    def interrupt(self, cause: str) -> None:
        """The worker died of ``cause`` while this run was on it."""
        ...


class _Pending:
    """A request waiting for its reply."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.value: Any = None


class WorkerProcess:
    """One worker: its process, its connection, the requests waiting on it and its runs."""

    def __init__(self, listener_dir: str) -> None:
        key = secrets.token_bytes(32)
        address = os.path.join(listener_dir, f"worker-{uuid.uuid4().hex[:8]}.sock")
        self._listener = Listener(address, family="AF_UNIX", authkey=key)
        env = {
            **os.environ,
            AUTHKEY_ENV: key.hex(),
            "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        }
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE, "--address", address], cwd=ROOT, env=env
        )
        self.conn = self._accept()
        self.pid = self.proc.pid
        self.dead: str | None = None  # why it stopped, once it has
        self.trainers: dict[str, WorkerRun] = {}
        self.last_used = time.monotonic()
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, name=f"worker-{self.pid}", daemon=True).start()

    def _accept(self) -> Connection:
        """The worker's connection, once it is up; a sentence when it does not come."""
        accepted: list[Connection] = []
        thread = threading.Thread(target=lambda: accepted.append(self._listener.accept()), daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while thread.is_alive() and time.monotonic() < deadline and self.proc.poll() is None:
            thread.join(0.1)
        self._listener.close()
        if not accepted:
            self.proc.kill()
            raise WorkerDied(f"The TensorFlow worker did not start: {death_cause(self.proc.poll())}.")
        return accepted[0]

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending) or any(t.active for t in self.trainers.values())

    @property
    def training(self) -> bool:
        with self._lock:
            return any(t.active for t in self.trainers.values())

    def request(self, op: str, wait: bool = True, **args: Any) -> Any:
        """Send ``op``; with ``wait``, its answer (``ValueError`` for a sentence the learner can
        act on, :class:`WorkerError` otherwise, :class:`WorkerDied` if the worker stops first)."""
        pending = _Pending()
        with self._lock:
            if self.dead:
                raise WorkerDied(f"The TensorFlow worker stopped: {self.dead}.")
            request_id = next(self._ids)
            if wait:
                self._pending[request_id] = pending
            self.last_used = time.monotonic()
            try:
                self.conn.send((request_id, op, args))
            except (OSError, ValueError) as exc:
                self._pending.pop(request_id, None)
                raise WorkerDied(f"The TensorFlow worker stopped: {exc}.") from None
        if not wait:
            return None
        pending.done.wait()
        self.last_used = time.monotonic()
        if pending.ok:
            return pending.value
        kind, message = pending.value
        if kind == "ValueError":
            raise ValueError(message)
        if kind == "WorkerDied":
            raise WorkerDied(message)
        raise WorkerError(f"The TensorFlow worker failed: {message}")

    def _read(self) -> None:
        """Replies to their requests, snapshots to their runs, until the connection ends."""
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                break
            kind = message[0]
            self.last_used = time.monotonic()  # a run that reports is in use, however long it takes
            if kind == REPLY:
                _, request_id, ok, value = message
                with self._lock:
                    pending = self._pending.pop(request_id, None)
                if pending is not None:
                    pending.ok, pending.value = ok, value
                    pending.done.set()
            elif kind in (SNAPSHOT, FINAL):
                trainer = self.trainers.get(message[1])
                if trainer is not None:
                    trainer.update(*message[2:])
                if kind == FINAL:
                    self.trainers.pop(message[1], None)
        self._died()

    def _died(self) -> None:
        try:
            returncode = self.proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            returncode = None
        with self._lock:
            self.dead = self.dead or death_cause(returncode)
            pending, self._pending = list(self._pending.values()), {}
        for p in pending:
            p.ok, p.value = (
                False,
                ("WorkerDied", f"The TensorFlow worker stopped: {self.dead}. Try again: a new one starts."),
            )
            p.done.set()
        for trainer in list(self.trainers.values()):
            trainer.interrupt(self.dead)

    def stop(self) -> None:
        """Ask it to quit; kill it if it does not."""
        with self._lock:
            self.dead = self.dead or "it was stopped after its idle time"
        try:
            self.conn.send((-1, "quit", {}))
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.conn.close()
