"""Training: train the network live, watch it learn batch by batch (tutorial § 1.3.5).

The training itself runs in a :class:`cnn_core.trainer.Trainer` thread registered in the
process-wide job registry (``ui.jobs``), never in this script: a click reruns the script, and
the run goes on. A fragment redraws the progress and curves about once a second while a run is
active, and not at all when idle. TensorFlow is loaded only when a run starts.
"""

from __future__ import annotations

import math

import streamlit as st

from cnn_core import datasets, models, run_storage, training_config
from cnn_core.figures import mpl
from cnn_core.figures import training as training_figures
from cnn_core.jobs import Job, ordinal, wait_words
from cnn_core.trainer import Snapshot
from cnn_core.training_config import TrainingConfig
from ui import jobs, url_state
from ui.common import (
    DATASET_KEY,
    MODEL_CONFIG_KEY,
    MODEL_PRESET_KEY,
    TRAINED_MODEL_KEY,
    TrainedModel,
    current_dataset,
    gpu_accelerator,
)
from ui.navigation import PAGES

REFRESH_S = 1.0  # how often the live panel redraws while a run is active
# A log scale, plus every preset's own rate (the Strong preset trains at 0.004).
LEARNING_RATES = tuple(sorted(
    {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0}
    | {c.learning_rate for c in training_config.TRAINING_PRESETS.values()}
))
BATCH_SIZES = (16, 32, 64, 128, 256, 512, 1024)

# Widget keys (kept across page switches with persist_state="session").
P = "train_"
W = {name: P + name for name in (
    "optimizer", "lr", "batch", "epochs", "loop", "checkpoint", "schedule", "validation", "augment",
)}
DEFAULTS_FOR = P + "defaults_for"  # the preset whose defaults the widgets were last set to
WATCH = P + "watch"
MIXED = P + "mixed_precision"  # only offered on a GPU, so never in a shared link
WATCHED = jobs.WATCHED_KEY  # the other session's job last watched: its result stays on screen
HANDED = P + "handed"  # the job whose model went to the predictions page
LISTED = {p.path for p in PAGES}

st.title("Train the network")
st.markdown(
    "Here the network learns. **Look at the per-batch loss**: every point is one step of "
    "gradient descent on one batch of images, and the curve grows while you watch. Change the "
    "learning rate during the run, pause it, stop it; leave the page and come back, and it is "
    "still running."
)

registry = jobs.get_registry()
registry.reap()
owner = jobs.owner_token()
own_job = registry.get(st.session_state.get(jobs.JOB_KEY))
if own_job is not None and own_job.owner != owner:
    own_job = None  # another session took it over


# ----- what will be trained ---------------------------------------------------------------


def chosen_model() -> tuple[str, models.ModelConfig]:
    """The model page's choice (preset short name, configuration), else the tutorial's."""
    config = st.session_state.get(MODEL_CONFIG_KEY)
    if not isinstance(config, models.ModelConfig):
        preset = st.session_state.get(MODEL_PRESET_KEY) or "tutorial"
        return preset, models.PRESETS.get(preset, models.PRESETS["tutorial"])
    return models.preset_name(config), config


# An instructor's link names the data and the network first: the training defaults follow them.
LINK_WHAT = {
    DATASET_KEY: url_state.Choice("mnist", list(datasets.DATASET_NAMES)),
    MODEL_CONFIG_KEY: url_state.Network(models.PRESETS["tutorial"]),
}
url_state.bind(LINK_WHAT)

try:
    data = current_dataset()
except ValueError as exc:  # a damaged cache or bad upload: say so, draw nothing else
    st.error(f"The dataset could not be loaded: {exc}")
    st.stop()
preset, model_config = chosen_model()
try:
    params = models.total_params(model_config)
except ValueError as exc:
    st.error(f"The model page's network cannot be built: {exc} Fix it on the Model page.")
    if "app_pages/model.py" in LISTED:
        st.page_link("app_pages/model.py", label="Open the Model page", icon=":material/account_tree:")
    st.stop()

