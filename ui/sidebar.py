"""The sidebar: the runs this session owns or watches, its data source and, once TensorFlow is
loaded, the device. Drawn by the router on every page; reads session state and the run
registry, never TensorFlow.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnn_core import accelerators, datasets
from cnn_core.job_words import progress_words, start_words
from ui import jobs, worker
from ui.common import UPLOAD_KEY, current_dataset_name, load_shared_dataset, loaded_key
from ui.navigation import PAGES
from ui.quick_run import collect_quick_run

SIDEBAR_REFRESH_S = 2.0  # how often the sidebar's run line redraws while a run goes or waits


def draw_sidebar_status(container: Any, page_path: str | None = None) -> None:
    """The run this session owns or watches (while it goes or waits, unless ``page_path``, the
    page being shown, shows it already), the data source of this session and, once TensorFlow
    is loaded, the device."""
    with container:
        collect_quick_run()  # a quick run that ended while the learner was elsewhere
        draw_run_line(page_path)
        name = current_dataset_name()
        upload = st.session_state.get(UPLOAD_KEY)
        if upload is not None:
            st.caption(f"**Data:** {upload.title} · {upload.source_label}")
        elif st.session_state.get(loaded_key(name)):
            data = load_shared_dataset(name)
            st.caption(f"**Data:** {data.title} · {data.source_label}")
        else:
            st.caption(f"**Data:** {datasets.DATASET_TITLES[name]} · not loaded yet")
        acc = worker.device()
        if acc is not None:
            unused = acc.kind == "CPU" and accelerators.nvidia_gpu_present()
            st.caption(
                f"**Device:** {acc.description}"
                + (
                    " · an NVIDIA GPU is here but TensorFlow does not use it: run "
                    "`python -m cnn_core devices`"
                    if unused
                    else ""
                )
            )
        else:
            st.caption("**Device:** TensorFlow not started yet (it starts for training and predictions)")


def run_line_jobs(page_path: str | None = None) -> list[tuple[str, Any]]:
    """(who, job) for each run this session owns or watches that is going or waiting: "Your
    run", "Quick run", "Watching"; not those the page ``page_path`` shows itself. Reads session
    state and the registry only, never TensorFlow; with nothing in session state it returns at
    once (it runs on every rerun)."""
    keys = (("Your run", jobs.JOB_KEY), ("Quick run", jobs.QUICK_JOB_KEY), ("Watching", jobs.WATCHED_KEY))
    ids = [(who, st.session_state.get(key)) for who, key in keys]
    if not any(job_id for _, job_id in ids):
        return []
    registry = jobs.get_registry()
    owner = st.session_state.get(jobs.OWNER_KEY)
    found = []
    for who, job_id in ids:
        job = registry.get(job_id)
        mine = who != "Watching"
        if job is None or not job.pending or (job.owner == owner) != mine or job.page == page_path:
            continue
        found.append((who, job))
    return found


def draw_run_line(page_path: str | None = None) -> None:
    """A small line per run this session owns or watches, with its progress, linking to the
    page that shows it; redrawn every ``SIDEBAR_REFRESH_S`` while one goes or waits. Not on the
    page that shows the run: that page polls it already, and a second fragment ticking in the
    same session can swallow a click on the first one's buttons."""
    if run_line_jobs(page_path):
        st.fragment(_draw_run_lines, run_every=SIDEBAR_REFRESH_S)(page_path)


def _draw_run_lines(page_path: str | None) -> None:
    found = run_line_jobs(page_path)
    if not found:
        st.rerun()  # the runs ended: one full rerun shows their results and stops this polling
    registry = jobs.get_registry()
    listed = {p.path for p in PAGES}
    for who, job in found:
        words = f"{who}: {progress_words(job, registry)}"
        if job.page in listed:
            st.page_link(
                job.page,
                label=words,
                icon=":material/model_training:",
                help=start_words(job, registry) or job.title,
            )
        else:
            st.caption(words)


def _is_cached(name: str) -> bool:
    """Whether the dataset is already in memory, so showing its badge costs nothing."""
    return bool(st.session_state.get(f"_loaded_{name}"))
