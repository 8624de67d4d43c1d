"""Training: train the network live, watch it learn batch by batch (tutorial § 1.3.5).

The run goes on in a Trainer thread of the process-wide job registry (``ui.jobs``), never in this
script, so a click or a page change never stops it; TensorFlow loads only when a run starts.
"""

from __future__ import annotations

import streamlit as st

from cnn_core import datasets, models, training_config
from cnn_core.training_config import TrainingConfig
from ui import compare_runs, notebook_download, training_live, url_state
from ui.common import DATASET_KEY, MODEL_CONFIG_KEY, MODEL_PRESET_KEY, current_dataset, gpu_accelerator
from ui.training_live import LEARNING_RATES
from ui.training_runs import (
    Runs,
    Subject,
    Watching,
    delete_section,
    others_section,
    read_runs,
    resume_section,
    start_section,
)

BATCH_SIZES = (16, 32, 64, 128, 256, 512, 1024)
VALIDATION_PERCENTS = tuple(range(0, 31, 5))
# The settings' widget keys, which are also their URL parameters (kept across page switches).
OPTIMIZER_KEY = "train_optimizer"
LR_KEY = "train_lr"
BATCH_KEY = "train_batch"
EPOCHS_KEY = "train_epochs"
LOOP_KEY = "train_loop"
CHECKPOINT_KEY = "train_checkpoint"
SCHEDULE_KEY = "train_schedule"
VALIDATION_KEY = "train_validation"
AUGMENT_KEY = "train_augment"
DEFAULTS_FOR_KEY = "train_defaults_for"  # the preset whose defaults the widgets were last set to
MIXED_KEY = "train_mixed_precision"  # only offered on a GPU, so never in a shared link
NOTEBOOK_KEY = "train_notebook"  # the "Download as a notebook" button
# An instructor's link names the data and the network first: the training defaults follow them.
LINK_WHAT = {
    DATASET_KEY: url_state.Choice("mnist", list(datasets.DATASET_NAMES)),
    MODEL_CONFIG_KEY: url_state.Network(models.PRESETS["tutorial"]),
}
LABELS = {
    OPTIMIZER_KEY: "Optimizer",
    LR_KEY: "Learning rate η",
    BATCH_KEY: "Batch size B",
    EPOCHS_KEY: "Epochs E",
    LOOP_KEY: "Training loop",
    CHECKPOINT_KEY: "Checkpoint interval",
    SCHEDULE_KEY: "Learning-rate schedule",
    VALIDATION_KEY: "Validation images (%)",
    AUGMENT_KEY: "Augmentation",
}


def render() -> None:
    intro()
    runs = read_runs()
    subject = what_will_be_trained()
    settings = bind_settings(subject.preset)
    config = settings_section(subject.preset, settings, runs)
    steps_lesson(subject.data, config)
    start_section(subject, config, runs)
    notebook_download.download_button(
        subject.model_config,
        config,
        NOTEBOOK_KEY,
        "Or take it to Colab: this network with these settings, as a notebook that trains it step by step.",
    )
    watching = others_section(runs)
    resume_section(subject, runs)
    run_section(subject.data, runs, watching)
    compare_runs.compare_section(subject, runs)
    delete_section(runs)
    st.divider()
    url_state.share_box({**LINK_WHAT, **settings}, LABELS, hideable=settings)


def intro() -> None:
    st.title("Train the network")
    st.markdown(
        "Here the network learns. **Look at the per-batch loss**: every point is one step of "
        "gradient descent on one batch of images, and the curve grows while you watch. Change the "
        "learning rate during the run, pause it, stop it; leave the page and come back, and it is "
        "still running."
    )


# ----- what will be trained ---------------------------------------------------------------


def what_will_be_trained() -> Subject:
    """The data and network of this session (a link may set both), in a box with links to
    change them; stops the page with a sentence when either cannot be used."""
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
        st.page_link("app_pages/model.py", label="Open the Model page", icon=":material/account_tree:")
        st.stop()
    with st.container(border=True):
        left, right = st.columns(2)
        with left:
            st.markdown(f"**Data:** {data.title} · {data.source_label}")
            if data.note:
                st.caption(data.note)
            st.page_link("app_pages/dataset.py", label="Change the data", icon=":material/photo_library:")
        with right:
            title = models.PRESET_TITLES.get(preset, "Custom")
            st.markdown(
                f"**Model:** {title} · {params:,} parameters  \n"
                f"`{training_config.architecture_text(model_config)}`"
            )
            st.page_link("app_pages/model.py", label="Change the model", icon=":material/account_tree:")
    return Subject(data, preset, model_config)


def chosen_model() -> tuple[str, models.ModelConfig]:
    """The model page's choice (preset short name, configuration), else the tutorial's."""
    config = st.session_state.get(MODEL_CONFIG_KEY)
    if not isinstance(config, models.ModelConfig):
        preset = st.session_state.get(MODEL_PRESET_KEY) or "tutorial"
        return preset, models.PRESETS.get(preset, models.PRESETS["tutorial"])
    return models.preset_name(config), config


