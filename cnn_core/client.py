"""The server's side of the TensorFlow worker: start it when first needed, talk to it, let it go
when idle, and carry on when it dies.

The Streamlit server never imports TensorFlow. :class:`Workers` starts ``python -m
cnn_core.worker`` (named, never imported: :data:`WORKER_MODULE`) on the first request that needs
it, connects to it over an authenticated local socket (``multiprocessing.connection``), and stops
it after ``$CNN_EXPLORER_WORKER_IDLE_S`` seconds without work (default 600), so a server between
lessons holds no TensorFlow. A run is a :class:`RemoteTrainer`: the job registry
(:mod:`cnn_core.jobs`) starts, steers and reads it as it would a trainer in the same process,
while its snapshots arrive from the worker. Each concurrent run gets a worker of its own (they
never share an interpreter lock); inference uses the first one.

A worker that dies (killed for memory, a crash) loses nothing the server holds: requests waiting
on it raise :class:`~cnn_core.protocol.WorkerDied` with a sentence, each run it was training
becomes "interrupted" with its checkpoints on disk, runs waiting in line keep their place, and
the next request starts a new worker. Pure Python: no Streamlit, no TensorFlow.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from dataclasses import replace
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any

import numpy as np

from . import run_storage
from .datasets import Dataset
from .models import ModelConfig
from .protocol import (
    AUTHKEY_ENV,
    FINAL,
    REPLY,
    SNAPSHOT,
    DataRef,
    ModelRef,
    TrainRequest,
    WorkerDied,
    WorkerError,
)
from .training_config import Snapshot, TrainingConfig, describe_run, steps_per_epoch, validation_split

WORKER_MODULE = "cnn_core.worker"  # started by name in its own process: the server never imports it
ROOT = Path(__file__).resolve().parents[1]
IDLE_ENV = "CNN_EXPLORER_WORKER_IDLE_S"
DEFAULT_IDLE_S = 600.0
START_TIMEOUT_S = 60.0  # a worker connects back within a second or two; TensorFlow loads after
WATCH_EVERY_S = 5.0  # how often idle workers are looked for
STOP_GRACE_S = 5.0  # a worker told to quit has this long before it is killed
STARTING_MESSAGE = "Starting TensorFlow (about 5 s, the first time)…"


def idle_from_env() -> float:
    """Seconds a worker may sit idle before it is stopped, from ``$CNN_EXPLORER_WORKER_IDLE_S``."""
    try:
        return max(float(os.environ.get(IDLE_ENV, DEFAULT_IDLE_S)), 1.0)
    except ValueError:
        return DEFAULT_IDLE_S


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
        self.trainers: dict[str, RemoteTrainer] = {}
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
                    trainer._update(*message[2:])
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
            trainer._interrupt(self.dead)

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


def _handed_out(worker: WorkerProcess) -> WorkerProcess:
    """``worker``, marked as just used so the idle watch leaves it be."""
    worker.last_used = time.monotonic()
    return worker


class Workers:
    """The server's TensorFlow workers: started on demand, at most ``max_workers`` at once (one
    per concurrent run), stopped after ``idle_s`` seconds without work."""

    def __init__(self, max_workers: int = 1, idle_s: float | None = None, scratch: str | None = None) -> None:
        self.max_workers = max(1, max_workers)
        self.idle_s = idle_from_env() if idle_s is None else idle_s
        self.scratch = Path(scratch or tempfile.mkdtemp(prefix="cnn-explorer-"))
        for folder in ("data", "models", "uploads", "sockets"):
            (self.scratch / folder).mkdir(parents=True, exist_ok=True)
        self._workers: list[WorkerProcess] = []
        self._datasets: weakref.WeakKeyDictionary[Dataset, DataRef] = weakref.WeakKeyDictionary()
        self._lock = threading.RLock()  # the list of workers: held for moments only
        self._start_lock = threading.Lock()  # one start at a time; others needing one wait for it
        self._starting = 0
        self._closed = False
        threading.Thread(target=self._watch, name="workers-idle", daemon=True).start()

    # ----- the processes ----------------------------------------------------------------------

    def _live(self) -> list[WorkerProcess]:
        with self._lock:
            self._workers = [w for w in self._workers if not w.dead]
            return list(self._workers)

    def _start(self) -> WorkerProcess:
        with self._lock:
            self._starting += 1
        try:
            worker = WorkerProcess(str(self.scratch / "sockets"))
        finally:
            with self._lock:
                self._starting -= 1
        with self._lock:
            self._workers.append(worker)
        return worker

    def _for_inference(self) -> WorkerProcess:
        with self._start_lock:
            live = self._live()
            return _handed_out(live[0] if live else self._start())

    def _for_training(self) -> WorkerProcess:
        """A worker with no run going (a new one while fewer than ``max_workers`` run)."""
        with self._start_lock:
            live = self._live()
            free = [w for w in live if not w.training]
            if free:
                return _handed_out(free[0])
            if len(live) < self.max_workers:
                return _handed_out(self._start())
            return _handed_out(min(live, key=lambda w: sum(t.active for t in w.trainers.values())))

    @property
    def starting(self) -> bool:
        """Whether a worker is being started now (a page may say so where the learner waits)."""
        return self._starting > 0

    @property
    def running(self) -> bool:
        return bool(self._live())

    def pids(self) -> list[int]:
        return [w.pid for w in self._live()]

    def call(self, op: str, **args: Any) -> Any:
        """Run ``op`` on the inference worker (started if none runs) and return its answer."""
        return self._for_inference().request(op, **args)

    def _watch(self) -> None:
        """Stop workers that have had nothing to do for ``idle_s`` seconds."""
        while not self._closed:
            time.sleep(min(WATCH_EVERY_S, self.idle_s))
            # Under the start lock, so a worker being handed out is never the one stopped, and a
            # new worker starts only once the idle one has exited: two TensorFlows never overlap.
            with self._start_lock:
                idle = [
                    w for w in self._live() if not w.busy and time.monotonic() - w.last_used > self.idle_s
                ]
                with self._lock:
                    self._workers = [w for w in self._workers if w not in idle]
                for worker in idle:
                    worker.stop()

    def close(self) -> None:
        """Stop every worker and remove the scratch folder (models of quick runs, uploads)."""
        self._closed = True
        for worker in self._live():
            worker.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)

    # ----- what the worker reads --------------------------------------------------------------

    def data_ref(self, data: Dataset) -> DataRef:
        """Where the worker reads ``data``: exactly these images, written here once as a ``.npz``
        named by a hash of the arrays (hashed once per dataset this process holds)."""
        with self._lock:
            known = self._datasets.get(data)
        if known is not None:
            return known
        digest = hashlib.sha256()
        for array in (data.x_train, data.y_train, data.x_test, data.y_test):
            digest.update(repr(array.shape).encode())
            digest.update(np.ascontiguousarray(array))  # hashed in place: no copy of 50 MB of images
        path = self.scratch / "data" / f"{digest.hexdigest()}.npz"
        if not path.exists():
            partial = path.with_name(f"{path.stem}.part.npz")
            np.savez(
                partial, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test
            )
            partial.replace(path)
        ref = DataRef(data.name, data.source, str(path))
        with self._lock:
            self._datasets[data] = ref
        return ref

    def model_file(self, content: bytes, digest: str | None = None) -> ModelRef:
        """An uploaded ``.keras`` file written here once (named by ``digest``, its sha1, which the
        caller may know already), for the worker to load."""
        path = self.scratch / "uploads" / f"{digest or hashlib.sha1(content).hexdigest()}.keras"
        if not path.exists():
            path.write_bytes(content)
        return ModelRef.of(path)

    # ----- runs -------------------------------------------------------------------------------

    def trainer(
        self,
        data: Dataset,
        model_config: ModelConfig,
        config: TrainingConfig,
        run_dir: str | os.PathLike | None = None,
        resume_from: str | None = None,
    ) -> "RemoteTrainer":
        """A run of ``model_config`` on ``data`` (or one that continues ``resume_from``), to be
        started by the job registry. Raises ``ValueError`` at once for settings it cannot run."""
        if resume_from is not None:
            info, config = run_storage.resume_plan(resume_from, config.epochs, config.loop)
            model_config, run_dir = info.model_config, resume_from
        return RemoteTrainer(
            self,
            self.data_ref(data),
            len(data.y_train),
            model_config,
            config.check(),
            describe_run(model_config, data, config),
            None if run_dir is None else str(run_dir),
            resume_from,
        )

    def _start_run(self, trainer: "RemoteTrainer") -> None:
        worker = self._for_training()
        worker.trainers[trainer.job_id] = trainer
        trainer._worker = worker
        worker.request("train", request=trainer.request)


class RemoteTrainer:
    """A run trained by a worker, read and steered like :class:`cnn_core.worker.trainer.Trainer`:
    ``start``, ``pause``, ``resume``, ``stop``, ``set_learning_rate``, ``snapshot``, ``active``,
    and once it has ended, ``model`` (a :class:`ModelRef`) and ``model_bytes``."""

    def __init__(
        self,
        workers: Workers,
        data: DataRef,
        train_images: int,
        model_config: ModelConfig,
        config: TrainingConfig,
        label: str,
        run_dir: str | None,
        resume_from: str | None,
    ) -> None:
        self.workers, self.config, self.model_config, self.label = workers, config, model_config, label
        self.job_id = uuid.uuid4().hex
        self.request = TrainRequest(
            self.job_id,
            data,
            model_config,
            config,
            run_dir,
            str(workers.scratch / "models" / f"{self.job_id}.keras"),
            resume_from,
            label,
        )
        n_train, n_val = validation_split(train_images, config.validation_fraction)
        self._snap = Snapshot(
            status="preparing",
            message=STARTING_MESSAGE,
            epoch=1,
            epochs=config.epochs,
            batch=0,
            steps_per_epoch=steps_per_epoch(n_train, config.batch_size),
            train_images=n_train,
            val_images=n_val,
            batch_loss=(),
            batch_accuracy=(),
            history=(),
            images_per_second=0.0,
            elapsed_seconds=0.0,
            eta_seconds=None,
            learning_rate=config.learning_rate,
            device="",
            loop=config.loop,
            run_dir=run_dir or resume_from,
        )
        self._model: ModelRef | None = None
        self._worker: WorkerProcess | None = None  # the worker training it, once started
        self._started = False
        self._ended = threading.Event()
        self._lock = threading.Lock()

    # ----- what the registry and the pages call -----------------------------------------------

    def start(self) -> "RemoteTrainer":
        if self._started:
            raise RuntimeError("This run has already been started.")
        self._started = True
        try:
            self.workers._start_run(self)
        except (WorkerError, ValueError) as exc:
            self._end(replace(self._snap, status="failed", message=str(exc)))
        return self

    def pause(self) -> None:
        self._control("pause")

    def resume(self) -> None:
        self._control("resume")

    def stop(self) -> None:
        if not self._started:  # still in line: it never trained
            self._end(replace(self._snap, status="stopped", message="Stopped before it started."))
            return
        self._control("stop")

    def set_learning_rate(self, learning_rate: float) -> None:
        self._control("learning_rate", learning_rate)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snap

    @property
    def active(self) -> bool:
        return self.snapshot().active

    @property
    def model(self) -> ModelRef | None:
        """The finished (or stopped) run's model, once the worker has written it."""
        return self._model

    def model_bytes(self) -> bytes:
        """The ``.keras`` file of the model, for a download."""
        if self._model is None:
            raise ValueError("This run has no model to download.")
        return Path(self._model.path).read_bytes()

    def wait(self, timeout: float | None = None) -> Snapshot:
        """The final snapshot, once the run has ended (or the snapshot so far after ``timeout`` s)."""
        self._ended.wait(timeout)
        return self.snapshot()

    # ----- what the worker's connection calls ---------------------------------------------------

    def _control(self, action: str, value: float | None = None) -> None:
        if self._worker is not None:
            try:
                self._worker.request("control", wait=False, job_id=self.job_id, action=action, value=value)
            except WorkerDied:
                pass  # its death is reported on the run itself

    def _update(self, snap: Snapshot, model_path: str | None = None) -> None:
        if model_path is not None or not snap.active:
            if model_path is not None:
                self._model = ModelRef.of(model_path)
            self._end(snap)
            return
        with self._lock:
            self._snap = snap

    def _end(self, snap: Snapshot) -> None:
        with self._lock:
            self._snap = snap
        self._ended.set()

    def _interrupt(self, cause: str) -> None:
        """The worker died: a run still going is interrupted, resumable from its last checkpoint."""
        snap = self.snapshot()
        if not snap.active:
            return
        kept = snap.last_checkpoint_epoch
        message = f"The TensorFlow worker stopped during epoch {snap.epoch}: {cause}. " + (
            f"Its checkpoints are kept: resume it from its checkpoint at epoch {kept}."
            if kept and snap.run_dir
            else "It had no checkpoint yet: start it again."
        )
        self._end(replace(snap, status="interrupted", message=message))
