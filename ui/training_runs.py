"""The Training page's runs on a shared server: what a run trains, Start, the place in line,
another session's run to watch or take over, an interrupted run to resume, and this session's
kept runs to delete. Each talks to the process-wide job registry (``ui.jobs``); the run itself
goes on in the TensorFlow worker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from cnn_core import datasets, models, run_storage, training_config
from cnn_core.jobs import Job, JobRegistry
from cnn_core.training_config import TrainingConfig
from ui import jobs
from ui.training_live import REFRESH_S

WATCH_KEY = "train_watch"  # the "Watch it live" toggle
OWN_RUNS_KEY = "train_own_run_dirs"  # session state: the run folders this session started
RESUME_OWN_KEY = "train_resume_own"  # "Resume from epoch N" for this session's interrupted run
LEAVE_KEY = "train_leave"  # "Leave the line" while this session's run waits
DELETE_KEY = "train_delete"  # + "_<run folder's name>": the button that deletes that run
DELETE_NOTE_KEY = "_train_delete_note"  # session state: (ok, sentence) of the last Delete, said once


@dataclass(frozen=True)
class Subject:
    """What will be trained: the session's data and the Model page's network."""

    data: datasets.Dataset
    preset: str  # the network's preset short name, or "custom"
    model_config: models.ModelConfig


@dataclass(frozen=True)
class Runs:
    """The registry, this session's token, and its own run's state, read once per script run so
    that everything the page draws agrees, even when the run ends while the script runs."""

    registry: JobRegistry
    owner: str
    own_job: Job | None
    waiting: bool  # in line
    running: bool

    @property
    def active(self) -> bool:
        """Going, or waiting in line: the settings are locked."""
        return self.waiting or self.running


@dataclass(frozen=True)
class Watching:
    """Another session's run watched here (or the one last watched, ended), and the other
    sessions' runs going when read."""

    job: Job | None
    others: list[Job]


def read_runs() -> Runs:
    """Reap runs whose owners left, then read this session's own run (None once taken over)."""
    registry = jobs.get_registry()
    registry.reap()
    owner = jobs.owner_token()
    own_job = registry.get(st.session_state.get(jobs.JOB_KEY))
    if own_job is not None and own_job.owner != owner:
        own_job = None  # another session took it over
    waiting = own_job is not None and own_job.queued
    running = own_job is not None and not waiting and bool(own_job.trainer.active)
    return Runs(registry, owner, own_job, waiting, running)


# ----- start, wait in line, or watch someone else's run ----------------------------------------


def start_run(
    subject: Subject, config: TrainingConfig, runs: Runs, resume_from: str | None = None, done_epochs: int = 0
) -> None:
    """Create the trainer and ask the registry for it: it starts now, or waits in line and
    starts by itself when the runs ahead end (raises ValueError with a sentence)."""
    job = submit_run(subject, config, runs, resume_from, done_epochs)
    st.session_state[jobs.JOB_KEY] = job.id


def submit_run(
    subject: Subject,
    config: TrainingConfig,
    runs: Runs,
    resume_from: str | None = None,
    done_epochs: int = 0,
    experiment: str = "",
    experiment_step: int = 0,
) -> Job:
    """Start's way to the registry, for this session's run or the ``experiment_step``-th run of an
    experiment set: a run folder (so the run is kept for comparing; the set's name and step go in
    its run.json), the trainer, then the registry's fair line and cap. Raises ValueError with a
    sentence."""
    data, run_dir = subject.data, None
    if resume_from is None:
        try:
            label = training_config.describe_run(subject.model_config, data, config)
            runs_dir = run_storage.default_runs_dir()
            run_dir = run_storage.new_run_dir(runs_dir, label)
            run_storage.prune_runs(runs_dir, run_storage.keep_runs_from_env())
            if experiment:
                run_storage.write_run_file(
                    run_dir,
                    label=label,
                    status="queued",
                    dataset_name=data.name,
                    dataset_source=data.source,
                    model_config=subject.model_config,
                    config=config,
                    experiment=experiment,
                    experiment_step=experiment_step,
                )
        except OSError as exc:  # a read-only disk: train anyway, without checkpoints
            # The reason without the path: a student never sees the server's folders.
            st.warning(
                "Checkpoints are off and the run will not be kept for comparing: the runs folder "
                f"cannot be written ({exc.strerror or type(exc).__name__})."
            )
    trainer = jobs.make_trainer(data, subject.model_config, config, run_dir=run_dir, resume_from=resume_from)
    n_train, _ = training_config.validation_split(len(data.y_train), config.validation_fraction)
    job = runs.registry.submit(
        runs.owner,
        trainer,
        trainer.label,
        data.name,
        owner_session=jobs.runtime_session_id(),
        work_images=max(config.epochs - done_epochs, 1) * n_train,
        front=bool(st.session_state.get(jobs.INSTRUCTOR_KEY)),
        group=experiment,
    )
    if run_dir is not None:
        st.session_state.setdefault(OWN_RUNS_KEY, set()).add(str(run_dir))
    return job


