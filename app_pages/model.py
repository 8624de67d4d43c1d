"""Model: build the network, see its shapes and parameters (tutorial § 1.3.3). Never loads TensorFlow.

The network is kept in plain keys (MODEL_CONFIG_KEY, MODEL_PRESET_KEY) for the Training page, as
Streamlit deletes a widget's key when its page is left; a link carries it as MODEL_CONFIG_KEY.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from cnn_core import formulas, model_code, models, training_config
from cnn_core.figures import model as model_figures
from cnn_core.models import ConvBlock, ModelConfig
from ui import notebook_download, quiz, url_state
from ui.common import MODEL_CONFIG_KEY, MODEL_PRESET_KEY, cached_png

# Widget keys: all start with "model_page_" so they never collide with other pages' keys.
PRESET_KEY = "model_page_preset"  # also a name in the link's hide= list
BLOCKS_KEY = "model_page_blocks"  # also a name in the link's hide= list
DENSE_KEY = "model_page_dense_units"
DROPOUT_KEY = "model_page_dropout"
SHOW_CODE_KEY = "model_page_show_code"  # also its URL parameter
NOTEBOOK_KEY = "model_page_notebook"  # the "Download as a notebook" button
BLOCK_FIELD_KEY = "model_page_b{index}_{field}"  # one control of one block: see block_key()
BLOCK_FIELDS = ("filters", "kernel_size", "padding", "activation", "pool", "pool_size", "convs", "batch_norm")
LIMITS = models.TEXT_LIMITS  # the widgets' tops: what a link may ask for (6 blocks shrink 28×28 to nothing)
KERNELS = (1, 3, 5, 7)
STRONG = models.PRESETS["strong"]  # its help names its filters
POOL_SIZES = (2, 3)
PRESET_OPTIONS = (*models.PRESETS, "custom")
MAX_DROPOUT = 0.9  # the dropout slider's end
DROPOUT_STEP = 0.05


SETTINGS: dict[str, url_state.Param] = {
    MODEL_CONFIG_KEY: url_state.Network(models.PRESETS["tutorial"], max_dropout=MAX_DROPOUT),
    SHOW_CODE_KEY: url_state.Bool(False),
}
LABELS = {
    MODEL_CONFIG_KEY: "All network controls (preset and block editor)",
    PRESET_KEY: "Preset chooser",
    BLOCKS_KEY: "Block editor (blocks, dense units, dropout)",
    SHOW_CODE_KEY: "Show the Keras code",
}


def block_key(index: int, field: str) -> str:
    """The key of the control of block ``index`` (from 0) that sets ``field`` (a ConvBlock field)."""
    return BLOCK_FIELD_KEY.format(index=index, field=field)


def stored_config() -> ModelConfig:
    """The configuration kept for the training page (the tutorial's until the learner picks)."""
    config = st.session_state.get(MODEL_CONFIG_KEY)
    return config if isinstance(config, ModelConfig) else models.PRESETS["tutorial"]


def config_from_widgets() -> ModelConfig:
    """The configuration the widgets describe; a widget not yet drawn (first visit, a block
    just added) takes its value from the stored configuration or, for a new block, from
    ``model_code.next_block``."""
    state, base = st.session_state, stored_config()
    blocks: list[ConvBlock] = []
    for i in range(int(state.get(BLOCKS_KEY, len(base.blocks)))):
        default = base.blocks[i] if i < len(base.blocks) else model_code.next_block(tuple(blocks))
        blocks.append(ConvBlock(**{f: state.get(block_key(i, f), getattr(default, f)) for f in BLOCK_FIELDS}))
    return replace(
        base,
        blocks=tuple(blocks),
        dense_units=int(state.get(DENSE_KEY, base.dense_units)),
        # The slider's floats may carry binary noise (0.30000000000000004): keep 2 decimals so
        # a preset's 0.3 is recognised and the exported code reads 0.3.
        dropout=round(float(state.get(DROPOUT_KEY, base.dropout)), 2),
    )


def write_widgets(config: ModelConfig, overwrite: bool) -> None:
    """Put ``config`` into the widgets' keys (only the missing ones unless ``overwrite``)."""
    values = {
        BLOCKS_KEY: len(config.blocks),
        DENSE_KEY: config.dense_units,
        DROPOUT_KEY: float(config.dropout),
    }
    for i, block in enumerate(config.blocks):
        values.update({block_key(i, f): getattr(block, f) for f in BLOCK_FIELDS})
    for key, value in values.items():
        if overwrite or key not in st.session_state:
            st.session_state[key] = value


def apply_preset() -> None:
    """Preset chosen: load it into every widget (a "Custom" choice keeps the current values)."""
    name = st.session_state[PRESET_KEY]
    if name in models.PRESETS:
        st.session_state[MODEL_CONFIG_KEY] = models.PRESETS[name]
        write_widgets(models.PRESETS[name], overwrite=True)


def sync_preset() -> None:
    """A setting changed: the preset selector shows which preset (if any) this now is."""
    st.session_state[PRESET_KEY] = models.preset_name(config_from_widgets())


def options_with(options: tuple, value: object) -> list:
    """The widget's options, plus ``value`` when a stored configuration uses another one."""
    return list(options) if value in options else sorted({*options, value}, key=str)


def render() -> None:
    intro()
    if quiz.page_quiz("model"):
        return  # the quiz hides the network: nothing is worked out before the answer
    network_shown = linked_network()
    if network_shown:
        preset_chooser()
    if network_shown and url_state.shown(BLOCKS_KEY):
        block_editor()
    else:
        st.caption("This lesson's link sets the network; its layers are below.")
    config, rows = checked_network()
    totals = model_code.totals(rows)
    metrics(totals)
    sizes = model_code.size_formulas(config, rows)  # how each layer's output side arises
    where_numbers_come_from(config, rows, sizes)
    summary_table(rows, sizes, totals)
    shape_diagram(config, rows)
    keras_code(config)
    take_it_to_colab(config)
    handed_to_training(totals)
    share_box()


def intro() -> None:
    st.title("Model: build it, see its shapes and parameters")
    st.markdown(
        "Choose the layers of the network and look at **what each layer does to the shape of the "
        "image** and **how many numbers it learns**. A 28×28 image goes in; each pooling halves its "
        "side; the last layer gives 10 probabilities, one per class."
    )


def linked_network() -> bool:
    """Seed the widgets from the link's network (it replaces the stored one: a new object) or the
    stored one; a tampered link falls back to the tutorial's. Whether the network's controls show."""
    linked_before = st.session_state.get(MODEL_CONFIG_KEY)
    url_state.bind(SETTINGS)
    if st.session_state[MODEL_CONFIG_KEY] is not linked_before:
        write_widgets(stored_config(), overwrite=True)
        st.session_state[PRESET_KEY] = models.preset_name(stored_config())
    # First visit, or back from another page: the widgets take the stored configuration.
    write_widgets(config_from_widgets(), overwrite=False)
    if PRESET_KEY not in st.session_state:
        st.session_state[PRESET_KEY] = models.preset_name(config_from_widgets())
    return url_state.shown(MODEL_CONFIG_KEY)  # hides both the preset and the editor


def preset_chooser() -> None:
    if url_state.shown(PRESET_KEY):
        st.radio(
            "Start from a preset",
            PRESET_OPTIONS,
            key=PRESET_KEY,
            horizontal=True,
            format_func=lambda n: models.PRESET_TITLES.get(n, "Custom"),
            on_change=apply_preset,
            help="Tutorial: the tutorial's create_model(). Tutorial + exercise 2: a third block of 48 "
            f"3×3 kernels. Strong: few filters where the image is large ({STRONG.blocks[0].filters} at "
            f"28×28), many where it is small ({STRONG.blocks[1].filters} at 14×14), a wider dense "
            "layer, and training settings of its own.",
        )


def block_editor() -> None:
    """Blocks, dense units and dropout, then one row of controls per convolution block."""
    with st.container(border=True):
        top = st.columns(3)
        top[0].number_input(
            "Convolution blocks",
            1,
            LIMITS["blocks"],
            step=1,
            key=BLOCKS_KEY,
            on_change=sync_preset,
            help="A block is one or more convolutions followed by a pooling.",
        )
        top[1].number_input(
            "Dense units (fc1)",
            1,
            LIMITS["dense_units"],
            step=1,
            key=DENSE_KEY,
            on_change=sync_preset,
            help="Neurons of the fully connected layer after the flatten.",
        )
        with top[2]:
            url_state.bounded_slider(
                "Dropout rate",
                0.0,
                MAX_DROPOUT,
                DROPOUT_KEY,
                step=DROPOUT_STEP,
                on_change=sync_preset,
                help="Share of fc1's outputs set to zero at random during training; 0 removes the layer.",
            )
        for i in range(int(st.session_state[BLOCKS_KEY])):
            cols = st.columns([1.1, 0.8, 0.9, 1, 1, 0.8, 0.7, 1])
            cols[0].number_input(
                f"Block {i + 1}: filters",
                1,
                LIMITS["filters"],
                step=1,
                key=block_key(i, "filters"),
                on_change=sync_preset,
                help="Number of kernels, i.e. output channels of each convolution.",
            )
            widgets = (
                (cols[1], "Kernel", "kernel_size", KERNELS, lambda k: f"{k}×{k}"),
                (cols[2], "Padding", "padding", models.PADDINGS, str),
                (cols[3], "Activation", "activation", models.ACTIVATIONS, str),
                (cols[4], "Pooling", "pool", models.POOLS, str),
                (cols[5], "Pool window", "pool_size", POOL_SIZES, lambda p: f"{p}×{p}"),
            )
            for col, text, field, options, fmt in widgets:
                key = block_key(i, field)
                col.selectbox(
                    text,
                    options_with(options, st.session_state[key]),
                    key=key,
                    format_func=fmt,
                    on_change=sync_preset,
                )
            cols[6].number_input(
                "Convs",
                1,
                LIMITS["convs"],
                step=1,
                key=block_key(i, "convs"),
                on_change=sync_preset,
                help="Convolutions in a row before the pooling.",
            )
            # No help icon here: the column is narrow and the label says enough.
            cols[7].checkbox("Batch norm", key=block_key(i, "batch_norm"), on_change=sync_preset)


def checked_network() -> tuple[ModelConfig, list[models.LayerRow]]:
    """The widgets' network and its summary rows, kept for the Training page; a network that
    cannot be built is explained and stops the page (Training keeps the last one that fits)."""
    config = config_from_widgets()
    try:
        rows = models.summarize(config)
    except models.ModelShapeError as exc:
        kept = stored_config()
        st.error(
            f"**This network cannot be built: the image shrinks to nothing at `{exc.layer}`.**\n\n{exc}",
            icon=":material/error:",
        )
        st.info(
            f"The training page keeps the last network that fits "
            f"({models.PRESET_TITLES.get(models.preset_name(kept), 'custom')}, "
            f"{models.total_params(kept):,} parameters) until you fix this one."
        )
        st.stop()
    except ValueError as exc:
        st.error(f"This configuration is not valid: {exc}")
        st.stop()
    st.session_state[MODEL_CONFIG_KEY] = config
    st.session_state[MODEL_PRESET_KEY] = models.preset_name(config)
    return config, rows


def metrics(totals: model_code.Totals) -> None:
    cols = st.columns(5)
    cols[0].metric("Total parameters", f"{totals.params:,}")
    cols[1].metric("Trainable", f"{totals.trainable:,}")
    cols[2].metric(
        "Non-trainable", f"{totals.non_trainable:,}", help="BatchNormalization's moving mean and variance."
    )
    cols[3].metric("Multiply-adds per image", f"{totals.macs / 1e6:,.2f} M")
    cols[4].metric(
        "Weights in memory", f"{totals.weight_bytes / 1e6:,.2f} MB", help="Parameters × 4 bytes (float32)."
    )


def where_numbers_come_from(config: ModelConfig, rows: list[models.LayerRow], sizes: dict[str, str]) -> None:
    """The size and parameter formulas with this network's first layers, and where the parameters sit."""
    st.subheader("Where the numbers come from")
    st.markdown(formulas.network_formulas(rows, sizes))
    st.info(
        formulas.parameter_notice(model_code.largest_layer(rows), rows, sizes, config.dense_units),
        icon=":material/lightbulb:",
    )
    warning = formulas.flat_map_warning(rows)
    if warning:
        st.warning(warning)


def summary_table(rows: list[models.LayerRow], sizes: dict[str, str], totals: model_code.Totals) -> None:
    """What ``model.summary()`` prints, with how each size and parameter count arises."""
    st.subheader("Summary, layer by layer")
    st.caption(
        "What `model.summary()` prints, plus how each number arises. None in a shape is the "
        "batch axis (any number of images); MACs are multiply-accumulates per image."
    )
    st.dataframe(
        model_code.summary_records(rows, sizes),
        hide_index=True,
        width="stretch",
        height=35 * (len(rows) + 1) + 3,  # every layer visible: the table is the summary, not a sample
        column_config={
            "Layer": st.column_config.TextColumn(width=95),
            "Type": st.column_config.TextColumn(width=118),
            "Output shape": st.column_config.TextColumn(width=118),
            "How the size arises": st.column_config.TextColumn(width=165),
            "Parameters": st.column_config.NumberColumn(format="localized", width=72),
            "How the parameters arise": st.column_config.TextColumn(width=170),
            "Share of parameters (%)": st.column_config.ProgressColumn(
                "Share", min_value=0, max_value=100, format="%.1f%%", width=70
            ),
            "MACs per image": st.column_config.NumberColumn("MACs / image", format="localized", width=80),
        },
    )
    st.markdown(
        f"**Total params: {totals.params:,}** (trainable {totals.trainable:,}, non-trainable "
        f"{totals.non_trainable:,})"
    )


def shape_diagram(config: ModelConfig, rows: list[models.LayerRow]) -> None:
    st.subheader("The shape, from image to prediction")
    st.caption(
        "Height and depth of each slab: the image's side in pixels; thickness: its channels. "
        "Bars: vectors, taller for longer ones."
    )
    st.image(
        cached_png("shape flow", repr(config), lambda: model_figures.shape_flow_figure(rows)),
        alt=model_figures.shape_flow_description(rows),
    )


def keras_code(config: ModelConfig) -> None:
    """The exact Keras code of this network, behind a toggle, with a download."""
    code = model_code.keras_code(config)
    if url_state.shown(SHOW_CODE_KEY):
        st.toggle(
            LABELS[SHOW_CODE_KEY],
            key=SHOW_CODE_KEY,
            help="The exact code of this model, ready to paste into a notebook.",
        )
    if st.session_state[SHOW_CODE_KEY]:
        st.code(code, language="python")
        st.download_button(
            "Download create_model.py", code, file_name="create_model.py", mime="text/x-python"
        )


def take_it_to_colab(config: ModelConfig) -> None:
    """This network as a notebook, trained with the settings its preset is meant for."""
    notebook_download.download_button(
        config,
        training_config.training_defaults(models.preset_name(config)),
        NOTEBOOK_KEY,
        "Take it to Colab: this network and its training, with the settings its preset is meant for "
        "(the Training page's button takes yours).",
    )


def handed_to_training(totals: model_code.Totals) -> None:
    """What the Training page will train: this network (the router's footer links to it)."""
    st.success(
        "The training page trains this network: "
        f"**{models.PRESET_TITLES.get(st.session_state[MODEL_PRESET_KEY], 'Custom')}**, "
        f"{totals.params:,} parameters.",
        icon=":material/check_circle:",
    )


def share_box() -> None:
    """The share box also offers to hide the preset chooser and the block editor; their values
    never travel on their own (MODEL_CONFIG_KEY carries the whole network)."""
    shared = {MODEL_CONFIG_KEY: SETTINGS[MODEL_CONFIG_KEY]}
    shared.update({key: url_state.HideOnly(st.session_state.get(key)) for key in (PRESET_KEY, BLOCKS_KEY)})
    shared[SHOW_CODE_KEY] = SETTINGS[SHOW_CODE_KEY]
    url_state.share_box(shared, LABELS)
    url_state.sync(SETTINGS)  # the network was assembled from the widgets after bind: the URL follows


render()
