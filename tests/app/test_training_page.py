"""The Training page, driven as a learner or an instructor would, with a fast fake trainer.

The fake (tests/app/fake_trainer.py, handed to the page by the ``trainers`` fixture of
tests/app/conftest.py) stands in for the worker's run (cnn_core.remote_trainer.RemoteTrainer,
tested in tests/unit):
it advances only when a test says so, so every assertion here is about what the page shows and what it asks
of the trainer. A run_every fragment does not tick under AppTest: each at.run() runs it once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnn_core import models, run_storage, training_config
from cnn_core.jobs import INSTRUCTOR_TOKEN_ENV
from cnn_core.worker.divergence import divergence_message
from tests.app.conftest import open_app_page, url_param
from tests.app.fake_trainer import FakeTrainer
from ui import jobs
from ui.common import MODEL_CONFIG_KEY, MODEL_PRESET_KEY, TRAINED_MODEL_KEY

PAGE = "app_pages/training.py"


def button(at, label):
    return next(b for b in at.button if b.label == label)


def texts(at):
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [s.value for s in at.success]
    parts += [lx.value for lx in at.latex]
    return "\n".join(parts)


def progress_text(at):
    return at.get("progress")[0].proto.text


def start(open_page, **state):
    at = open_page(PAGE, **state)
    button(at, "Start training").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# ----- before a run: what will be trained, with which settings --------------------------------


def test_the_page_names_the_data_and_model_and_starts_from_the_tutorials_settings(open_page, trainers):
    at = open_page(PAGE)
    assert not at.exception
    assert at.title[0].value == "Train the network"
    shown = texts(at)
    assert "MNIST" in shown and "bundled offline sample" in shown
    assert "Tutorial · 235,262 parameters" in shown
    assert "Conv 24 → pool → Conv 36 → pool → Dense 128 → Dropout 0.5 → Dense 10" in shown
    assert at.selectbox(key="train_optimizer").value == "adam"
    assert at.select_slider(key="train_lr").value == 0.01
    assert at.select_slider(key="train_batch").value == 256
    assert at.number_input(key="train_epochs").value == 10
    assert at.radio(key="train_loop").value == "fit"
    assert at.number_input(key="train_checkpoint").value == 10
    assert not button(at, "Start training").disabled
    assert not at.get("progress")  # nothing runs, nothing polls


def test_the_model_pages_choice_is_trained_with_its_presets_settings(open_page, trainers):
    at = open_page(PAGE, **{MODEL_CONFIG_KEY: models.PRESETS["strong"], MODEL_PRESET_KEY: "strong"})
    assert "Strong ·" in texts(at)
    strong = training_config.training_defaults("strong")
    assert at.number_input(key="train_epochs").value == strong.epochs
    assert at.select_slider(key="train_lr").value == strong.learning_rate
    assert at.selectbox(key="train_schedule").value == strong.schedule


def test_the_formula_uses_the_learners_numbers(open_page, trainers):
    at = open_page(PAGE)
    assert r"\left\lceil \frac{5,400}{256} \right\rceil = 22" in texts(at)
    at.select_slider(key="train_batch").set_value(128).run()
    at.number_input(key="train_epochs").set_value(3).run()
    shown = texts(at)
    assert r"\frac{5,400}{128} \right\rceil = 43" in shown and r"E \times 43 = 129" in shown
    assert "with B = 128 the weights move 43 times per epoch" in shown


# ----- a run: start, watch, steer --------------------------------------------------------------


def test_start_trains_the_chosen_settings_in_the_background_and_shows_progress(open_page, trainers):
    at = open_page(PAGE)
    at.selectbox(key="train_optimizer").set_value("sgd")
    at.select_slider(key="train_lr").set_value(0.1)
    at.radio(key="train_loop").set_value("custom")
    at.number_input(key="train_epochs").set_value(3).run()
    button(at, "Start training").click().run()

    assert not at.exception, [e.value for e in at.exception]
    (trainer,) = trainers
    assert trainer.calls == ["start"]
    assert (
        trainer.config.optimizer,
        trainer.config.learning_rate,
        trainer.config.loop,
        trainer.config.epochs,
    ) == ("sgd", 0.1, "custom", 3)
    assert trainer.folder is not None  # checkpoints every 10 epochs need a folder
    assert button(at, "Start training").disabled  # one run per session
    assert at.select_slider(key="train_lr").disabled  # settings are locked while it runs

    trainer.advance(7)
    at.run()
    assert progress_text(at).startswith("Epoch 2 of 3 · batch 2 of 5 · 6,912 images/s · ETA 0:42")
    assert "CPU · 2 threads" in progress_text(at)
    assert len(at.get("vega_lite_chart")) == 4  # loss and accuracy, per batch and per epoch


def test_pause_resume_stop_and_a_live_learning_rate_reach_the_trainer(open_page, trainers):
    at = start(open_page)
    (trainer,) = trainers
    trainer.advance(2)
    at.run()
    at.button(key="train_pause").click().run()
    assert trainer.status == "paused" and progress_text(at).startswith("Paused ·")
    at.button(key="train_resume").click().run()
    assert trainer.status == "running"

    live = next(s for s in at.select_slider if s.label == "Learning rate η, live")
    live.set_value(0.001).run()
    assert trainer.learning_rate == 0.001 and "lr=0.001" in trainer.calls

    at.button(key="train_stop").click().run()
    assert trainer.calls[-1] == "stop"
    at.run()
    assert all(b.key != "train_stop" for b in at.button)
    assert not button(at, "Start training").disabled  # a new run may start


def test_a_live_learning_rate_change_shows_in_the_runs_title_and_on_its_curves(open_page, trainers):
    at = start(open_page)  # the tutorial's η = 0.01
    (trainer,) = trainers
    trainer.advance(7)  # epoch 2, batch 3 next
    at.run()
    assert "Adam η=0.01**" in texts(at)
    next(s for s in at.select_slider if s.label == "Learning rate η, live").set_value(0.03).run()
    trainer.advance(4)
    at.run()
    assert not at.exception
    assert "Adam η=0.03 (changed live: 0.01 → 0.03 at epoch 2, batch 3)" in texts(at)
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(specs) == 4  # per batch and per epoch: each marks the change at 7/5 epochs
    for spec in specs:
        (rule,) = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
        assert rule["data"]["values"][0]["epoch"] == pytest.approx(7 / 5)
    trainer.finish()
    at.run()
    assert "0.01 → 0.03" in at.session_state[TRAINED_MODEL_KEY].label  # the model handed on says so


def test_the_checkpoint_line_names_the_run_and_epoch_never_a_server_path(open_page, trainers, tmp_path):
    at = start(open_page)
    (trainer,) = trainers
    trainer.advance(6)
    folder = "/srv/app/runs/20261201-212000-tutorial-on-mnist"
    trainer.checkpoint = (f"{folder}/checkpoints/epoch-0001.keras", 1)
    at.run()
    assert not at.exception
    line = next(c.value for c in at.caption if c.value.startswith("Last checkpoint"))
    assert line.startswith("Last checkpoint: epoch 1 of 10 · Tutorial on MNIST") and "η=0.01" in line
    shown = texts(at) + " ".join(m.label + str(m.value) for m in at.metric)
    assert "/srv" not in shown and "epoch-0001" not in shown and str(tmp_path) not in shown
    trainer.finish()
    at.run()
    assert "/srv" not in texts(at) and str(tmp_path) not in texts(at)


def test_a_finished_run_shows_the_learning_curve_test_accuracy_and_a_download(open_page, trainers):
    at = start(open_page)
    trainers[0].finish(test_accuracy=0.908)
    at.run()
    assert not at.exception
    assert any(m.label == "Test accuracy" and m.value == "90.8%" for m in at.metric)
    assert r"\frac{908}{1,000}" in texts(at)  # right / N_test with this dataset's numbers
    assert at.get("imgs") or at.get("image")  # the tutorial's twin-axis learning curve
    (download,) = [d for d in at.get("download_button") if ".keras" in d.label]
    assert download.label == "Download the model (.keras)"
    handed = at.session_state[TRAINED_MODEL_KEY]
    assert handed.model is trainers[0].model and handed.dataset_name == "mnist"
    assert "test accuracy 0.908" in handed.label
    assert "on the Predictions page now" in texts(at)


def test_leaving_the_page_and_coming_back_shows_the_same_run_still_going(open_page, trainers):
    at = start(open_page)
    trainers[0].advance(3)
    at.switch_page("app_pages/home.py").run()
    trainers[0].advance(3)
    at.switch_page(PAGE).run()
    assert not at.exception
    assert len(trainers) == 1 and trainers[0].status == "running"
    assert progress_text(at).startswith("Epoch 2 of 10 · batch 1 of 5")
    assert at.number_input(key="train_epochs").value == 10  # settings kept too


# ----- other sessions, limits and failures --------------------------------------------------------


def test_another_session_is_told_a_run_is_going_may_watch_it_but_not_steer_it(open_page, trainers):
    from cnn_core.datasets import load_dataset

    data = load_dataset("mnist", "bundled")
    other = FakeTrainer(data, models.PRESETS["tutorial"], training_config.TrainingConfig())
    jobs.get_registry().submit(
        "someone-else", other, "Tutorial on MNIST · 10 epochs", "mnist", work_images=54_000
    )
    other.advance(6)

    at = open_page(PAGE)
    assert not at.exception
    shown = texts(at)
    assert "A run is in progress in another session" in shown and "Tutorial on MNIST" in shown
    assert "1 is ahead of you: press Start and yours waits in line" in shown
    assert "MAX_JOBS" not in shown and "at most 1 run" not in shown  # never a wall, nor an admin setting
    assert at.toggle(key="train_watch").value is True
    assert progress_text(at).startswith("Epoch 2 of 10")
    assert "watching another session's run" in texts(at)
    assert all(b.key not in ("train_pause", "train_stop") for b in at.button)

    other.finish()
    at.run()
    assert not button(at, "Start training").disabled
    assert "Your run is going" not in texts(at)
    # The watcher still sees how the run ended, and may take its model to the predictions page.
    assert any(m.label == "Test accuracy" for m in at.metric)
    assert TRAINED_MODEL_KEY not in at.session_state  # not theirs until they ask
    button(at, "Use this model on the Predictions page").click().run()
    assert at.session_state[TRAINED_MODEL_KEY].model is other.model


def test_a_run_whose_owner_left_can_be_taken_over(open_page, trainers):
    from cnn_core.datasets import load_dataset

    registry = jobs.get_registry()
    other = FakeTrainer(
        load_dataset("mnist", "bundled"), models.PRESETS["tutorial"], training_config.TrainingConfig()
    )
    job = registry.submit(
        "gone", other, "Tutorial on MNIST", "mnist", owner_session="closed-tab", work_images=54_000
    )
    registry._owner_alive = lambda session: False if session == "closed-tab" else None
    at = open_page(PAGE)
    button(at, "Take over this run").click().run()
    assert not at.exception
    assert job.owner == at.session_state[jobs.OWNER_KEY]
    assert at.button(key="train_stop")


def test_a_run_that_diverged_says_what_happened_and_what_to_try(open_page, trainers):
    at = start(open_page)
    message = divergence_message(float("nan"), [2.3], 3.0, "epoch 1, batch 4")
    trainers[0].advance(4)
    trainers[0].fail(message)
    at.run()
    assert not at.exception
    assert any("loss became NaN" in e.value and "lower learning rate" in e.value for e in at.error)
    assert TRAINED_MODEL_KEY not in at.session_state  # a broken network is not handed on


def test_a_refused_start_is_a_sentence_not_a_traceback(open_page, trainers, monkeypatch):
    def refuse(*args, **kwargs):
        raise ValueError("The batch size must be a whole number of at least 1, not 0.")

    monkeypatch.setattr(jobs, "make_trainer", refuse)
    at = start(open_page)
    assert any("batch size must be a whole number" in e.value for e in at.error)


def test_an_interrupted_run_can_be_resumed_from_its_checkpoint(open_page, trainers, tmp_path):
    run = tmp_path / "runs" / "20260101-120000-tutorial"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "epoch-0004.keras").write_bytes(b"PK")
    (run / "checkpoints" / "epoch-0004.json").write_text("{}")
    (run / "run.json").write_text(
        json.dumps(
            {
                "label": "Tutorial on MNIST · 10 epochs · Adam η=0.01",
                "status": "running",
                "created": "2026-01-01T12:00:00",
                "dataset": {"name": "mnist", "source": "bundled"},
                "model_config": run_storage.model_config_to_dict(models.PRESETS["tutorial"]),
                "training": {"epochs": 10, "checkpoint_every": 2},
            }
        )
    )
    at = open_page(PAGE)
    runs = next(s for s in at.selectbox if s.label == "Run")
    assert "checkpoint at epoch 4 of 10" in runs.options[0]
    button(at, "Resume this run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (trainer,) = trainers
    assert trainer.resume_from == str(run) and trainer.calls == ["start"]


def test_a_run_whose_worker_died_says_so_and_resumes_from_its_last_checkpoint(open_page, trainers):
    at = start(open_page)
    (trainer,) = trainers
    trainer.advance(12)  # two epochs and a bit
    run = Path(trainer.folder)
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "epoch-0002.keras").write_bytes(b"PK")
    (run / "checkpoints" / "epoch-0002.json").write_text("{}")
    (run / "run.json").write_text(
        json.dumps(
            {
                "label": trainer.label,
                "status": "running",
                "created": "2026-01-01T12:00:00",
                "dataset": {"name": "mnist", "source": "bundled"},
                "model_config": run_storage.model_config_to_dict(models.PRESETS["tutorial"]),
                "training": {"epochs": 10, "checkpoint_every": 1},
            }
        )
    )
    trainer.checkpoint = (str(run / "checkpoints" / "epoch-0002.keras"), 2)
    trainer.interrupt(
        "The TensorFlow worker stopped during epoch 3: it was killed, most often because the "
        "machine ran out of memory. Its checkpoints are kept: resume it from its checkpoint at epoch 2."
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("worker stopped during epoch 3" in w.value for w in at.warning)
    assert "Your last run was interrupted" in texts(at)
    button(at, "Resume from epoch 2").click().run()
    assert not at.exception, [e.value for e in at.exception]
    resumed = trainers[-1]
    assert resumed is not trainer and resumed.resume_from == str(run) and resumed.calls == ["start"]


# ----- instructor links -----------------------------------------------------------------------


class TestInstructorLinks:
    """An instructor shares a link that opens the page with the lesson's data, network and settings."""

    @staticmethod
    def open_link(**query):
        at = open_app_page(PAGE, query=query)
        assert not at.exception, [e.value for e in at.exception]
        return at

    def test_a_link_sets_the_data_network_and_settings_and_the_run_uses_them(self, trainers):
        at = self.open_link(
            dataset_name="fashion_mnist",
            model_config="exercise2",
            train_lr="0.001",
            train_epochs="3",
            train_loop="custom",
            train_batch="128",
        )
        assert "Fashion-MNIST" in texts(at) and "Tutorial + exercise 2" in texts(at)
        button(at, "Start training").click().run()
        trainer = trainers[-1]
        assert trainer.dataset.name == "fashion_mnist"
        assert trainer.model_config == models.PRESETS["exercise2"]
        assert (trainer.config.learning_rate, trainer.config.epochs) == (0.001, 3)
        assert (trainer.config.loop, trainer.config.batch_size) == ("custom", 128)

    def test_moving_a_control_puts_it_in_the_url(self, trainers):
        at = self.open_link()
        next(n for n in at.number_input if n.label == "Epochs E").set_value(4).run()
        assert url_param(at, "train_epochs") == "4"
        assert "train_lr" not in at.query_params  # the preset's default stays implicit

    def test_a_tampered_link_falls_back_to_the_defaults_with_a_notice(self, trainers):
        at = self.open_link(
            train_epochs="1000000000", train_lr="banana", model_config="resnet152", dataset_name="imagenet"
        )
        notice = " ".join(
            w.value for w in at.warning
        )  # one notice for the data and network, one for settings
        for bad in (
            "train_epochs=1000000000",
            "train_lr=banana",
            "model_config=resnet152",
            "dataset_name=imagenet",
        ):
            assert bad in notice
        assert next(n for n in at.number_input if n.label == "Epochs E").value == 10
        assert "Tutorial" in texts(at) and "MNIST" in texts(at)

    def test_a_lesson_can_hide_controls_and_still_fix_their_values(self, trainers):
        at = self.open_link(train_lr="0.1", hide="train_lr,train_optimizer")
        assert not [s for s in at.select_slider if s.label == "Learning rate η"]
        assert not [s for s in at.selectbox if s.label == "Optimizer"]
        button(at, "Start training").click().run()
        assert trainers[-1].config.learning_rate == 0.1