def start_section(subject: Subject, config: TrainingConfig, runs: Runs) -> None:
    """Start, with always one line beside it saying what happens now."""
    registry = runs.registry
    start_col, info_col = st.columns([1, 3], vertical_alignment="center")
    with start_col:
        start = st.button(
            "Start training",
            type="primary",
            icon=":material/play_arrow:",
            disabled=runs.active,
            width="stretch",
        )
    with info_col:
        if runs.running:
            st.caption("Your run is going: steer it below.")
        elif runs.waiting:
            st.caption("Your run is in line: it starts by itself when the runs ahead of it end.")
        elif not registry.can_start():
            ahead = len(registry.line()) + len(registry.active_jobs())
            st.caption(
                f"Runs take turns on this server and {ahead} {'is' if ahead == 1 else 'are'} ahead of "
                "you: press Start and yours waits in line, then starts by itself."
            )
        elif runs.own_job is not None and runs.own_job.trainer.snapshot().status == "interrupted":
            st.caption("Your last run was interrupted: resume it below, or start another.")
        elif runs.own_job is not None:
            st.caption("Your last run has ended: its result is below. Start another whenever you like.")
        else:
            st.caption("The run trains on the server: you may change pages and come back to it.")
    if start:
        try:
            start_run(subject, config.check(), runs)
            st.session_state.pop(jobs.WATCHED_KEY, None)
            st.rerun()
        except ValueError as exc:
            st.error(str(exc))
    if runs.waiting:
        place_in_line(registry, runs.own_job.id)


def others_section(runs: Runs) -> Watching:
    """Another session's run, to watch live, or to take over when its owner has left."""
    registry = runs.registry
    others = [j for j in registry.active_jobs() if j.owner != runs.owner]  # running when read
    if not others or runs.running:
        # The run watched here has ended: keep showing how it ended, and its model.
        return Watching(
            None if runs.running else registry.get(st.session_state.get(jobs.WATCHED_KEY)), others
        )
    other = others[0]
    st.info(
        f"A run is in progress in another session: **{other.title}** — "
        f"{training_config.progress_text(other.trainer.snapshot())}. You may watch it live.",
        icon=":material/visibility:",
    )
    # A session whose own run has just ended sees its result first (the next run in line starts
    # the moment it ends, and would otherwise take its place at once); it may switch to watching.
    watched = None
    if st.toggle("Watch it live", key=WATCH_KEY, value=runs.own_job is None):
        watched = other
        st.session_state[jobs.WATCHED_KEY] = other.id
    else:
        st.session_state.pop(jobs.WATCHED_KEY, None)  # not watched: no sidebar line for it either
    if not registry.owner_present(other) and st.button(
        "Take over this run", help="The session that started it has left: you may steer it."
    ):
        try:
            registry.take_over(other.id, runs.owner, jobs.runtime_session_id())
            st.session_state[jobs.JOB_KEY] = other.id
            st.rerun()
        except ValueError as exc:
            st.warning(str(exc))
    return Watching(watched, others)


def resume_section(subject: Subject, runs: Runs) -> None:
    """This session's run if the worker died under it (with its Resume button), and the runs on
    this dataset that stopped after a checkpoint, offered to resume."""
    if resume_own_run(subject, runs):
        return
    data = subject.data
    resumable = [
        r
        for r in run_storage.list_runs(run_storage.default_runs_dir())
        if r.resumable and r.dataset_name == data.name
    ]
    if not resumable or runs.active:
        return
    with st.expander(f"Resume an interrupted run ({len(resumable)})", icon=":material/history:"):
        st.caption(
            "Runs that stopped (a restart of the server, or Stop) after a checkpoint. Resuming "
            "loads the checkpoint's weights and optimizer state and keeps the history before it."
        )
        chosen = st.selectbox(
            "Run",
            resumable,
            format_func=lambda r: (
                f"{r.label} · checkpoint at epoch {r.checkpoint_epoch} "
                f"of {r.training.epochs} · {r.created.replace('T', ' ')}"
            ),
        )
        if st.button("Resume this run", icon=":material/restart_alt:"):
            try:
                if chosen.dataset_source == "file" and data.source != "file":
                    raise ValueError(
                        "This run trained on an uploaded file: upload it again on the Dataset page first."
                    )
                start_run(
                    subject,
                    chosen.training,
                    runs,
                    resume_from=chosen.path,
                    done_epochs=chosen.checkpoint_epoch,
                )
                st.rerun()
            except ValueError as exc:
                st.error(str(exc))