# ----- settings ---------------------------------------------------------------------------


def bind_settings(preset: str) -> dict[str, url_state.Param]:
    """The training settings as URL parameters: a link carries only what differs from the
    preset's defaults, which the widgets take on a first visit or a new preset."""
    d = training_config.training_defaults(preset)
    settings: dict[str, url_state.Param] = {
        OPTIMIZER_KEY: url_state.Choice(d.optimizer, training_config.OPTIMIZERS),
        LR_KEY: url_state.Choice(d.learning_rate, LEARNING_RATES),
        BATCH_KEY: url_state.Choice(d.batch_size, BATCH_SIZES),
        EPOCHS_KEY: url_state.Int(d.epochs, 1, 200),
        LOOP_KEY: url_state.Choice(d.loop, training_config.LOOPS),
        CHECKPOINT_KEY: url_state.Int(d.checkpoint_every, 0, 200),
        SCHEDULE_KEY: url_state.Choice(d.schedule, training_config.SCHEDULES),
        VALIDATION_KEY: url_state.Choice(int(round(d.validation_fraction * 100)), VALIDATION_PERCENTS),
        AUGMENT_KEY: url_state.Choice(d.augment, training_config.AUGMENTATIONS),
    }
    if st.session_state.get(DEFAULTS_FOR_KEY) != preset or LR_KEY not in st.session_state:
        st.session_state.update({key: param.default for key, param in settings.items()})
        st.session_state[DEFAULTS_FOR_KEY] = preset
    url_state.bind(settings)
    return settings


def settings_section(preset: str, settings: dict[str, url_state.Param], runs: Runs) -> TrainingConfig:
    """The widgets (locked while this session's run goes), read into the configuration to train."""
    locked, t = runs.active, training_config.training_defaults("tutorial")
    tutorials = (
        f" (the tutorial's: {training_config.OPTIMIZER_TITLES[t.optimizer]}, η = {t.learning_rate:g}, "
        f"batch {t.batch_size}, {t.epochs} epochs)."
    )
    st.subheader("Settings")
    st.caption(
        f"The defaults are the ones the {models.PRESET_TITLES.get(preset, 'tutorial')} preset is meant "
        "to be trained with"
        + (tutorials if preset in ("tutorial", "exercise2", "custom") else ".")
        + (" They are locked while your run is going." if locked else "")
    )
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        _optimizer_controls(locked)
    with c2:
        _learning_rate_controls(locked)
    with c3:
        _length_controls(settings, locked)
    with c4:
        _holdout_controls(settings, locked)
    return _chosen_config(locked)


def _optimizer_controls(locked: bool) -> None:
    """The optimizer and the training loop (Keras fit or GradientTape)."""
    if url_state.shown(OPTIMIZER_KEY):
        st.selectbox(
            "Optimizer",
            training_config.OPTIMIZERS,
            key=OPTIMIZER_KEY,
            format_func=training_config.OPTIMIZER_TITLES.get,
            disabled=locked,
            persist_state="session",
        )
    if url_state.shown(LOOP_KEY):
        st.radio(
            "Training loop",
            training_config.LOOPS,
            key=LOOP_KEY,
            disabled=locked,
            format_func=lambda v: {"fit": "Keras fit", "custom": "GradientTape (exercise 3)"}[v],
            help="Both report the same metrics; the custom loop is the tutorial's exercise 3.",
            persist_state="session",
        )


def _learning_rate_controls(locked: bool) -> None:
    """η and its schedule."""
    if url_state.shown(LR_KEY):
        url_state.select_slider(
            "Learning rate η",
            LEARNING_RATES,
            LR_KEY,
            disabled=locked,
            format_func=lambda v: f"{v:g}",
            persist_state="session",
            help="You can also change it while the run goes.",
        )
    if url_state.shown(SCHEDULE_KEY):
        st.selectbox(
            "Learning-rate schedule",
            training_config.SCHEDULES,
            key=SCHEDULE_KEY,
            disabled=locked,
            persist_state="session",
            format_func={"constant": "constant η", "cosine": "cosine decay to 0"}.get,
        )


def _length_controls(settings: dict[str, url_state.Param], locked: bool) -> None:
    """The batch size, the epochs and the augmentation."""
    if url_state.shown(BATCH_KEY):
        url_state.select_slider(
            "Batch size B", BATCH_SIZES, BATCH_KEY, disabled=locked, persist_state="session"
        )
    url_state.number_input("Epochs E", EPOCHS_KEY, settings, step=1, disabled=locked, persist_state="session")
    if url_state.shown(AUGMENT_KEY):
        st.selectbox(
            "Augmentation",
            training_config.AUGMENTATIONS,
            key=AUGMENT_KEY,
            disabled=locked,
            persist_state="session",
            format_func={"none": "none", "flip": "mirror half of each batch"}.get,
            help="A mirrored coat is still a coat: more pictures for free. Training images only.",
        )