with st.container(border=True):
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Data:** {data.title} · {data.source_label}")
        if data.note:
            st.caption(data.note)
        if "app_pages/dataset.py" in LISTED:
            st.page_link("app_pages/dataset.py", label="Change the data", icon=":material/photo_library:")
    with right:
        title = models.PRESET_TITLES.get(preset, "Custom")
        st.markdown(f"**Model:** {title} · {params:,} parameters  \n`{training_config.architecture_text(model_config)}`")
        if "app_pages/model.py" in LISTED:
            st.page_link("app_pages/model.py", label="Change the model", icon=":material/account_tree:")


# ----- settings ---------------------------------------------------------------------------


def seed_widgets(defaults: TrainingConfig) -> None:
    """Put a preset's training defaults into the widgets (first visit, or a new preset)."""
    values = {
        "optimizer": defaults.optimizer, "lr": defaults.learning_rate, "batch": defaults.batch_size,
        "epochs": defaults.epochs, "loop": defaults.loop, "checkpoint": defaults.checkpoint_every,
        "schedule": defaults.schedule, "validation": int(round(defaults.validation_fraction * 100)),
        "augment": defaults.augment,
    }
    for name, value in values.items():
        st.session_state[W[name]] = value
    st.session_state[DEFAULTS_FOR] = preset


if st.session_state.get(DEFAULTS_FOR) != preset or W["lr"] not in st.session_state:
    seed_widgets(training_config.training_defaults(preset))

# Then the training settings; a link only carries what differs from this preset's defaults.
_d = training_config.training_defaults(preset)
SETTINGS = {
    W["optimizer"]: url_state.Choice(_d.optimizer, training_config.OPTIMIZERS),
    W["lr"]: url_state.Choice(_d.learning_rate, LEARNING_RATES),
    W["batch"]: url_state.Choice(_d.batch_size, BATCH_SIZES),
    W["epochs"]: url_state.Int(_d.epochs, 1, 200),
    W["loop"]: url_state.Choice(_d.loop, training_config.LOOPS),
    W["checkpoint"]: url_state.Int(_d.checkpoint_every, 0, 200),
    W["schedule"]: url_state.Choice(_d.schedule, training_config.SCHEDULES),
    W["validation"]: url_state.Choice(int(round(_d.validation_fraction * 100)), list(range(0, 31, 5))),
    W["augment"]: url_state.Choice(_d.augment, training_config.AUGMENTATIONS),
}
LABELS = {
    W["optimizer"]: "Optimizer", W["lr"]: "Learning rate η", W["batch"]: "Batch size B",
    W["epochs"]: "Epochs E", W["loop"]: "Training loop", W["checkpoint"]: "Checkpoint interval",
    W["schedule"]: "Learning-rate schedule", W["validation"]: "Validation images (%)",
    W["augment"]: "Augmentation",
}
url_state.bind(SETTINGS)


# The run's state is read ONCE per script run, here, and everything the page draws follows from
# this one reading: the line next to Start, the locked settings, whether the live panel polls,
# and whether the result is drawn. Read again further down, a run that ended in between (its test
# evaluation finishing while this script ran) drew "Your run is going" above its own result and
# a live panel that no longer polled: nothing reran the page, so the stale line stayed.
own_waiting = own_job is not None and own_job.queued
own_running = own_job is not None and not own_waiting and bool(own_job.trainer.active)
own_active = own_waiting or own_running  # going, or waiting in line: settings locked
st.subheader("Settings")
st.caption(
    f"The defaults are the ones the {models.PRESET_TITLES.get(preset, 'tutorial')} preset is meant "
    "to be trained with" + (" (the tutorial's: Adam, η = 0.01, batch 256, 10 epochs)." if preset in ("tutorial", "exercise2", "custom") else ".")
    + (" They are locked while your run is going." if own_active else "")
)
c1, c2, c3, c4 = st.columns(4)
with c1:
    if url_state.shown(W["optimizer"]):
        st.selectbox("Optimizer", training_config.OPTIMIZERS, key=W["optimizer"],
                     format_func=training_config.OPTIMIZER_TITLES.get, disabled=own_active,
                     persist_state="session")
    if url_state.shown(W["loop"]):
        st.radio("Training loop", training_config.LOOPS, key=W["loop"], disabled=own_active,
                 format_func=lambda v: {"fit": "Keras fit", "custom": "GradientTape (exercise 3)"}[v],
                 help="Both report the same metrics; the custom loop is the tutorial's exercise 3.",
                 persist_state="session")