def resume_own_run(subject: Subject, runs: Runs) -> bool:
    """This session's run, interrupted when its worker stopped: what happened and "Resume from
    epoch N" (its last checkpoint); whether it offered that."""
    job = runs.own_job
    snap = job.trainer.snapshot() if job is not None and not runs.active else None
    if snap is None or snap.status != "interrupted" or not snap.last_checkpoint_epoch or not snap.run_dir:
        return False
    if not os.path.isdir(snap.run_dir):  # its owner deleted it
        return False
    st.warning(snap.message, icon=":material/restart_alt:")
    if st.button(
        f"Resume from epoch {snap.last_checkpoint_epoch}",
        type="primary",
        icon=":material/restart_alt:",
        key=RESUME_OWN_KEY,
    ):
        try:
            info = run_storage.read_run(snap.run_dir)
            start_run(
                subject, info.training, runs, resume_from=snap.run_dir, done_epochs=snap.last_checkpoint_epoch
            )
            st.rerun()
        except ValueError as exc:
            st.error(str(exc))
    return True


# ----- deleting this session's runs --------------------------------------------------------------


def delete_section(runs: Runs) -> None:
    """The runs this session started that are kept on the server, each with Delete behind a
    confirmation; a run going or waiting in line cannot be deleted. Only the session that
    started a run sees it here."""
    ok, sentence = st.session_state.pop(DELETE_NOTE_KEY, (True, ""))
    if sentence and ok:
        st.toast(sentence, icon=":material/delete:")
    elif sentence:
        st.warning(sentence, icon=":material/error:")
    own = st.session_state.get(OWN_RUNS_KEY, set())
    if not own:  # most sessions started no run: no need to look at the runs folder
        return
    mine = [r for r in run_storage.list_runs(run_storage.default_runs_dir()) if r.path in own]
    if not mine:
        return
    busy = busy_run_dirs(runs.registry)
    with st.expander(f"Delete your runs ({len(mine)})", icon=":material/delete:"):
        st.caption(
            "The runs you started in this session, kept on the server for comparing. Deleting one "
            "removes its model and checkpoints for everyone; it cannot be undone."
        )
        for run in mine:
            _delete_row(run, runs.registry, going=os.path.abspath(run.path) in busy)


def busy_run_dirs(registry: JobRegistry) -> set[str]:
    """The run folders (absolute paths) of the runs going or waiting in line on this server."""
    dirs = (job.trainer.snapshot().run_dir for job in registry.jobs() if job.pending)
    return {os.path.abspath(d) for d in dirs if d}


def _delete_row(run: run_storage.RunInfo, registry: JobRegistry, going: bool) -> None:
    """One run: what it is, and Delete (with its confirmation in a popover), disabled while it goes."""
    name = os.path.basename(run.path)
    when = run.created.replace("T", " ")[:16]
    words, button = st.columns([4, 1], vertical_alignment="center")
    if going:
        state = "going or waiting"
    elif run.status in run_storage.ENDED_STATUSES:
        state = run.status
    else:  # its run.json still says queued or running, and no job has it: its server stopped
        state = "interrupted"
    words.markdown(f"**{run.label}** · {state} · {when}")
    with button:
        if going:
            st.button(
                "Delete",
                key=f"{DELETE_KEY}_{name}",
                icon=":material/delete:",
                disabled=True,
                help="This run is going or waiting in line: stop it (or leave the line) before deleting it.",
            )
            return
        with st.popover("Delete", icon=":material/delete:"):
            st.markdown(f"Delete **{run.label}**? This removes its model and checkpoints from the server.")
            st.button(
                "Delete this run",
                key=f"{DELETE_KEY}_{name}",
                type="primary",
                on_click=_delete,
                args=(run, registry),
            )


def _delete(run: run_storage.RunInfo, registry: JobRegistry) -> None:
    """Delete's click: remove the run's folder unless it has started again meanwhile, and say so."""
    if os.path.abspath(run.path) in busy_run_dirs(registry):
        note = (False, f"“{run.label}” is going or waiting in line: it cannot be deleted now.")
    else:
        try:
            run_storage.remove_run(run.path)
            note = (True, f"Deleted “{run.label}”: its model and checkpoints are gone.")
        except ValueError as exc:
            note = (False, str(exc))
        st.session_state.get(OWN_RUNS_KEY, set()).discard(run.path)
    st.session_state[DELETE_NOTE_KEY] = note


# ----- waiting in line ------------------------------------------------------------------------


def place_in_line(registry: JobRegistry, job_id: str) -> None:
    """Your place in line and when the run should start, redrawn while it waits."""
    st.fragment(_draw_place, run_every=REFRESH_S)(registry, job_id)


def _draw_place(registry: JobRegistry, job_id: str) -> None:
    job = registry.get(job_id)
    if job is None or not job.queued:
        st.rerun()  # it started (or left the line): redraw the whole page
    jobs.line_notice(registry, job_id, jobs.JOB_KEY, LEAVE_KEY)