def _holdout_controls(settings: dict[str, url_state.Param], locked: bool) -> None:
    """The validation share and how often a checkpoint is saved."""
    if url_state.shown(VALIDATION_KEY):
        percents = settings[VALIDATION_KEY].options
        url_state.bounded_slider(
            "Validation images (%)",
            percents[0],
            percents[-1],
            VALIDATION_KEY,
            step=percents[1] - percents[0],
            disabled=locked,
            persist_state="session",
            help="Held out from the training images to show over-fitting; 0 for none.",
        )
    url_state.number_input(
        "Checkpoint every N epochs",
        CHECKPOINT_KEY,
        settings,
        step=1,
        disabled=locked,
        persist_state="session",
        help="Exercise 4: save the model every N epochs, so a run survives a restart. 0: never.",
    )


def _chosen_config(locked: bool) -> TrainingConfig:
    """The settings the widgets hold, as the configuration to train."""
    state = st.session_state
    mixed_precision = mixed_precision_switch(int(state[BATCH_KEY]), locked)
    return TrainingConfig(
        epochs=int(state[EPOCHS_KEY]),
        batch_size=int(state[BATCH_KEY]),
        learning_rate=float(state[LR_KEY]),
        optimizer=state[OPTIMIZER_KEY],
        loop=state[LOOP_KEY],
        checkpoint_every=int(state[CHECKPOINT_KEY]),
        validation_fraction=state[VALIDATION_KEY] / 100,
        schedule=state[SCHEDULE_KEY],
        augment=state[AUGMENT_KEY],
        mixed_precision=mixed_precision,
    )


def mixed_precision_switch(batch_size: int, locked: bool) -> bool:
    """Mixed precision pays off on a GPU only: offered where this server trains on one."""
    gpu = gpu_accelerator()
    if gpu is None:
        return False
    st.toggle(
        f"Mixed precision (float16 on {gpu.description})",
        key=MIXED_KEY,
        disabled=locked,
        help="Layers compute in 16-bit floats, twice as fast on a GPU's tensor cores; the weights "
        "and the last layer stay 32-bit, and the loss is scaled so small gradients survive.",
    )
    if gpu.replicas > 1:
        share = -(-batch_size // gpu.replicas)
        st.caption(
            f"Each of the {gpu.replicas} GPUs trains on {share} of every {batch_size} images; "
            "their gradients are added, so each step is the step one device would take on the whole batch."
        )
    return bool(st.session_state.get(MIXED_KEY, False))


def steps_lesson(data: datasets.Dataset, config: TrainingConfig) -> None:
    """Steps per epoch with the learner's numbers, and what B and η change."""
    n_train, _ = training_config.validation_split(len(data.y_train), config.validation_fraction)
    b, steps = config.batch_size, training_config.steps_per_epoch(n_train, config.batch_size)
    st.markdown("**One epoch is every training image once, in batches; each batch is one step:**")
    st.latex(
        rf"\text{{steps per epoch}} = \left\lceil \frac{{N_\text{{train}}}}{{B}} \right\rceil"
        rf" = \left\lceil \frac{{{n_train:,}}}{{{b}}} \right\rceil = {steps:,}"
        rf"\qquad E \times {steps:,} = {config.epochs * steps:,}\ \text{{steps of }}\ "
        rf"w \leftarrow w - \eta\,\hat g = w - {config.learning_rate:g}\,\hat g"
    )
    st.caption(
        f"Notice: with B = {b} the weights move {steps:,} times per epoch. Halve B and they "
        "move twice as often on noisier gradients; raise η tenfold and each step is ten times longer: "
        "faster at first, until the steps overshoot and the loss explodes (try η = 3 — the run stops "
        f"itself and says why). {training_config.OPTIMIZER_TITLES[config.optimizer]} scales ĝ per weight"
        + (
            " by its recent size, so η is close to the largest step a weight takes."
            if config.optimizer != "sgd"
            else " not at all: plain SGD steps by η times the gradient."
        )
    )


# ----- the run shown: live, then its result ------------------------------------------------


def run_section(data: datasets.Dataset, runs: Runs, watching: Watching) -> None:
    """Your run (going, or how it ended), else the run watched; live while it goes, then its result."""
    if runs.running or (watching.job is None and not runs.waiting):
        shown = runs.own_job
    else:
        shown = watching.job  # another session's run, or how it ended (None while yours waits unwatched)
    if shown is None:
        return
    controls = shown is runs.own_job
    # Going when read above (never read again): the panel polls, and the first poll that finds
    # the run ended (possibly at once, if it ended while this script ran) reruns the page.
    active = (runs.running and shown is runs.own_job) or shown in watching.others
    st.subheader("Your run" if controls else "Live")
    training_live.live_panel(runs.registry, runs.owner, shown.id, controls, active)
    if not active:
        training_live.result(shown, mine=controls, data=data)


render()