# ----- the device: mixed precision on a GPU only ------------------------------------------------


def fake_accelerator(monkeypatch, kind, description, replicas=1, nvidia=False):
    """Make the worker's device a given one, as it answers once a worker runs: the sidebar then
    names it."""
    from cnn_core import accelerators
    from ui import worker

    acc = accelerators.Accelerator(kind, None, description, replicas)
    monkeypatch.setattr(worker, "device", lambda: acc)
    monkeypatch.setattr(accelerators, "nvidia_gpu_present", lambda: nvidia)
    return acc


def test_on_a_cpu_there_is_no_mixed_precision_switch_and_the_run_says_where_it_trains(
    open_page, trainers, monkeypatch
):
    fake_accelerator(monkeypatch, "CPU", "CPU · 2 threads")
    at = open_page(PAGE)
    assert not at.exception
    assert not [t for t in at.toggle if t.key == "train_mixed_precision"]
    button(at, "Start training").click().run()
    (trainer,) = trainers
    assert trainer.config.mixed_precision is False
    assert "Adam η=0.01** · on CPU · 2 threads" in texts(at)


def test_on_a_gpu_mixed_precision_is_offered_and_goes_into_the_run(open_page, trainers, monkeypatch):
    fake_accelerator(monkeypatch, "GPU", "2 GPUs: NVIDIA H100", replicas=2, nvidia=True)
    at = open_page(PAGE)
    assert not at.exception
    switch = at.toggle(key="train_mixed_precision")
    assert switch.label == "Mixed precision (float16 on 2 GPUs: NVIDIA H100)" and not switch.value
    assert "Each of the 2 GPUs trains on 128 of every 256 images" in texts(at)
    assert "**Device:** 2 GPUs: NVIDIA H100" in [c.value for c in at.sidebar.caption]
    switch.set_value(True).run()
    button(at, "Start training").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (trainer,) = trainers
    assert trainer.config.mixed_precision is True
    assert " · mixed precision · Adam η=0.01" in trainer.label
    assert at.toggle(key="train_mixed_precision").disabled  # locked while the run goes


