"""The job registry (cnn_core/jobs.py, with its estimate cnn_core/wait_estimate.py and its words
cnn_core/job_words.py; plain Python, with fake trainers): a cap on runs at once, a fair line that
starts a waiting run by itself when a slot frees, owners who leave; and no Streamlit in it."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from cnn_core import formulas, job_words, jobs, wait_estimate
from cnn_core.jobs import JobRegistry
from cnn_core.training_config import ACTIVE_STATUSES


class FakeTrainer:
    """Enough of a Trainer for the registry: runs until finished or stopped; reports progress
    and speed the way a Trainer's snapshot does."""

    def __init__(self, epochs: int = 3):
        self.status = "preparing"
        self.started = threading.Event()
        self.epochs = epochs
        self.progress = 0.0
        self.images_per_second = 0.0

    def start(self):
        self.started.set()
        self.status = "running"
        return self

    def stop(self):
        self.status = "stopped"

    def finish(self):
        self.status = "finished"

    @property
    def active(self):
        return self.status in ACTIVE_STATUSES

    def snapshot(self):
        return SimpleNamespace(
            status=self.status,
            epoch=1 + int(self.progress * self.epochs),
            epochs=self.epochs,
            progress=self.progress,
            images_per_second=self.images_per_second,
            active=self.active,
        )


def registry(**kwargs) -> JobRegistry:
    kwargs.setdefault("max_jobs", 1)
    kwargs.setdefault("reap_every_s", None)  # the tests dispatch and reap by hand...
    kwargs.setdefault("owner_alive", lambda session: None)
    return JobRegistry(**kwargs)


def submit(reg: JobRegistry, owner: str, work_images: int = 18_000, **kwargs) -> jobs.Job:
    return reg.submit(owner, FakeTrainer(), f"{owner}'s run", "mnist", work_images=work_images, **kwargs)


def test_a_second_sessions_run_waits_with_its_place_and_starts_by_itself_when_the_first_ends():
    reg = registry(reap_every_s=60.0, dispatch_every_s=0.01)  # ...except here: the registry's thread
    first = submit(reg, "teacher")
    second = submit(reg, "student")
    assert first.active and first.trainer.snapshot().status == "running"
    assert second.queued and not second.trainer.started.is_set()
    assert reg.place(second.id) == 1 and reg.place(first.id) is None
    assert job_words.progress_words(second, reg) == "waiting, 1st in line"
    assert job_words.start_words(second, reg).startswith("Starts in about")

    first.trainer.finish()  # nobody calls the registry: its own thread must notice
    assert second.trainer.started.wait(5.0), "the waiting run did not start by itself"
    deadline = time.monotonic() + 5.0
    while second.queued and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not second.queued and second.active and reg.place(second.id) is None


def test_the_line_is_first_come_first_served():
    reg = registry()
    submit(reg, "a")
    waiting = [submit(reg, owner) for owner in ("b", "c", "d")]
    assert [reg.place(j.id) for j in waiting] == [1, 2, 3]
    assert [formulas.ordinal(reg.place(j.id)) for j in waiting] == ["1st", "2nd", "3rd"]
    reg.active_jobs()[0].trainer.finish()
    assert reg.dispatch() == [waiting[0]]
    assert [reg.place(j.id) for j in waiting] == [None, 1, 2]


def test_an_instructors_run_goes_to_the_front_after_other_instructor_runs():
    reg = registry()
    submit(reg, "running")
    students = [submit(reg, f"student-{i}") for i in range(3)]
    teacher = submit(reg, "teacher", front=True)
    assistant = submit(reg, "assistant", front=True)
    assert [j.owner for j in reg.line()] == ["teacher", "assistant", "student-0", "student-1", "student-2"]
    assert reg.place(teacher.id) == 1 and reg.place(students[0].id) == 3
    assert assistant.queued  # the front of the line, never ahead of a run already going


