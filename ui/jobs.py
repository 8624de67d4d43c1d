"""The app's side of the job registry (:mod:`cnn_core.jobs`): one registry per server process,
who owns a run (a token per browser session), whether that session is still connected, the
instructor's token, and the trainers the app builds.

A run is trained by the server's TensorFlow worker (:mod:`ui.worker`): the registry holds a
:class:`cnn_core.remote_trainer.RemoteTrainer`, which it starts, steers and reads like any trainer.
"""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from cnn_core.formulas import ordinal
from cnn_core.job_words import wait_words
from cnn_core.jobs import JobRegistry, is_instructor_token
from ui import worker

OWNER_KEY = "_training_owner"  # session state: this session's owner token
JOB_KEY = "_training_job"  # session state: the id of the job this session started on Training
QUICK_JOB_KEY = "_quick_job"  # session state: the id of this session's quick run on Predictions
WATCHED_KEY = "train_watched"  # session state: the other session's job last watched on Training
INSTRUCTOR_KEY = "_instructor"  # session state: True once a link carried the instructor token
INSTRUCTOR_REFUSED_KEY = "_instructor_refused"  # session state: True once a link carried a wrong one
TRAINING_PAGE = "app_pages/training.py"


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


def app_trainer(
    dataset: Any, model_config: Any, config: Any, run_dir: Any = None, resume_from: str | None = None
) -> Any:
    """The app's trainer factory: a run the worker trains (:func:`ui.worker.trainer`)."""
    return worker.trainer(dataset, model_config, config, run_dir=run_dir, resume_from=resume_from)


@st.cache_resource(show_spinner=False)
def get_registry() -> JobRegistry:
    """The one registry of this server process (shared by every session)."""
    return JobRegistry(
        owner_alive=runtime_session_alive, trainer_factory=app_trainer, default_page=TRAINING_PAGE
    )


def make_trainer(
    dataset: Any, model_config: Any, config: Any, run_dir: Any = None, resume_from: str | None = None
) -> Any:
    """A trainer for a run this session asks for, from the registry's factory (tests replace
    this function with a fast fake). With ``resume_from`` (a run folder) it continues that run."""
    return get_registry().make_trainer(
        dataset, model_config, config, run_dir=run_dir, resume_from=resume_from
    )


def owner_token() -> str:
    """This browser session's owner token (kept in session state, so it survives page changes)."""
    if OWNER_KEY not in st.session_state:
        st.session_state[OWNER_KEY] = uuid.uuid4().hex
    return st.session_state[OWNER_KEY]


INSTRUCTOR_PARAM = "instructor"  # ?instructor=<token> in an instructor's link


def remember_instructor() -> bool:
    """Whether this session is the instructor's: a link carrying ``?instructor=<token>`` (the
    server's ``$CNN_EXPLORER_INSTRUCTOR_TOKEN``) marks the session for good. The parameter is
    taken out of the address bar at once, so it is never on screen nor in a link shared on. A
    wrong or guessed token changes nothing but ``INSTRUCTOR_REFUSED_KEY``, so a page can say why
    it shows the students' view (the class poll does)."""
    given = st.query_params.get(INSTRUCTOR_PARAM)
    if given is not None:
        del st.query_params[INSTRUCTOR_PARAM]
        if is_instructor_token(given):
            st.session_state[INSTRUCTOR_KEY] = True
        else:
            st.session_state[INSTRUCTOR_REFUSED_KEY] = True
    return bool(st.session_state.get(INSTRUCTOR_KEY))


def runtime_session_id() -> str | None:
    """Streamlit's id of this session, for asking the runtime whether it is still connected."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return ctx.session_id if ctx is not None else None
    except Exception:
        return None


def line_notice(registry: JobRegistry, job_id: str, job_key: str, button_key: str) -> None:
    """A waiting run's place in line and when it should start (the images still to train ahead
    of it over this server's measured speed), with a button to leave the line, which forgets the
    run kept in session state under ``job_key``. Draw it in a fragment that ticks while it waits."""
    registry.touch(job_id, owner_token())
    place, eta = registry.place(job_id) or 1, registry.estimated_start_s(job_id) or 0.0
    st.info(
        f"Runs take turns on this server. **Your run is {ordinal(place)} in line** and should start in "
        f"about **{wait_words(eta)}** (the images still to train ahead of it ÷ "
        f"{registry.images_per_second():,.0f} images/s, this server's speed). It starts by itself: "
        "you may change pages meanwhile and come back.",
        icon=":material/hourglass_top:",
    )
    st.button(
        "Leave the line",
        icon=":material/logout:",
        key=button_key,
        on_click=_leave_line,
        args=(registry, job_id, job_key),
        help="Your run will not start; your settings stay as they are.",
    )


def _leave_line(registry: JobRegistry, job_id: str, job_key: str) -> None:
    if registry.leave(job_id, owner_token()):
        st.session_state.pop(job_key, None)