def test_a_gpu_tensorflow_does_not_use_is_pointed_out_in_the_sidebar(open_page, trainers, monkeypatch):
    fake_accelerator(monkeypatch, "CPU", "CPU · 8 threads", nvidia=True)
    at = open_page(PAGE)
    assert not [t for t in at.toggle if t.key == "train_mixed_precision"]
    device = next(c.value for c in at.sidebar.caption if c.value.startswith("**Device:**"))
    assert "NVIDIA GPU is here but TensorFlow does not use it" in device
    assert "python -m cnn_core devices" in device


# ----- the line: a run asked for while another trains waits, then starts by itself ---------------


def someone_elses_run(owner="the-instructor", **kwargs):
    """Another session's run, already training (submitted straight to the registry)."""
    from cnn_core.datasets import load_dataset

    trainer = FakeTrainer(
        load_dataset("mnist", "bundled"), models.PRESETS["tutorial"], training_config.TrainingConfig()
    )
    jobs.get_registry().submit(
        owner, trainer, "Tutorial on MNIST · 10 epochs", "mnist", work_images=54_000, **kwargs
    )
    trainer.advance(6)
    return trainer


def test_a_second_session_pressing_start_gets_a_place_in_line_and_its_run_starts_by_itself(
    open_page, trainers
):
    other = someone_elses_run()
    at = start(open_page)
    (mine,) = trainers
    shown = texts(at)
    assert "Your run is 1st in line" in shown and "should start in about" in shown
    assert "images/s, this server's speed" in shown
    assert mine.calls == [] and not at.error  # waiting, not refused, and not started
    assert button(at, "Start training").disabled  # one run per session, waiting or going
    assert at.select_slider(key="train_lr").disabled
    assert "watching another session's run" in texts(at)  # meanwhile, the running one live
    assert progress_text(at).startswith("Epoch 2 of 10")

    at.switch_page("app_pages/convolution.py").run()  # the line survives page changes
    assert "Your run: waiting, 1st in line" in sidebar_links(at)
    (waiting,) = [p for p in at.get("page_link") if p.proto.label.startswith("Your run")]
    assert waiting.proto.help.startswith("Starts in about")
    other.finish()
    jobs.get_registry().dispatch()  # what the registry's own thread does within a fraction of a second
    assert mine.calls == ["start"]
    assert "Your run: epoch 1 of 10" in sidebar_links(at.run())
    at.switch_page(PAGE).run()  # the owner comes back and finds it running
    assert not at.exception
    assert "Your run is going: steer it below." in texts(at)
    assert at.button(key="train_stop") and "in line" not in texts(at)


