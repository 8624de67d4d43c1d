"""The TensorFlow worker, as the server uses it: started on the first request, a run steered and
read from here, models answered, a crash survived, an idle worker let go. The server's process
(this one) never imports TensorFlow; the worker never imports Streamlit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from cnn_core import datasets, models, run_storage
from cnn_core.client import Workers
from cnn_core.protocol import ModelRef, WorkerDied
from cnn_core.training_config import TrainingConfig

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
QUICK = TrainingConfig(
    epochs=1, batch_size=128, learning_rate=1e-3, validation_fraction=0.0, checkpoint_every=0
)


@pytest.fixture(scope="module")
def data():
    full = datasets.load_dataset("mnist", "bundled")
    return replace(full, x_train=full.x_train[:1024], y_train=full.y_train[:1024])


@pytest.fixture(scope="module")
def workers():
    pool = Workers(max_workers=2, idle_s=600)
    yield pool
    pool.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


# --- a run, trained by the worker and steered from here --------------------------------------------


def test_a_run_trains_in_the_worker_and_its_model_comes_back(workers, data):
    trainer = workers.trainer(data, models.PRESETS["tutorial"], QUICK)
    assert trainer.snapshot().status == "preparing" and "Starting TensorFlow" in trainer.snapshot().message
    trainer.start()
    snap = trainer.wait(180)
    assert snap.status == "finished", snap.message
    assert len(snap.batch_loss) == snap.steps_per_epoch == 8 and snap.test_accuracy > 0.2
    assert isinstance(trainer.model, ModelRef) and trainer.model_bytes().startswith(b"PK")
    preds = workers.call("predict", model=trainer.model, images=data.x_test, labels=data.y_test)
    assert abs(preds.accuracy - snap.test_accuracy) < 1e-6, "the model that came back is the one tested"


def test_pause_a_new_learning_rate_and_stop_reach_the_run(workers, data):
    trainer = workers.trainer(data, models.PRESETS["tutorial"], replace(QUICK, epochs=50, batch_size=32))
    trainer.start()
    wait_for(lambda: trainer.snapshot().status == "running" and len(trainer.snapshot().batch_loss) > 3)
    trainer.pause()
    wait_for(lambda: trainer.snapshot().status == "paused")
    trainer.set_learning_rate(3e-4)
    trainer.resume()
    wait_for(lambda: trainer.snapshot().learning_rate == 3e-4)
    trainer.stop()
    snap = trainer.wait(120)
    assert snap.status == "stopped" and snap.learning_rate_changes[-1].learning_rate == 3e-4
    assert trainer.model is not None  # a stopped run keeps the model it has


def test_a_model_the_worker_refuses_comes_back_as_a_sentence(workers):
    with pytest.raises(ValueError, match="not a .keras model file"):
        workers.call("check", model=workers.model_file(b"hello, I am a text file"))


def test_the_worker_holds_tensorflow_and_never_streamlit(workers):
    status = workers.call("status")
    assert status["pid"] in workers.pids() and status["pid"] != os.getpid()
    assert status["tensorflow"] and not status["streamlit"]


def test_a_process_that_asks_the_worker_never_imports_tensorflow_itself():
    # A fresh interpreter: this test process may hold TensorFlow from other tests.
    asks = (
        "import sys; from cnn_core.client import Workers; pool = Workers(); "
        "assert pool.call('device').kind; pool.close(); "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", asks], capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_two_runs_at_once_each_get_a_worker_of_their_own(workers, data):
    """Runs never share an interpreter lock: the second concurrent run starts a second worker."""
    long = replace(QUICK, epochs=50, batch_size=32)
    first = workers.trainer(data, models.PRESETS["tutorial"], long).start()
    second = workers.trainer(data, models.PRESETS["tutorial"], long).start()
    wait_for(lambda: first.snapshot().status == second.snapshot().status == "running")
    assert first._worker is not second._worker and len(workers.pids()) == 2
    first.stop()
    second.stop()
    assert first.wait(60).status == second.wait(60).status == "stopped"


# --- a worker that dies loses nothing the server holds -----------------------------------------------


def test_a_killed_worker_interrupts_its_run_which_resumes_in_a_new_one(data, tmp_path):
    pool = Workers(max_workers=1, idle_s=600)
    try:
        run_dir = run_storage.new_run_dir(tmp_path, "killed")
        config = replace(QUICK, epochs=40, batch_size=32, checkpoint_every=1)
        trainer = pool.trainer(data, models.PRESETS["tutorial"], config, run_dir=run_dir).start()
        wait_for(lambda: trainer.snapshot().last_checkpoint_epoch >= 1)
        killed = pool.pids()[0]
        os.kill(killed, signal.SIGKILL)
        snap = trainer.wait(30)
        assert snap.status == "interrupted" and not trainer.active
        assert (
            "killed" in snap.message and f"checkpoint at epoch {snap.last_checkpoint_epoch}" in snap.message
        )
        assert run_storage.read_run(run_dir).resumable, "its checkpoints are on disk"

        resumed = pool.trainer(
            data,
            models.PRESETS["tutorial"],
            replace(config, epochs=snap.last_checkpoint_epoch + 1),
            resume_from=str(run_dir),
        ).start()  # the next need starts a new worker
        done = resumed.wait(180)
        assert done.status == "finished", done.message
        assert done.resumed_from_epoch == snap.last_checkpoint_epoch and pool.pids() != [killed]
    finally:
        pool.close()


def test_a_request_waiting_on_a_worker_that_dies_gets_a_sentence(data):
    pool = Workers(max_workers=1, idle_s=600)
    try:
        pool.call("status")
        os.kill(pool.pids()[0], signal.SIGKILL)
        wait_for(lambda: not pool.running, timeout=10)
        assert pool.call("status")["tensorflow"], "a new worker answers the next request"
    finally:
        pool.close()
    with pytest.raises(WorkerDied, match="stopped"):
        pool = Workers(max_workers=1, idle_s=600)
        try:
            worker = pool._for_inference()
            os.kill(worker.pid, signal.SIGKILL)
            worker.request("download", name="mnist")  # sent, or refused once the death is seen
        finally:
            pool.close()


# --- an idle worker goes, and its memory with it ------------------------------------------------------


def test_an_idle_worker_is_stopped(monkeypatch):
    monkeypatch.setattr("cnn_core.client.WATCH_EVERY_S", 0.2)
    pool = Workers(max_workers=1, idle_s=1.0)
    try:
        pid = pool.call("status")["pid"]
        wait_for(
            lambda: not pool.running and not alive(pid), timeout=20
        )  # gone, its memory back to the system
    finally:
        pool.close()


def test_a_need_that_comes_while_an_idle_worker_stops_waits_for_it_to_exit(monkeypatch):
    """Two TensorFlows never overlap: the new worker starts once the idle one has exited."""
    from cnn_core import client, worker_process

    monkeypatch.setattr(client, "WATCH_EVERY_S", 0.2)
    events: list[tuple[str, float]] = []
    real_stop, real_start = worker_process.WorkerProcess.stop, client.Workers._start

    def slow_stop(worker):
        events.append(("stopping", time.monotonic()))
        time.sleep(1.0)  # a worker that takes its time to quit
        real_stop(worker)
        events.append(("exited", time.monotonic()))

    def start(pool):
        events.append(("starting", time.monotonic()))
        return real_start(pool)

    monkeypatch.setattr(worker_process.WorkerProcess, "stop", slow_stop)
    monkeypatch.setattr(client.Workers, "_start", start)
    pool = Workers(max_workers=1, idle_s=0.5)
    try:
        first = pool.call("status")["pid"]
        wait_for(lambda: any(kind == "stopping" for kind, _ in events), timeout=20)
        second = pool.call("status")["pid"]  # asked while the first is quitting
        assert second != first and not alive(first)
        kinds = [kind for kind, _ in events]
        assert kinds[:4] == ["starting", "stopping", "exited", "starting"]
    finally:
        pool.close()
