"""The Training page's "Compare runs": the finished runs kept on this server (this session's and
the class's, read back from ``runs/``, so they survive a restart), up to six ticked and overlaid
epoch by epoch, a table of what differed, and the tutorial's comparisons as one experiment set
that trains run after run through the job registry (the same fair line and cap as Start).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from cnn_core import compare, models, run_storage, training_config
from cnn_core.figures import training as training_figures
from cnn_core.job_words import progress_words, wait_words
from cnn_core.jobs import Job, JobRegistry, instructor_token_set
from cnn_core.wait_estimate import START_OVERHEAD_S
from ui import jobs
from ui.training_live import REFRESH_S
from ui.training_runs import OWN_RUNS_KEY, Runs, Subject, submit_run

TICKED_KEY = "train_compare"  # the ticked run folders
REFUSED_KEY = "train_compare_refused"  # the sentence for a refused seventh tick, shown once
LAST_SET_KEY = "train_experiment"  # the experiment set this session started last
TICK_SET_KEY = "train_tick_set_{i}"  # the button that ticks the i-th experiment set: see tick_set_key()
EXPERIMENT_START_KEY = "train_experiment_start"
MAX = compare.MAX_COMPARED


def compare_section(subject: Subject, runs: Runs) -> None:
    """Tick finished runs, see their curves on one chart and what differed; run the tutorial's
    comparisons as one experiment set."""
    st.subheader("Compare runs")
    st.markdown(
        "Instructors teach by comparison: *what changes if we add the exercise-2 block? a tenfold "
        "smaller learning rate?* **Tick up to six finished runs** (yours and the class's, kept on "
        "this server) and read their epoch curves on one chart: training solid, validation dashed."
    )
    experiment_set(subject, runs)
    stored = compare.finished_runs(run_storage.default_runs_dir())
    if not stored:
        st.info(
            "No run has finished on this server yet. Train one above (one epoch on the sample takes "
            "seconds) or run the tutorial's comparisons: every finished run is listed here, and stays "
            "after a restart of the server.",
            icon=":material/compare_arrows:",
        )
        return
    chosen = pick_runs(stored)
    if not chosen:
        st.caption("Tick two or more runs to see their curves on one chart and what differed.")
        return
    overlay(chosen)


# ----- ticking ------------------------------------------------------------------------------


def tick_set_key(i: int) -> str:
    """The key of the button that ticks the ``i``-th experiment set listed."""
    return TICK_SET_KEY.format(i=i)


def pick_runs(stored: list[compare.RunSummary]) -> list[compare.RunSummary]:
    """The ticked runs (at most six), with a one-click tick for each experiment set."""
    by_path = {r.path: r for r in stored}
    own = st.session_state.get(OWN_RUNS_KEY, set())
    if TICKED_KEY in st.session_state:  # runs deleted from the server since they were ticked
        st.session_state[TICKED_KEY] = [p for p in st.session_state[TICKED_KEY] if p in by_path][:MAX]
    sets = compare.experiments(stored)
    for i, (name, members) in enumerate(list(sets.items())[:3]):
        st.button(
            f"Tick the set “{name}” ({len(members)} runs)",
            key=tick_set_key(i),
            icon=":material/done_all:",
            on_click=_tick,
            args=([m.path for m in members][:MAX],),
        )
    st.multiselect(
        f"Runs to compare (up to {MAX})",
        list(by_path),
        key=TICKED_KEY,
        on_change=_at_most_six,
        format_func=lambda p: compare.run_choice_label(by_path[p], p in own),
        select_all=False,
        placeholder="Choose finished runs",
        help="Each run: its network and data, its test accuracy, when it ran.",
    )
    refused = st.session_state.pop(REFUSED_KEY, None)
    if refused:
        st.warning(refused, icon=":material/block:")
    return [by_path[p] for p in st.session_state.get(TICKED_KEY, [])]


def _tick(paths: list[str]) -> None:
    st.session_state[TICKED_KEY] = list(paths)


def _at_most_six() -> None:
    ticked = list(st.session_state.get(TICKED_KEY, []))
    if len(ticked) > MAX:
        st.session_state[TICKED_KEY] = ticked[:MAX]
        st.session_state[REFUSED_KEY] = (
            f"At most {MAX} runs fit on one chart (one colour each): the {len(ticked)}th was not added. "
            "Untick one to make room for it."
        )


# ----- the comparison -------------------------------------------------------------------------


def overlay(chosen: list[compare.RunSummary]) -> None:
    """Loss and accuracy per epoch of the ticked runs, then the table of what differed."""
    names = compare.run_names(chosen)
    left, right = st.columns(2)
    for column, metric in ((left, "loss"), (right, "accuracy")):
        with column:
            line = training_figures.compare_description(chosen, metric, names)
            st.vega_lite_chart(
                training_figures.compare_chart(chosen, metric, names), width="stretch", alt=line
            )
            st.caption(line)
    if len(chosen) < 2:
        st.caption("Tick a second run to see what differed.")
        return
    rows = compare.settings_that_differ(chosen)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    differ = list(rows[0])[3:]  # after the run's name and its two accuracies
    tested = [(r.test_accuracy, n) for r, n in zip(chosen, names) if r.test_accuracy is not None]
    best = f" Best on the test images: **{max(tested)[1]}** ({max(tested)[0]:.1%})." if tested else ""
    if differ:
        st.markdown(f"Only what differed is listed: **{', '.join(differ)}**.{best}")
    else:
        st.markdown(f"These runs had the same settings: what differs is chance and the data order.{best}")
    st.caption(
        "Notice: a dashed (validation) curve that flattens or turns up while its solid (training) "
        "curve keeps falling is over-fitting; a curve that is still falling at its last epoch "
        "would gain from more epochs."
    )


# ----- the experiment set -------------------------------------------------------------------------


def experiment_set(subject: Subject, runs: Runs) -> None:
    """One click submits the tutorial's comparisons, in order, through Start's way to the registry;
    then which of them is running, waiting or done."""
    registry, plan = runs.registry, compare.tutorial_comparisons()
    going = _going_set(registry)
    with st.container(border=True):
        n_train, _ = training_config.validation_split(
            len(subject.data.y_train), plan[0].training.validation_fraction
        )
        work = sum(p.training.epochs * n_train for p in plan)
        rate = registry.images_per_second()
        seconds = work / rate + len(plan) * START_OVERHEAD_S
        st.markdown(
            f"**The tutorial's comparisons**: {len(plan)} runs on {subject.data.title}, "
            f"{compare.EXPERIMENT_EPOCHS} epochs each, one after another:\n"
            + "\n".join(
                f"{i}. **{models.PRESET_TITLES[p.preset]}, η = {p.training.learning_rate:g}**: {p.question}"
                for i, p in enumerate(plan, start=1)
            )
        )
        st.caption(
            f"Expected: about {wait_words(seconds)} of training ({work:,} images ÷ {rate:,.0f} images/s, "
            "this server's speed), after the runs already queued. They take turns with everyone's "
            "runs and go on when this page is closed: start them before class."
        )
        # On a class's server (one with an instructor token) the set is the instructor's to start:
        # it holds the training slot for minutes.
        reserved = instructor_token_set() and not st.session_state.get(jobs.INSTRUCTOR_KEY)
        clicked = st.button(
            "Run the tutorial's comparisons",
            icon=":material/playlist_play:",
            disabled=going is not None or reserved,
            key=EXPERIMENT_START_KEY,
        )
        if going is not None:
            st.caption("The comparisons are already training on this server: their progress is below.")
        elif reserved:
            st.caption("On this server the instructor starts the comparisons (from the instructor's link).")
        if clicked and going is None:
            name = f"{compare.EXPERIMENT_TITLE} · {datetime.now():%Y-%m-%d %H:%M}"
            try:
                for step, planned in enumerate(plan, start=1):
                    sub = Subject(subject.data, planned.preset, planned.model_config)
                    submit_run(sub, planned.training, runs, experiment=name, experiment_step=step)
            except ValueError as exc:
                st.error(str(exc))
            st.session_state[LAST_SET_KEY] = name
            st.rerun()
        shown = going or st.session_state.get(LAST_SET_KEY)
        if shown:
            st.fragment(_draw_progress, run_every=REFRESH_S if going else None)(registry, shown, bool(going))


def _going_set(registry: JobRegistry) -> str | None:
    """The experiment set waiting or training on this server (one at a time), or None."""
    return next((j.group for j in registry.jobs() if j.group and j.pending), None)


def _draw_progress(registry: JobRegistry, name: str, ticking: bool) -> None:
    """Each run of the set: done (with its test accuracy), running (its epoch) or waiting (its place).

    ``ticking``: the page found the set going, so this fragment redraws itself every
    ``REFRESH_S``; once it finds every run ended, it reruns the page to list them for ticking."""
    members = sorted((j for j in registry.jobs() if j.group == name), key=lambda j: _run_order(j, registry))
    in_registry = {j.trainer.snapshot().run_dir for j in members}
    done_before = [
        r
        for r in compare.finished_runs(run_storage.default_runs_dir())
        if r.experiment == name and r.path not in in_registry
    ][::-1]
    lines = [
        f"- ✓ {r.label} — done, test {r.test_accuracy:.1%}"
        if r.test_accuracy is not None
        else f"- ✓ {r.label} — done"
        for r in done_before
    ]
    for job in members:
        lines.append(_progress_line(job, registry))
    waiting = [j for j in members if j.queued]
    end = registry.estimated_start_s(waiting[-1].id) if waiting else None
    tail = f" The last should start in about {wait_words(end)}." if end is not None else ""
    pending = any(j.pending for j in members)
    st.markdown(
        f"**{name}**: "
        + ("in progress." + tail if pending else "all done: tick the set below to compare.")
        + "\n"
        + "\n".join(lines)
    )
    if ticking and not pending:
        st.rerun()  # the last run ended while the page was open: list it for ticking


def _run_order(job: Job, registry: JobRegistry) -> tuple[int, float]:
    """Started runs by when they started, then the waiting ones by their place in line."""
    return (1, float(registry.place(job.id) or 0)) if job.queued else (0, job.started_at)


def _progress_line(job: Job, registry: JobRegistry) -> str:
    words = progress_words(job, registry)
    if job.queued:
        return f"- ⏳ {job.title} — {words}"
    if job.pending:
        return f"- ▶ {job.title} — {words}"
    snap = job.trainer.snapshot()
    if snap.status == "finished" and snap.test_accuracy is not None:
        return f"- ✓ {job.title} — done, test {snap.test_accuracy:.1%}"
    return f"- ✗ {job.title} — {words}" + (f": {job.stop_reason}" if job.stop_reason else "")