def test_a_waiting_run_may_leave_the_line_and_start_is_offered_again(open_page, trainers):
    someone_elses_run()
    at = start(open_page)
    (mine,) = trainers
    registry = jobs.get_registry()
    assert [j.trainer for j in registry.line()] == [mine]
    at.button(key="train_leave").click().run()
    assert not at.exception
    assert registry.line() == [] and jobs.JOB_KEY not in at.session_state
    assert mine.calls == []  # it never started
    assert "Your run is 1st in line" not in texts(at) and not button(at, "Start training").disabled
    assert "press Start and yours waits in line" in texts(at)  # as before pressing Start


def test_a_run_that_ended_keeps_its_result_on_screen_when_the_next_in_line_starts(open_page, trainers):
    at = start(open_page)
    (mine,) = trainers
    other = someone_elses_run(owner="next-student")  # waits in line behind mine
    mine.stop()
    jobs.get_registry().dispatch()  # the next run starts the moment mine ends
    assert other.calls == ["start"]
    at.run()
    assert not at.exception
    assert any(m.label == "Test accuracy" for m in at.metric)  # my result, not the next run
    assert "watching another session's run" not in texts(at) and "Your run is going" not in texts(at)
    assert at.toggle(key="train_watch").value is False  # offered, not imposed
    at.toggle(key="train_watch").set_value(True).run()
    assert "watching another session's run" in texts(at)


