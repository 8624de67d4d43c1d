"""The Training page's run as it goes and as it ended: the live panel (progress, numbers,
controls, curves) and the result (learning curve, test accuracy, the model handed on). The run
goes on in the TensorFlow worker; the panel only reads its snapshot, about once a second while it goes.
"""

from __future__ import annotations

import math

import streamlit as st

from cnn_core import datasets, training_config
from cnn_core.figures import mpl
from cnn_core.figures import training as training_figures
from cnn_core.jobs import Job, JobRegistry
from cnn_core.training_config import Snapshot
from ui import url_state
from ui.common import TRAINED_MODEL_KEY, TrainedModel

REFRESH_S = 1.0  # how often a live panel or a place in line redraws while its run goes or waits
CURVES_REFRESH_S = (
    3.0  # how often the live curves redraw: each batch still appears, three seconds' worth at a time
)
HANDED_KEY = "train_handed"  # the job whose model went to the predictions page
RESUME_KEY = "train_resume"
PAUSE_KEY = "train_pause"
STOP_KEY = "train_stop"
LIVE_LR_KEY = "train_live_lr_{job_id}"  # the live learning rate of one run: see live_lr_key()
LR_ERROR_KEY = "train_lr_error"  # a refused live learning rate's sentence, shown once
# A log scale, plus every preset's own rate (the Strong preset's is not on it).
LEARNING_RATES = tuple(
    sorted(
        {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0}
        | {c.learning_rate for c in training_config.TRAINING_PRESETS.values()}
    )
)

# ----- the live panel ---------------------------------------------------------------------------


def live_panel(registry: JobRegistry, owner: str, job_id: str, can_control: bool, polling: bool) -> None:
    """The run's progress, numbers and controls (owner only), then its curves; polls only while
    ``polling``. The curves redraw less often than the numbers: redrawing four charts is most of
    what a live page costs the browser, which on one's own laptop shares the cores that train."""
    st.fragment(_draw_live, run_every=REFRESH_S if polling else None)(
        registry, owner, job_id, can_control, polling
    )
    st.fragment(_draw_live_curves, run_every=CURVES_REFRESH_S if polling else None)(registry, job_id)


def _draw_live(registry: JobRegistry, owner: str, job_id: str, can_control: bool, polling: bool) -> None:
    job = registry.get(job_id)
    if job is None:
        st.info("That run is no longer kept on this server.")
        return
    snap = job.trainer.snapshot()
    if can_control:
        registry.touch(job.id, owner)
    if polling and not snap.active:
        st.rerun()  # the run ended: a full rerun stops the polling and draws the results
    st.markdown(
        f"**{run_title(job, snap)}**"
        + (f" · on {snap.device}" if snap.device else "")
        + ("" if can_control else " · watching another session's run")
    )
    st.progress(snap.progress, text=training_config.progress_text(snap))
    m1, m2, m3, m4 = st.columns(4)
    last_loss = f"{snap.batch_loss[-1]:.3f}" if snap.batch_loss else "—"
    m1.metric("Last batch loss", last_loss)
    m2.metric(
        "Images per second",
        f"{snap.images_per_second:,.0f}" if snap.active else f"{snap.mean_images_per_second:,.0f}",
    )
    m3.metric("Learning rate η", f"{snap.learning_rate:g}")
    m4.metric("Elapsed", training_config.format_seconds(snap.elapsed_seconds))
    if snap.status == "failed":
        st.error(snap.message, icon=":material/error:")
    elif snap.status == "interrupted" and not can_control:  # its owner reads it by the Resume button
        st.warning(snap.message, icon=":material/restart_alt:")
    elif job.stop_reason:
        st.warning(job.stop_reason)
    if can_control and snap.active and snap.status != "evaluating":
        _draw_controls(job, snap)
    if snap.last_checkpoint_epoch:  # the run and its epoch; never the server's folder
        st.caption(
            f"Last checkpoint: epoch {snap.last_checkpoint_epoch} of {snap.epochs} · {run_title(job, snap)}."
            + (" If the server restarts, the run can resume from it." if snap.active else "")
        )


def _draw_live_curves(registry: JobRegistry, job_id: str) -> None:
    job = registry.get(job_id)
    if job is None:
        return
    snap = job.trainer.snapshot()
    _draw_curves(snap)
    if snap.batch_loss and snap.active:
        st.caption(
            "The faint line is each batch's own loss: noisy, because each batch is a different "
            f"sample of {int(snap.train_images / max(snap.steps_per_epoch, 1)):,} images; the solid line is "
            "its moving average."
        )


def live_lr_key(job_id: str) -> str:
    """The session-state key of the live learning-rate control of the run ``job_id``."""
    return LIVE_LR_KEY.format(job_id=job_id)


def _draw_controls(job: Job, snap: Snapshot) -> None:
    """Pause/Resume, Stop and the live learning rate; callbacks run before the rerun, so the
    redraw already shows their effect."""
    b1, b2, b3 = st.columns([1, 1, 3], vertical_alignment="bottom")
    with b1:
        if snap.status == "paused":
            st.button(
                "Resume",
                icon=":material/play_arrow:",
                key=RESUME_KEY,
                width="stretch",
                on_click=job.trainer.resume,
            )
        else:
            st.button(
                "Pause",
                icon=":material/pause:",
                key=PAUSE_KEY,
                width="stretch",
                disabled=snap.status != "running",
                on_click=job.trainer.pause,
            )
    with b2:
        st.button(
            "Stop",
            icon=":material/stop:",
            key=STOP_KEY,
            width="stretch",
            on_click=job.trainer.stop,
            help="Stops before the next batch; the model so far is kept and tested.",
        )
    with b3:
        live_key = live_lr_key(job.id)

        def change_lr() -> None:
            try:
                job.trainer.set_learning_rate(st.session_state[live_key])
            except ValueError as exc:
                st.session_state[LR_ERROR_KEY] = str(exc)

        options = sorted(set(LEARNING_RATES) | {snap.learning_rate if snap.learning_rate > 0 else 1e-2})
        if live_key not in st.session_state:
            st.session_state[live_key] = min(
                options, key=lambda v: abs(math.log(v / max(snap.learning_rate, 1e-12)))
            )
        url_state.select_slider(
            "Learning rate η, live",
            options,
            live_key,
            on_change=change_lr,
            format_func=lambda v: f"{v:g}",
            help="Takes effect from the next batch.",
        )
    error = st.session_state.pop(LR_ERROR_KEY, None)
    if error:
        st.error(error)


