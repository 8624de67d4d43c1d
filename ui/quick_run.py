"""The Predictions page's quick run: the tutorial's network trained for this session in a
minute. It is a job in the server's registry like any run (it may wait in line); its model
becomes the session's quick model when it ends (:func:`collect_quick_run`), wherever the
learner is then.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from cnn_core import datasets, models, training_config
from cnn_core.formulas import plural
from cnn_core.jobs import Job
from ui import jobs, url_state
from ui.common import TrainedModel, current_dataset

QUICK_EPOCHS = url_state.Choice(2, [1, 2, 3])  # the quick run's epochs, as its URL parameter
QUICK_REFRESH_S = 1.0  # how often the quick run's place or progress redraws while it goes
PAGE_PATH = "app_pages/predictions.py"  # where the sidebar's line for a quick run leads
QUICK_MODEL_KEY = "predictions_quick_model"  # a TrainedModel from this session's quick run
QUICK_OUTCOME_KEY = "_quick_outcome"  # ("trained" | "stopped" | "failed", sentence) once, for the page to say
QUICK_EPOCHS_KEY = "pred_quick_epochs"  # the quick run's epochs; also its URL parameter
QUICK_TRAIN_KEY = "pred_quick_train"  # the quick run's Train button
QUICK_LEAVE_KEY = "pred_quick_leave"  # "Leave the line" while the quick run waits


def quick_model(quick: TrainedModel | None) -> TrainedModel | None:
    """The tutorial's network trained for this session, or a button that trains one (None).

    The training is a job in the server's registry, like any run (it may wait in line): a
    fragment shows its place or progress while it goes, and its model becomes this session's
    quick model when it ends, even if the learner changed pages meanwhile.
    """
    data = current_dataset()
    quick = collect_quick_run() or quick
    say_quick_outcome()
    job = quick_job()
    if quick is not None and quick.dataset_name == data.name:
        if job is not None and job.pending:
            quick_progress_panel(job)
        else:
            with st.expander("Train it again", icon=":material/replay:"):
                quick_train_form(data, again=True)
        return quick
    st.markdown(
        "There is no trained model in this session yet. Train one on the **Training** page, "
        "upload a `.keras` file, or train the tutorial's network right here for a minute: "
        f"a couple of epochs on {data.title}'s {len(data.y_train):,} training images."
    )
    if job is not None and job.pending:
        quick_progress_panel(job)
    else:
        quick_train_form(data, again=False)
    return None


def quick_job() -> Job | None:
    """This session's quick run in the registry, or None."""
    job = jobs.get_registry().get(st.session_state.get(jobs.QUICK_JOB_KEY))
    return job if job is not None and job.owner == jobs.owner_token() else None


def say_quick_outcome() -> None:
    """Once, after the quick run ended (wherever the learner was): trained, or why not."""
    outcome = st.session_state.pop(QUICK_OUTCOME_KEY, None)
    if outcome is None:
        return
    kind, sentence = outcome
    if kind == "trained":
        st.success(sentence, icon=":material/check_circle:")
    elif kind == "stopped":
        st.warning(sentence, icon=":material/stop_circle:")
    else:
        st.error(sentence)


def quick_progress_panel(job: Job) -> None:
    """The quick run's place in line or progress, redrawn every second while it goes."""
    st.fragment(draw_quick_progress, run_every=QUICK_REFRESH_S)(job.id)


def draw_quick_progress(job_id: str) -> None:
    registry = jobs.get_registry()
    job = registry.get(job_id)
    if job is None or not job.pending:
        st.rerun()  # it ended (or left the line): the full page takes its model
    if job.queued:
        jobs.line_notice(registry, job_id, jobs.QUICK_JOB_KEY, QUICK_LEAVE_KEY)
        return
    registry.touch(job_id, jobs.owner_token())
    snap = job.trainer.snapshot()
    st.progress(snap.progress, text=training_config.progress_text(snap))
    st.caption("It trains on the server: you may change pages, its model will be here when it ends.")