def test_a_run_in_line_may_leave_it(open_page, trainers):
    someone_elses_run()
    at = start(open_page)
    at.button(key="train_leave").click().run()
    assert not at.exception
    assert jobs.get_registry().line() == [] and trainers[0].calls == []
    assert not button(at, "Start training").disabled and "in line" not in texts(at).replace(
        "waits in line", ""
    )


def test_an_instructors_link_puts_their_run_at_the_front_and_the_token_never_shows(trainers, monkeypatch):
    monkeypatch.setenv(INSTRUCTOR_TOKEN_ENV, "class-of-2026-secret")
    someone_elses_run(owner="first-student")
    someone_elses_run(owner="second-student")
    at = open_app_page(PAGE, query={"instructor": "class-of-2026-secret"})
    assert url_param(at, "instructor") is None  # out of the address bar at once
    button(at, "Start training").click().run()
    assert not at.exception
    assert "Your run is 1st in line" in texts(at)
    assert [j.owner for j in jobs.get_registry().line()][1:] == ["second-student"]
    page_text = texts(at) + " ".join(str(v) for v in at.query_params.values())
    assert at.get("code")  # the share box's link is on the page...
    assert "class-of-2026-secret" not in page_text and "class-of-2026-secret" not in share_link(
        at
    )  # ...without it