with c2:
    if url_state.shown(W["lr"]):
        st.select_slider("Learning rate η", LEARNING_RATES, key=W["lr"], disabled=own_active,
                         format_func=lambda v: f"{v:g}", persist_state="session",
                         help="You can also change it while the run goes.")
    if url_state.shown(W["schedule"]):
        st.selectbox("Learning-rate schedule", training_config.SCHEDULES, key=W["schedule"],
                     disabled=own_active, persist_state="session",
                     format_func={"constant": "constant η", "cosine": "cosine decay to 0"}.get)
with c3:
    if url_state.shown(W["batch"]):
        st.select_slider("Batch size B", BATCH_SIZES, key=W["batch"], disabled=own_active,
                         persist_state="session")
    if url_state.shown(W["epochs"]):
        st.number_input("Epochs E", min_value=1, max_value=200, step=1, key=W["epochs"],
                        disabled=own_active, persist_state="session")
    if url_state.shown(W["augment"]):
        st.selectbox("Augmentation", training_config.AUGMENTATIONS, key=W["augment"], disabled=own_active,
                     persist_state="session",
                     format_func={"none": "none", "flip": "mirror half of each batch"}.get,
                     help="A mirrored coat is still a coat: more pictures for free. Training images only.")
with c4:
    if url_state.shown(W["validation"]):
        st.slider("Validation images (%)", 0, 30, step=5, key=W["validation"], disabled=own_active,
                  persist_state="session",
                  help="Held out from the training images to show over-fitting; 0 for none.")
    if url_state.shown(W["checkpoint"]):
        st.number_input(
            "Checkpoint every N epochs", min_value=0, max_value=200, step=1, key=W["checkpoint"],
            disabled=own_active, persist_state="session",
            help="Exercise 4: save the model every N epochs, so a run survives a restart. 0: never.",
        )
state = st.session_state
optimizer, loop, learning_rate = state[W["optimizer"]], state[W["loop"]], state[W["lr"]]
schedule, batch_size, epochs = state[W["schedule"]], state[W["batch"]], state[W["epochs"]]
validation, checkpoint_every, augment = state[W["validation"]], state[W["checkpoint"]], state[W["augment"]]