def _draw_curves(snap: Snapshot) -> None:
    """Loss and accuracy per batch, then per epoch, with a rule where η changed."""
    if not snap.batch_loss:
        return
    changes, per_epoch = snap.learning_rate_changes, snap.steps_per_epoch
    left, right = st.columns(2)
    with left:
        live_chart(
            training_figures.batch_curve_chart(
                snap.batch_loss, per_epoch, "loss", snap.epochs, learning_rate_changes=changes
            ),
            training_figures.curve_description(snap.batch_loss, "loss", "batch"),
        )
    with right:
        live_chart(
            training_figures.batch_curve_chart(
                snap.batch_accuracy, per_epoch, "accuracy", snap.epochs, learning_rate_changes=changes
            ),
            training_figures.curve_description(snap.batch_accuracy, "accuracy", "batch"),
        )
    if snap.history:
        left, right = st.columns(2)
        with left:
            live_chart(
                training_figures.epoch_curve_chart(snap.history, "loss", snap.epochs, changes, per_epoch),
                training_figures.epoch_curve_description(snap.history, "loss"),
            )
        with right:
            live_chart(
                training_figures.epoch_curve_chart(snap.history, "accuracy", snap.epochs, changes, per_epoch),
                training_figures.epoch_curve_description(snap.history, "accuracy"),
            )


def live_chart(spec: dict, alt: str) -> None:
    """A chart redrawn while its run goes: its rows go apart from its spec, so while the spec
    stays the same the browser updates the chart's data in place instead of building a new one."""
    spec = dict(spec)
    rows = spec.pop("data")["values"]
    st.vega_lite_chart(rows, spec, alt=alt)


def run_title(job: Job, snap: Snapshot) -> str:
    """The run's name with the η it trains at now, and each live change of it."""
    return training_config.learning_rate_title(job.title, snap.learning_rate_changes, snap.steps_per_epoch)


# ----- the result -------------------------------------------------------------------------------


def result(job: Job, mine: bool, data: datasets.Dataset) -> None:
    """A finished (or stopped) run: its learning curve, the honest test score, the model to
    download, and the model handed to the Predictions page (at once when ``mine``)."""
    snap = job.trainer.snapshot()
    if snap.status not in ("finished", "stopped") or snap.test_accuracy is None:
        return
    st.subheader("Learning curve")
    st.caption(
        "The tutorial's figure (cell [11]): accuracy (black, circles) and loss (vermillion, squares) after "
        "each epoch, "
        "on two y axes; dashed: the validation images the network never trained on."
    )
    if snap.history:
        # PNG bytes through st.image: st.pyplot takes no dpi without a deprecation notice.
        fig = training_figures.learning_curve_figure(snap.history)
        st.image(
            mpl.figure_png(fig, dpi=144),
            width="stretch",
            alt=training_figures.learning_curve_description(snap.history),
        )
    else:
        st.caption("The run stopped before its first epoch ended: no epoch to plot.")
    n_test = len(data.y_test) if job.dataset_name == data.name else None
    acc = snap.test_accuracy
    st.metric(
        "Test accuracy",
        f"{acc:.1%}",
        delta=(
            f"{acc - snap.history[-1].val_accuracy:+.1%} vs. validation"
            if snap.history and snap.history[-1].val_accuracy is not None
            else None
        ),
        delta_color="off",
    )
    if n_test:
        right = round(acc * n_test)
        st.latex(
            rf"\text{{accuracy}} = \frac{{\text{{right}}}}{{N_\text{{test}}}} = "
            rf"\frac{{{right:,}}}{{{n_test:,}}} = {acc * 100:.1f}\,\%"
        )
    st.caption(
        "Test images were never used to train or to choose settings: this is the honest score. "
        "When it is well below the training accuracy, the network has memorised its training images."
    )
    name = f"cnn-{job.dataset_name}-{len(snap.history)}-epochs.keras"
    st.download_button(
        "Download the model (.keras)",
        data=job.trainer.model_bytes,
        file_name=name,
        mime="application/zip",
        icon=":material/download:",
        help="Exercise 5: the architecture, weights and optimizer state in one file; "
        "load it with keras.models.load_model.",
    )
    label = f"{run_title(job, snap)} · test accuracy {acc:.3f}"
    if mine and st.session_state.get(HANDED_KEY) != job.id:
        st.session_state[TRAINED_MODEL_KEY] = TrainedModel(job.trainer.model, job.dataset_name, label)
        st.session_state[HANDED_KEY] = job.id
    if st.session_state.get(HANDED_KEY) == job.id:
        st.success("This model is on the Predictions page now.", icon=":material/check:")
    elif st.button("Use this model on the Predictions page"):
        st.session_state[TRAINED_MODEL_KEY] = TrainedModel(job.trainer.model, job.dataset_name, label)
        st.session_state[HANDED_KEY] = job.id
        st.rerun()
    st.page_link("app_pages/predictions.py", label="See its predictions", icon=":material/insights:")