def test_a_wrong_instructor_token_changes_nothing(trainers, monkeypatch):
    monkeypatch.setenv(INSTRUCTOR_TOKEN_ENV, "class-of-2026-secret")
    someone_elses_run(owner="first-student")
    someone_elses_run(owner="second-student")
    at = open_app_page(PAGE, query={"instructor": "guess"})
    button(at, "Start training").click().run()
    assert "Your run is 2nd in line" in texts(at)


def test_after_a_run_finished_the_page_no_longer_says_it_is_going(open_page, trainers):
    at = start(open_page)
    assert "Your run is going: steer it below." in texts(at)
    trainers[0].finish()
    at.run()
    assert "Your run is going" not in texts(at)
    assert "Your last run has ended" in texts(at)


def test_a_run_that_ends_while_the_page_script_runs_is_never_left_shown_as_going(
    open_page, trainers, monkeypatch
):
    """The run ends midway through a rerun of the page (its test evaluation finishing while the
    script draws the settings): the page must not end up saying it is going above its result,
    with nothing left polling to correct it."""
    at = start(open_page)
    assert "Your run is going: steer it below." in texts(at)
    real_list_runs = run_storage.list_runs

    def list_runs_as_the_run_ends(*args, **kwargs):  # called between the top and the live panel
        if trainers[0].active:
            trainers[0].finish()
        return real_list_runs(*args, **kwargs)

    monkeypatch.setattr(run_storage, "list_runs", list_runs_as_the_run_ends)
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "Test accuracy" in [m.label for m in at.metric]
    assert "your run is going" not in shown.lower()  # neither next to Start nor over the settings
    assert "Your last run has ended" in shown
    assert not button(at, "Start training").disabled