# Mixed precision pays off on a GPU only: the switch is offered where this server trains on one.
gpu = gpu_accelerator()
if gpu is not None:
    st.toggle(
        f"Mixed precision (float16 on {gpu.description})", key=MIXED, disabled=own_active,
        help="Layers compute in 16-bit floats, twice as fast on a GPU's tensor cores; the weights "
             "and the last layer stay 32-bit, and the loss is scaled so small gradients survive.",
    )
    if gpu.replicas > 1:
        share = -(-int(batch_size) // gpu.replicas)
        st.caption(
            f"Each of the {gpu.replicas} GPUs trains on {share} of every {int(batch_size)} images; "
            "their gradients are added, so each step is the step one device would take on the whole batch."
        )
mixed_precision = gpu is not None and bool(state.get(MIXED, False))

n_train, n_val = training_config.validation_split(len(data.y_train), validation / 100)
steps = training_config.steps_per_epoch(n_train, int(batch_size))
st.markdown("**One epoch is every training image once, in batches; each batch is one step:**")
st.latex(
    rf"\text{{steps per epoch}} = \left\lceil \frac{{N_\text{{train}}}}{{B}} \right\rceil"
    rf" = \left\lceil \frac{{{n_train:,}}}{{{int(batch_size)}}} \right\rceil = {steps:,}"
    rf"\qquad E \times {steps:,} = {int(epochs) * steps:,}\ \text{{steps of }}\ "
    rf"w \leftarrow w - \eta\,\hat g = w - {learning_rate:g}\,\hat g"
)
st.caption(
    f"Notice: with B = {int(batch_size)} the weights move {steps:,} times per epoch. Halve B and they "
    "move twice as often on noisier gradients; raise η tenfold and each step is ten times longer: "
    "faster at first, until the steps overshoot and the loss explodes (try η = 3 — the run stops "
    f"itself and says why). {training_config.OPTIMIZER_TITLES[optimizer]} scales ĝ per weight"
    + (" by its recent size, so η is close to the largest step a weight takes." if optimizer != "sgd" else
       " not at all: plain SGD steps by η times the gradient.")
)


def settings() -> TrainingConfig:
    return TrainingConfig(
        epochs=int(epochs), batch_size=int(batch_size), learning_rate=float(learning_rate),
        optimizer=optimizer, loop=loop, checkpoint_every=int(checkpoint_every),
        validation_fraction=validation / 100, schedule=schedule, augment=augment,
        mixed_precision=mixed_precision,
    )


def start_run(config: TrainingConfig, resume_from: str | None = None, done_epochs: int = 0) -> None:
    """Create the trainer and ask the registry for it: it starts now, or waits in line and
    starts by itself when the runs ahead end (raises ValueError with a sentence)."""
    run_dir = None
    if resume_from is None and config.checkpoint_every:
        try:
            label = training_config.describe_run(model_config, data, config)
            run_dir = run_storage.new_run_dir(run_storage.default_runs_dir(), label)
        except OSError as exc:  # a read-only disk: train anyway, without checkpoints
            # The reason without the path: a student never sees the server's folders.
            st.warning(f"Checkpoints are off: the runs folder cannot be written ({exc.strerror or type(exc).__name__}).")
    trainer = jobs.make_trainer(data, model_config, config, run_dir=run_dir, resume_from=resume_from)
    job = registry.submit(
        owner, trainer, trainer.label, data.name, owner_session=jobs.runtime_session_id(),
        work_images=max(config.epochs - done_epochs, 1) * n_train,
        front=bool(st.session_state.get(jobs.INSTRUCTOR_KEY)),
    )
    st.session_state[jobs.JOB_KEY] = job.id


# ----- start, wait in line, or watch someone else's run ------------------------------------------

others = [j for j in registry.active_jobs() if j.owner != owner]  # running when read: watched live
start_col, info_col = st.columns([1, 3], vertical_alignment="center")
with start_col:
    start = st.button("Start training", type="primary", icon=":material/play_arrow:",
                      disabled=own_active, width="stretch")
with info_col:
    # Always one line here, so the previous run's words never linger next to Start.
    if own_running:
        st.caption("Your run is going: steer it below.")
    elif own_waiting:
        st.caption("Your run is in line: it starts by itself when the runs ahead of it end.")
    elif not registry.can_start():
        ahead = len(registry.line()) + len(registry.active_jobs())
        st.caption(
            f"Runs take turns on this server and {ahead} {'is' if ahead == 1 else 'are'} ahead of "
            "you: press Start and yours waits in line, then starts by itself."
        )
    elif own_job is not None:
        st.caption("Your last run has ended: its result is below. Start another whenever you like.")
    else:
        st.caption("The run trains on the server: you may change pages and come back to it.")
if start:
    try:
        start_run(settings().check())
        st.session_state.pop(WATCHED, None)
        st.rerun()
    except ValueError as exc:
        st.error(str(exc))


def leave_line(job_id: str) -> None:
    if registry.leave(job_id, owner):
        st.session_state.pop(jobs.JOB_KEY, None)


def draw_place(job_id: str) -> None:
    """Your place in line and when the run should start, redrawn while it waits."""
    job = registry.get(job_id)
    if job is None or not job.queued:
        st.rerun()  # it started (or left the line): redraw the whole page
    registry.touch(job_id, owner)
    place, eta = registry.place(job_id) or 1, registry.estimated_start_s(job_id) or 0.0
    st.info(
        f"**Your run is {ordinal(place)} in line** and should start in about "
        f"**{wait_words(eta)}** (the images still to train ahead of it ÷ "
        f"{registry.images_per_second():,.0f} images/s, this server's speed). It starts by itself: "
        "watch the running one meanwhile, or change pages and come back.",
        icon=":material/hourglass_top:",
    )
    st.button("Leave the line", icon=":material/logout:", key=P + "leave", on_click=leave_line,
              args=(job_id,), help="Your run will not start; your settings stay as they are.")


if own_waiting:
    st.fragment(draw_place, run_every=REFRESH_S)(own_job.id)

watched = None
if others and not own_running:
    other = others[0]
    snap = other.trainer.snapshot()
    st.info(
        f"A run is in progress in another session: **{other.title}** — "
        f"{training_config.progress_text(snap)}. You may watch it live.",
        icon=":material/visibility:",
    )
    # A session whose own run has just ended sees its result first (the next run in line starts
    # the moment it ends, and would otherwise take its place at once); it may switch to watching.
    if st.toggle("Watch it live", key=WATCH, value=own_job is None):
        watched = other
        st.session_state[WATCHED] = other.id
    else:
        st.session_state.pop(WATCHED, None)  # not watched: no sidebar line for it either
    if not registry.owner_present(other) and st.button(
        "Take over this run", help="The session that started it has left: you may steer it."
    ):
        try:
            registry.take_over(other.id, owner, jobs.runtime_session_id())
            st.session_state[jobs.JOB_KEY] = other.id
            st.rerun()
        except ValueError as exc:
            st.warning(str(exc))
elif not own_running:
    # The run watched here has ended: keep showing how it ended, and its model.
    watched = registry.get(st.session_state.get(WATCHED))

runs_dir = run_storage.default_runs_dir()
resumable = [r for r in run_storage.list_runs(runs_dir) if r.resumable and r.dataset_name == data.name]
if resumable and not own_active:
    with st.expander(f"Resume an interrupted run ({len(resumable)})", icon=":material/history:"):
        st.caption(
            "Runs that stopped (a restart of the server, or Stop) after a checkpoint. Resuming "
            "loads the checkpoint's weights and optimizer state and keeps the history before it."
        )
        chosen = st.selectbox(
            "Run", resumable, format_func=lambda r: f"{r.label} · checkpoint at epoch {r.checkpoint_epoch} "
            f"of {r.training.epochs} · {r.created.replace('T', ' ')}",
        )
        if st.button("Resume this run", icon=":material/restart_alt:"):
            try:
                if chosen.dataset_source == "file" and data.source != "file":
                    raise ValueError("This run trained on an uploaded file: upload it again on the Dataset page first.")
                start_run(chosen.training, resume_from=chosen.path, done_epochs=chosen.checkpoint_epoch)
                st.rerun()
            except ValueError as exc:
                st.error(str(exc))


# ----- the live panel ---------------------------------------------------------------------

if own_running or (watched is None and not own_waiting):
    shown = own_job  # your run (going, or how it ended)
else:
    shown = watched  # another session's run, or how it ended (None while yours waits unwatched)
controls = shown is not None and shown is own_job


def draw_controls(job: Job, snap: Snapshot) -> None:
    """Pause/Resume, Stop and the live learning rate (owner only)."""
    # Callbacks run before the rerun, so the redraw already shows their effect.
    b1, b2, b3 = st.columns([1, 1, 3], vertical_alignment="bottom")
    with b1:
        if snap.status == "paused":
            st.button("Resume", icon=":material/play_arrow:", key=P + "resume", width="stretch",
                      on_click=job.trainer.resume)
        else:
            st.button("Pause", icon=":material/pause:", key=P + "pause", width="stretch",
                      disabled=snap.status != "running", on_click=job.trainer.pause)
    with b2:
        st.button("Stop", icon=":material/stop:", key=P + "stop", width="stretch", on_click=job.trainer.stop,
                  help="Stops before the next batch; the model so far is kept and tested.")
    with b3:
        live_key = P + "live_lr_" + job.id

        def change_lr() -> None:
            try:
                job.trainer.set_learning_rate(st.session_state[live_key])
            except ValueError as exc:
                st.session_state[P + "lr_error"] = str(exc)

        options = sorted(set(LEARNING_RATES) | {snap.learning_rate if snap.learning_rate > 0 else 1e-2})
        if live_key not in st.session_state:
            st.session_state[live_key] = min(options, key=lambda v: abs(math.log(v / max(snap.learning_rate, 1e-12))))
        st.select_slider("Learning rate η, live", options, key=live_key, on_change=change_lr,
                         format_func=lambda v: f"{v:g}", help="Takes effect from the next batch.")
    error = st.session_state.pop(P + "lr_error", None)
    if error:
        st.error(error)


def draw_curves(snap: Snapshot) -> None:
    if not snap.batch_loss:
        return
    changes, per_epoch = snap.learning_rate_changes, snap.steps_per_epoch  # a rule where η changed
    left, right = st.columns(2)
    with left:
        st.vega_lite_chart(training_figures.batch_curve_chart(snap.batch_loss, per_epoch, "loss", snap.epochs,
                                                    learning_rate_changes=changes))
    with right:
        st.vega_lite_chart(training_figures.batch_curve_chart(snap.batch_accuracy, per_epoch, "accuracy", snap.epochs,
                                                    learning_rate_changes=changes))
    if snap.history:
        left, right = st.columns(2)
        with left:
            st.vega_lite_chart(training_figures.epoch_curve_chart(snap.history, "loss", snap.epochs, changes, per_epoch))
        with right:
            st.vega_lite_chart(training_figures.epoch_curve_chart(snap.history, "accuracy", snap.epochs, changes, per_epoch))


def run_title(job: Job, snap: Snapshot) -> str:
    """The run's name with the η it trains at now, and each live change of it."""
    return training_config.learning_rate_title(job.title, snap.learning_rate_changes, snap.steps_per_epoch)


def draw_live(job_id: str, can_control: bool, polling: bool) -> None:
    job = registry.get(job_id)
    if job is None:
        st.info("That run is no longer kept on this server.")
        return
    snap = job.trainer.snapshot()
    if can_control:
        registry.touch(job.id, owner)
    if polling and not snap.active:
        st.rerun()  # the run ended: a full rerun stops the polling and draws the results
    st.markdown(f"**{run_title(job, snap)}**" + (f" · on {snap.device}" if snap.device else "")
                + ("" if can_control else " · watching another session's run"))
    st.progress(snap.progress, text=training_config.progress_text(snap))
    m1, m2, m3, m4 = st.columns(4)
    last_loss = f"{snap.batch_loss[-1]:.3f}" if snap.batch_loss else "—"
    m1.metric("Last batch loss", last_loss)
    m2.metric("Images per second", f"{snap.images_per_second:,.0f}" if snap.active else f"{snap.mean_images_per_second:,.0f}")
    m3.metric("Learning rate η", f"{snap.learning_rate:g}")
    m4.metric("Elapsed", training_config.format_seconds(snap.elapsed_seconds))
    if snap.status == "failed":
        st.error(snap.message, icon=":material/error:")
    elif job.stop_reason:
        st.warning(job.stop_reason)
    if can_control and snap.active and snap.status != "evaluating":
        draw_controls(job, snap)
    if snap.last_checkpoint_epoch:  # the run and its epoch; never the server's folder
        st.caption(f"Last checkpoint: epoch {snap.last_checkpoint_epoch} of {snap.epochs} · {run_title(job, snap)}."
                   + (" If the server restarts, the run can resume from it." if snap.active else ""))
    draw_curves(snap)
    if snap.batch_loss and snap.active:
        st.caption(
            "The faint line is each batch's own loss: noisy, because each batch is a different "
            f"sample of {int(snap.train_images / max(snap.steps_per_epoch, 1)):,} images; the solid line is its moving average."
        )


# Going when read above (never read again): then the panel polls, and the first poll that finds
# the run ended (possibly at once, inline, if it ended while this script ran) reruns the page.
shown_active = shown is not None and ((own_running and shown is own_job) or shown in others)
if shown is not None:
    st.subheader("Your run" if controls else "Live")
    # Poll only while the run is active; an idle page costs nothing.
    live = st.fragment(draw_live, run_every=REFRESH_S if shown_active else None)
    live(shown.id, controls, shown_active)


# ----- the result -------------------------------------------------------------------------


def draw_result(job: Job, mine: bool) -> None:
    snap = job.trainer.snapshot()
    if snap.status not in ("finished", "stopped") or snap.test_accuracy is None:
        return
    st.subheader("Learning curve")
    st.caption("The tutorial's figure (cell [11]): accuracy (black) and loss (red) after each epoch, "
               "on two y axes; dashed: the validation images the network never trained on.")
    if snap.history:
        # PNG bytes through st.image: st.pyplot takes no dpi without a deprecation notice on
        # the page. 144 dpi is sharp on a high-density screen with half the pixels of 200.
        fig = training_figures.learning_curve_figure(snap.history)
        st.image(mpl.figure_png(fig, dpi=144), width="stretch")
    else:
        st.caption("The run stopped before its first epoch ended: no epoch to plot.")
    n_test = len(data.y_test) if job.dataset_name == data.name else None
    acc = snap.test_accuracy
    st.metric("Test accuracy", f"{acc:.1%}",
              delta=(f"{acc - snap.history[-1].val_accuracy:+.1%} vs. validation"
                     if snap.history and snap.history[-1].val_accuracy is not None else None),
              delta_color="off")
    if n_test:
        right = round(acc * n_test)
        st.latex(rf"\text{{accuracy}} = \frac{{\text{{right}}}}{{N_\text{{test}}}} = \frac{{{right:,}}}{{{n_test:,}}} = {acc * 100:.1f}\,\%")
    st.caption("Test images were never used to train or to choose settings: this is the honest score. "
               "When it is well below the training accuracy, the network has memorised its training images.")
    name = f"cnn-{job.dataset_name}-{len(snap.history)}-epochs.keras"
    st.download_button("Download the model (.keras)", data=job.trainer.model_bytes, file_name=name,
                       mime="application/zip", icon=":material/download:",
                       help="Exercise 5: the architecture, weights and optimizer state in one file; "
                            "load it with keras.models.load_model.")
    label = f"{run_title(job, snap)} · test accuracy {acc:.3f}"
    if mine and st.session_state.get(HANDED) != job.id:
        st.session_state[TRAINED_MODEL_KEY] = TrainedModel(job.trainer.model, job.dataset_name, label)
        st.session_state[HANDED] = job.id
    if st.session_state.get(HANDED) == job.id:
        st.success("This model is on the Predictions page now.", icon=":material/check:")
    elif st.button("Use this model on the Predictions page"):
        st.session_state[TRAINED_MODEL_KEY] = TrainedModel(job.trainer.model, job.dataset_name, label)
        st.session_state[HANDED] = job.id
        st.rerun()
    if "app_pages/predictions.py" in LISTED:
        st.page_link("app_pages/predictions.py", label="See its predictions", icon=":material/insights:")


if shown is not None and not shown_active:
    draw_result(shown, mine=controls)

st.divider()
url_state.share_box({**LINK_WHAT, **SETTINGS}, LABELS, hideable=SETTINGS)