def test_leaving_the_line_frees_the_place_and_only_the_owner_may_leave():
    reg = registry()
    submit(reg, "a")
    b, c = submit(reg, "b"), submit(reg, "c")
    assert not reg.leave(b.id, "c")  # someone else's run
    assert reg.leave(b.id, "b")
    assert reg.get(b.id) is None and reg.place(c.id) == 1
    assert not reg.leave(b.id, "b")  # gone already
    reg.active_jobs()[0].trainer.finish()
    reg.dispatch()
    assert not b.trainer.started.is_set() and c.trainer.started.is_set()
    assert not reg.leave(c.id, "c")  # running now: Stop ends it, not leave


def test_a_waiting_run_whose_owner_left_is_dropped_from_the_line():
    now = [0.0]
    connected = {"tab-a": True, "tab-b": True, "tab-c": True}
    reg = registry(owner_timeout_s=60, owner_alive=lambda s: connected.get(s), clock=lambda: now[0])
    reg.submit("a", FakeTrainer(), "a", "mnist", "tab-a", work_images=1)
    b = reg.submit("b", FakeTrainer(), "b", "mnist", "tab-b", work_images=1)
    c = reg.submit("c", FakeTrainer(), "c", "mnist", "tab-c", work_images=1)
    connected["tab-b"] = False  # b closed the tab
    now[0] = 30.0
    assert reg.reap() == [] and reg.place(b.id) == 1  # a flaky connection keeps its place a while
    now[0] = 91.0
    assert reg.reap() == [b]
    assert reg.get(b.id) is None and reg.place(c.id) == 1
    assert not b.trainer.started.is_set()


def test_an_experiment_sets_runs_go_on_after_their_owner_left():
    now = [0.0]
    reg = registry(owner_timeout_s=60, owner_alive=lambda s: False, clock=lambda: now[0])
    running = reg.submit(
        "teacher", FakeTrainer(), "set 1", "mnist", "tab", work_images=1, group="comparisons"
    )
    waiting = reg.submit(
        "teacher", FakeTrainer(), "set 2", "mnist", "tab", work_images=1, group="comparisons"
    )
    own = reg.submit("teacher", FakeTrainer(), "own", "mnist", "tab", work_images=1)
    reg.reap()
    now[0] = 1000.0  # the page was closed long ago
    assert reg.reap() == [own]  # the class's set keeps going and keeps its place
    assert running.trainer.status == "running" and reg.place(waiting.id) == 1
    running.trainer.finish()
    assert reg.dispatch() == [waiting]


def test_the_estimate_is_the_work_ahead_over_the_measured_speed():
    reg = registry(default_images_per_s=1000.0)
    running = submit(reg, "a", work_images=30_000)
    b = submit(reg, "b", work_images=20_000)
    c = submit(reg, "c", work_images=10_000)
    overhead = wait_estimate.START_OVERHEAD_S
    # Before a speed is measured: the named default rate, and the run ahead still preparing.
    running.trainer.status = "preparing"
    assert reg.estimated_start_s(b.id) == pytest.approx(overhead + 30.0)
    # Measured: 2,000 images/s, a third done: 20,000 images left = 10 s for b, then b's 20,000.
    running.trainer.status, running.trainer.progress, running.trainer.images_per_second = (
        "running",
        1 / 3,
        2000.0,
    )
    assert reg.estimated_start_s(b.id) == pytest.approx(10.0)
    assert reg.estimated_start_s(c.id) == pytest.approx(10.0 + overhead + 10.0)
    assert reg.estimated_start_s(running.id) is None
    # Once the run has ended, its measured speed is remembered for the next estimate.
    running.trainer.finish()
    assert reg.dispatch() == [b]
    b.trainer.status = "preparing"  # started, not measured yet
    assert reg.images_per_second() == 2000.0
    assert reg.estimated_start_s(c.id) == pytest.approx(overhead + 20_000 / 2000.0)