def test_the_sidebar_line_follows_a_run_for_its_owner_and_its_watchers(open_page, trainers):
    at = start(open_page)
    trainers[0].advance(6)
    assert not [label for label in sidebar_links(at) if label.startswith("Your run")]  # this page shows it
    at.switch_page("app_pages/pooling.py").run()
    (link,) = [p for p in at.get("page_link") if p.proto.label.startswith("Your run")]
    assert link.proto.label == "Your run: epoch 2 of 10" and link.proto.page.endswith("training")

    watcher = open_page(PAGE)  # another session, watching it live
    watcher.switch_page("app_pages/home.py").run()
    assert "Watching: epoch 2 of 10" in sidebar_links(watcher)
    trainers[0].finish()
    assert not [label for label in sidebar_links(at.run()) if label.startswith("Your run")]


def sidebar_links(at) -> list[str]:
    return [p.proto.label for p in at.get("page_link")]


def share_link(at) -> str:
    return " ".join(str(c.value) for c in at.get("code")) + " ".join(t.value for t in at.text_input)


def test_the_sidebar_line_never_loads_tensorflow_on_a_light_page():
    import subprocess
    import sys

    from tests.app.conftest import ROOT

    code = f"""
import sys
from types import SimpleNamespace
from streamlit.testing.v1 import AppTest
from ui import jobs

class Running:
    active = True
    def start(self): return self
    def stop(self): pass
    def snapshot(self):
        return SimpleNamespace(status="running", epoch=2, epochs=10, progress=0.1, images_per_second=5000.0)

job = jobs.get_registry().submit("me", Running(), "Tutorial", "mnist", work_images=54_000)
at = AppTest.from_file({str(ROOT / "streamlit_app.py")!r}, default_timeout=60)
at.session_state[jobs.OWNER_KEY] = "me"
at.session_state[jobs.JOB_KEY] = job.id
at.run()
at.switch_page("app_pages/convolution.py").run()
assert not at.exception, at.exception
print([p.proto.label for p in at.get("page_link")])
print("tensorflow" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    links, tf_loaded = out.stdout.strip().splitlines()[-2:]
    assert "Your run: epoch 2 of 10" in links
    assert tf_loaded == "False"