def quick_train_form(data: datasets.Dataset, again: bool) -> None:
    """Epochs and a Train button that asks the registry for the run."""
    if url_state.shown(QUICK_EPOCHS_KEY):
        st.segmented_control(
            "Epochs",
            QUICK_EPOCHS.options,
            key=QUICK_EPOCHS_KEY,
            required=True,
            persist_state="session",
            help="One epoch shows the network every training image once.",
        )
    epochs = st.session_state[QUICK_EPOCHS_KEY] or QUICK_EPOCHS.default
    span = f"{epochs} {plural(epochs, 'epoch')}"
    label = f"Train again ({span})" if again else f"Train the tutorial's network ({span})"
    if not st.button(
        label,
        type="primary",
        icon=":material/model_training:",
        key=QUICK_TRAIN_KEY,
        help="It trains on the server, like a run on the Training page.",
    ):
        return
    config = replace(
        training_config.training_defaults("tutorial"),
        epochs=epochs,
        checkpoint_every=0,
        validation_fraction=0.0,
    )  # every training image trains; no files written
    try:
        trainer = jobs.make_trainer(data, models.PRESETS["tutorial"], config.check())
    except ValueError as exc:
        st.error(str(exc))
        return
    job = jobs.get_registry().submit(
        jobs.owner_token(),
        trainer,
        trainer.label,
        data.name,
        owner_session=jobs.runtime_session_id(),
        work_images=epochs * len(data.y_train),
        front=bool(st.session_state.get(jobs.INSTRUCTOR_KEY)),
        page=PAGE_PATH,
    )
    st.session_state[jobs.QUICK_JOB_KEY] = job.id
    st.rerun()  # redraw with the run's place or progress in place of the button


def collect_quick_run() -> TrainedModel | None:
    """Once this session's quick run (Predictions) has ended, on whatever page the learner is:
    its model becomes the session's quick model, and the outcome waits in session state for the
    Predictions page to say. None while there is nothing new (no TensorFlow, two dict reads)."""
    job_id = st.session_state.get(jobs.QUICK_JOB_KEY)
    if not job_id:
        return None
    job = jobs.get_registry().get(job_id)
    if job is not None and (job.pending or job.owner != st.session_state.get(jobs.OWNER_KEY)):
        return None
    st.session_state.pop(jobs.QUICK_JOB_KEY, None)
    snap = job.trainer.snapshot() if job is not None else None
    if snap is None or snap.status not in ("finished", "stopped") or job.trainer.model is None:
        reason = (
            (job.stop_reason or snap.message) if job is not None else "That run is no longer on this server."
        )
        st.session_state[QUICK_OUTCOME_KEY] = ("failed", reason or "The training ended without a model.")
        return None
    epochs = len(snap.history)  # the epochs it finished: a stopped run's model has fewer
    if not epochs:
        reason = (
            job.stop_reason or "It was stopped before its first epoch ended, so there is no model to show."
        )
        st.session_state[QUICK_OUTCOME_KEY] = ("failed", reason)
        return None
    title = datasets.DATASET_TITLES.get(job.dataset_name, job.dataset_name)
    quick = TrainedModel(
        job.trainer.model,
        job.dataset_name,
        f"Tutorial network · {epochs} {plural(epochs, 'epoch')} on this page · {title}",
    )
    st.session_state[QUICK_MODEL_KEY] = quick
    if snap.status == "finished":
        outcome = ("trained", "Trained. Its predictions on the test images are below.")
    else:
        outcome = (
            "stopped",
            " ".join(
                filter(
                    None,
                    [
                        job.stop_reason,
                        f"Stopped after {epochs} of {snap.epochs} epochs: the model as it was then "
                        "predicts the test images below.",
                    ],
                )
            ),
        )
    st.session_state[QUICK_OUTCOME_KEY] = outcome
    return quick