def test_two_slots_share_the_work_ahead():
    reg = registry(max_jobs=2, default_images_per_s=1000.0)
    a, b = submit(reg, "a", work_images=10_000), submit(reg, "b", work_images=40_000)
    for job in (a, b):
        job.trainer.images_per_second = 1000.0
    c, d = submit(reg, "c", work_images=5_000), submit(reg, "d", work_images=5_000)
    assert reg.estimated_start_s(c.id) == pytest.approx(10.0)  # a's slot frees first
    assert reg.estimated_start_s(d.id) == pytest.approx(10.0 + wait_estimate.START_OVERHEAD_S + 5.0)


def test_a_run_that_cannot_start_does_not_hold_the_line():
    reg = registry()
    first = submit(reg, "a")
    broken = FakeTrainer()
    broken.start = lambda: (_ for _ in ()).throw(RuntimeError("no memory"))
    bad = reg.submit("b", broken, "b", "mnist", work_images=1)
    good = submit(reg, "c")
    first.trainer.finish()
    assert reg.dispatch() == [good]
    assert reg.get(bad.id) is None and "no memory" in bad.stop_reason


def test_the_instructor_token_is_compared_whole_and_never_matches_when_unset(monkeypatch):
    monkeypatch.delenv(jobs.INSTRUCTOR_TOKEN_ENV, raising=False)
    assert not jobs.is_instructor_token("")
    assert not jobs.is_instructor_token("anything")
    monkeypatch.setenv(jobs.INSTRUCTOR_TOKEN_ENV, "s3cret-token")
    assert jobs.is_instructor_token("s3cret-token")
    assert not jobs.is_instructor_token("s3cret")
    assert not jobs.is_instructor_token(None)


def test_the_sidebar_words_say_where_a_run_is():
    reg = registry()
    running = submit(reg, "a")
    waiting = submit(reg, "b")
    running.trainer.progress = 0.5
    assert job_words.progress_words(running, reg) == "epoch 2 of 3"
    assert job_words.progress_words(waiting, reg) == "waiting, 1st in line"
    assert job_words.start_words(running, reg) is None
    assert [job_words.wait_words(s) for s in (3, 44, 60, 61, 600)] == [
        "10 s",
        "40 s",
        "1 min",
        "2 min",
        "10 min",
    ]
    running.trainer.finish()
    assert job_words.progress_words(running, reg) == "finished"


def test_a_run_waiting_in_line_holds_no_model_and_starts_no_worker():
    import subprocess
    import sys
    from pathlib import Path

    code = """
import sys
from cnn_core import datasets, models
from cnn_core.client import Workers
from cnn_core.remote_trainer import RemoteTrainer
from cnn_core.jobs import JobRegistry
from cnn_core.training_config import TrainingConfig

data = datasets.load_dataset("mnist", "bundled")
workers = Workers()
reg = JobRegistry(max_jobs=1, reap_every_s=None, trainer_factory=workers.trainer)  # the app's factory
class Busy:
    active = True
    def start(self): return self
reg.submit("teacher", Busy(), "busy", "mnist", work_images=1)
trainer = reg.make_trainer(data, models.PRESETS["tutorial"], TrainingConfig(epochs=1))
assert isinstance(trainer, RemoteTrainer)
job = reg.submit("student", trainer, trainer.label, "mnist", work_images=5400)
print(job.queued, trainer.model is None, workers.running,
      "tensorflow" in sys.modules, "streamlit" in sys.modules)
workers.close()
"""
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.split() == ["True", "True", "False", "False", "False"]  # no worker, no Streamlit either


# ----- the cap, and owners who leave --------------------------------------------------------------


def test_the_job_cap_puts_a_second_run_in_line_until_the_first_ends():
    registry = JobRegistry(max_jobs=1, reap_every_s=None)
    first = registry.submit("teacher", FakeTrainer(), "Tutorial on MNIST", "mnist", work_images=60_000)
    assert first.trainer.started.is_set() and first.active and not registry.can_start()
    second = registry.submit("student", FakeTrainer(), "Strong on MNIST", "mnist", work_images=60_000)
    assert second.queued and not second.trainer.started.is_set() and registry.place(second.id) == 1
    assert [j.title for j in registry.active_jobs()] == ["Tutorial on MNIST"]  # anyone may watch

    first.trainer.finish()
    assert registry.dispatch() == [second]
    assert second.trainer.started.is_set() and not second.queued


def test_the_cap_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CNN_EXPLORER_MAX_JOBS", "2")
    registry = JobRegistry(reap_every_s=None)
    registry.submit("a", FakeTrainer(), "one", "mnist", work_images=1)
    registry.submit("b", FakeTrainer(), "two", "mnist", work_images=1)
    assert not registry.can_start()
    monkeypatch.setenv("CNN_EXPLORER_MAX_JOBS", "many")
    assert jobs.max_jobs_from_env() == 1
    monkeypatch.delenv("CNN_EXPLORER_MAX_JOBS")
    assert jobs.max_jobs_from_env() == 1


def test_a_job_whose_owner_left_stops_after_the_timeout():
    now = [0.0]
    connected = {"tab-1": True}
    registry = JobRegistry(
        max_jobs=1,
        owner_timeout_s=60,
        owner_alive=lambda s: connected.get(s),
        clock=lambda: now[0],
        reap_every_s=None,
    )
    job = registry.submit("teacher", FakeTrainer(), "Tutorial", "mnist", owner_session="tab-1", work_images=1)
    connected["tab-1"] = False  # the tab was closed
    now[0] = 30.0
    assert registry.reap() == [] and job.active  # a flaky connection gets its grace period
    assert not registry.owner_present(job)
    now[0] = 91.0
    assert registry.reap() == [job] and not job.active
    assert "left more than 60 s ago" in job.stop_reason


def test_without_a_runtime_the_owner_is_present_while_it_keeps_looking():
    now = [0.0]
    registry = JobRegistry(
        owner_timeout_s=60, owner_alive=lambda s: None, clock=lambda: now[0], reap_every_s=None
    )
    job = registry.submit("teacher", FakeTrainer(), "Tutorial", "mnist", work_images=1)
    now[0] = 50.0
    registry.touch(job.id, "teacher")
    now[0] = 100.0
    assert registry.reap() == [] and job.active
    now[0] = 111.0
    assert registry.reap() == [job]


def test_a_session_may_take_over_a_run_only_once_its_owner_left():
    connected = {"tab-1": True}
    registry = JobRegistry(owner_alive=lambda s: connected.get(s), reap_every_s=None)
    job = registry.submit("teacher", FakeTrainer(), "Tutorial", "mnist", owner_session="tab-1", work_images=1)
    with pytest.raises(ValueError, match="still connected"):
        registry.take_over(job.id, "student", "tab-2")
    connected["tab-1"] = False
    assert registry.take_over(job.id, "teacher-again", "tab-3").owner == "teacher-again"


def test_the_registry_builds_trainers_with_its_factory_and_gives_jobs_its_default_page():
    made = []

    def factory(dataset, model_config, config, run_dir=None, resume_from=None):
        made.append((dataset, model_config, config, run_dir, resume_from))
        return FakeTrainer()

    reg = registry(trainer_factory=factory, default_page="app_pages/training.py")
    trainer = reg.make_trainer("data", "model", "config", run_dir="runs/x")
    assert made == [("data", "model", "config", "runs/x", None)]
    job = reg.submit("a", trainer, "a's run", "mnist", work_images=1)
    quick = reg.submit("b", FakeTrainer(), "b's run", "mnist", work_images=1, page="app_pages/predictions.py")
    assert job.page == "app_pages/training.py" and quick.page == "app_pages/predictions.py"
