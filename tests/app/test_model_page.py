"""The model page, as a learner uses it: pick a preset, change the blocks, read the totals and
the summary, see the Keras code, and find the chosen network waiting for the training page; and
an instructor's link that opens it on a chosen network, with the controls hidden if asked."""

from __future__ import annotations

from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import model_code, models
from cnn_core.models import ConvBlock, ModelConfig
from tests.app.conftest import loads_tensorflow, open_app_page, url_param
from ui.common import MODEL_CONFIG_KEY, MODEL_PRESET_KEY

PAGE = "app_pages/model.py"


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def all_text(at) -> str:
    return " ".join(e.value for e in (*at.markdown, *at.caption, *at.info, *at.warning, *at.success))


class TestOpeningThePage:
    def test_shows_the_tutorial_model_with_235262_parameters(self, page):
        assert page.title[0].value.startswith("Model")
        assert page.radio(key="model_page_preset").value == "tutorial"
        assert metric(page, "Total parameters") == "235,262"
        assert metric(page, "Non-trainable") == "0"

    def test_hands_the_tutorial_model_to_the_training_page(self, page):
        assert page.session_state[MODEL_CONFIG_KEY] == ModelConfig()
        assert page.session_state[MODEL_PRESET_KEY] == "tutorial"

    def test_teaches_where_the_numbers_come_from_with_the_real_numbers(self, page):
        text = all_text(page)
        assert "⌊(28 + 1 + 1 − 3) / 1⌋ + 1 = 28" in text
        assert "3×3×1×24 + 24 = 240" in text
        assert "1,764×128 + 128 = 225,920" in text
        assert "`fc1` holds 96.0%" in text

    def test_lists_every_layer_in_the_summary_table(self, page):
        table = page.dataframe[0].value
        assert table["Layer"].tolist() == [r.name for r in models.summarize(ModelConfig())]
        assert table["Parameters"].sum() == 235_262


class TestChoosingAPreset:
    def test_exercise_2_adds_a_block_of_48_and_shrinks_the_model(self, page):
        page.radio(key="model_page_preset").set_value("exercise2").run()
        assert metric(page, "Total parameters") == "80,366"
        assert page.number_input(key="model_page_blocks").value == 3
        assert page.number_input(key="model_page_b2_filters").value == 48
        assert page.session_state[MODEL_CONFIG_KEY] == models.PRESETS["exercise2"]
        assert page.session_state[MODEL_PRESET_KEY] == "exercise2"

    def test_strong_sets_its_blocks_and_dense_layer(self, page):
        page.radio(key="model_page_preset").set_value("strong").run()
        strong = models.PRESETS["strong"]
        assert metric(page, "Total parameters") == f"{models.total_params(strong):,}"
        assert page.number_input(key="model_page_b0_filters").value == strong.blocks[0].filters
        assert page.number_input(key="model_page_b1_filters").value == strong.blocks[1].filters
        assert page.number_input(key="model_page_dense_units").value == strong.dense_units

    def test_batch_norm_adds_statistics_that_are_not_trained(self, page):
        page.checkbox(key="model_page_b0_batch_norm").check().run()
        assert metric(page, "Non-trainable") == f"{2 * 24:,}"  # moving mean and variance of 24 maps
        assert page.session_state[MODEL_PRESET_KEY] == "custom"

    def test_back_to_the_tutorial_restores_every_control(self, page):
        page.radio(key="model_page_preset").set_value("strong").run()
        page.radio(key="model_page_preset").set_value("tutorial").run()
        assert page.session_state[MODEL_CONFIG_KEY] == ModelConfig()
        assert metric(page, "Total parameters") == "235,262"


class TestChangingTheBlocks:
    def test_a_changed_setting_makes_the_preset_custom_and_is_stored(self, page):
        page.number_input(key="model_page_b0_filters").set_value(32).run()
        assert page.radio(key="model_page_preset").value == "custom"
        assert page.session_state[MODEL_PRESET_KEY] == "custom"
        config = page.session_state[MODEL_CONFIG_KEY]
        assert config.blocks[0].filters == 32
        assert metric(page, "Total parameters") == f"{models.total_params(config):,}"

    def test_adding_a_third_block_to_the_tutorial_is_exercise_2(self, page):
        page.number_input(key="model_page_blocks").set_value(3).run()
        assert page.radio(key="model_page_preset").value == "exercise2"
        assert metric(page, "Total parameters") == "80,366"

    def test_pooling_settings_and_dropout_reach_the_model(self, page):
        page.selectbox(key="model_page_b1_pool").set_value("average")
        page.selectbox(key="model_page_b1_kernel_size").set_value(5)
        page.slider(key="model_page_dropout").set_value(0.25)
        page.number_input(key="model_page_dense_units").set_value(64).run()
        config = page.session_state[MODEL_CONFIG_KEY]
        assert config.blocks[1] == ConvBlock(filters=36, kernel_size=5, pool="average")
        assert (config.dropout, config.dense_units) == (0.25, 64)
        assert "AveragePooling2D" in page.dataframe[0].value["Type"].tolist()

    def test_too_many_poolings_name_the_layer_and_the_fix_without_a_traceback(self, page):
        page.number_input(key="model_page_blocks").set_value(6).run()
        assert not page.exception
        error = page.error[0].value
        assert "block5_pool" in error and "pooling 'none' in block 5" in error
        # The training page keeps the last network that could be built.
        assert len(page.session_state[MODEL_CONFIG_KEY].blocks) == 2
        assert "keeps the last network that fits" in page.info[0].value

    def test_warns_when_the_image_is_down_to_one_pixel(self, page):
        page.number_input(key="model_page_blocks").set_value(4).run()  # 28→14→7→3→1
        assert not page.error
        assert "down to 1×1 before the flatten (`block4_pool`)" in page.warning[0].value


class TestKerasCode:
    def test_show_the_keras_code_gives_the_exact_code_of_the_chosen_model(self, page):
        page.radio(key="model_page_preset").set_value("exercise2").run()
        page.toggle(key="model_page_show_code").set_value(True).run()
        assert page.code[0].value == model_code.keras_code(models.PRESETS["exercise2"]).rstrip("\n")
        assert page.code[0].language == "python"


class TestComingBack:
    def test_a_custom_model_survives_a_visit_to_another_page(self, page):
        page.number_input(key="model_page_b1_filters").set_value(20).run()
        page.switch_page("app_pages/home.py").run()
        page.switch_page(PAGE).run()
        assert not page.exception
        assert page.number_input(key="model_page_b1_filters").value == 20
        assert page.radio(key="model_page_preset").value == "custom"

    def test_a_stored_configuration_sets_the_controls(self, open_page):
        config = replace(models.PRESETS["strong"], dense_units=96)
        at = open_page(PAGE, **{MODEL_CONFIG_KEY: config})
        assert at.number_input(key="model_page_dense_units").value == 96
        assert at.radio(key="model_page_preset").value == "custom"
        assert metric(at, "Total parameters") == f"{models.total_params(config):,}"


# --- Instructor links ---------------------------------------------------------------------------
SHOW_CODE = "model_page_show_code"
CUSTOM = ModelConfig(
    blocks=(
        ConvBlock(filters=16, kernel_size=5),
        ConvBlock(
            filters=40,
            padding="valid",
            activation="tanh",
            pool="average",
            pool_size=3,
            convs=2,
            batch_norm=True,
        ),
    ),
    dense_units=64,
    dropout=0.25,
)


def open_link(**query) -> AppTest:
    """Open the page with ``query`` in the URL, as a shared link does."""
    at = open_app_page(PAGE, query=query)
    assert not at.exception, [e.value for e in at.exception]
    return at


class TestInstructorLinks:
    def test_a_preset_link_sets_every_control(self):
        at = open_link(**{MODEL_CONFIG_KEY: "exercise2"})
        assert not at.warning
        assert at.radio(key="model_page_preset").value == "exercise2"
        assert at.number_input(key="model_page_blocks").value == 3
        assert at.number_input(key="model_page_b2_filters").value == 48
        assert metric(at, "Total parameters") == "80,366"
        assert at.session_state[MODEL_CONFIG_KEY] == models.PRESETS["exercise2"]

    def test_a_custom_link_sets_every_block_and_shows_the_code(self):
        text = models.config_to_text(CUSTOM)
        at = open_link(**{MODEL_CONFIG_KEY: text, SHOW_CODE: "1"})
        assert not at.warning
        assert at.session_state[MODEL_CONFIG_KEY] == CUSTOM
        assert at.radio(key="model_page_preset").value == "custom"
        assert at.selectbox(key="model_page_b1_pool_size").value == 3
        assert at.checkbox(key="model_page_b1_batch_norm").value is True
        assert at.slider(key="model_page_dropout").value == 0.25
        assert at.toggle(key=SHOW_CODE).value is True
        assert at.code[0].value == model_code.keras_code(CUSTOM).rstrip("\n")
        assert metric(at, "Total parameters") == f"{models.total_params(CUSTOM):,}"
        assert url_param(at, MODEL_CONFIG_KEY) == text  # the page keeps the link as it came

    def test_a_new_link_replaces_the_network_the_learner_built(self, page):
        page.number_input(key="model_page_b1_filters").set_value(20).run()
        page.query_params[MODEL_CONFIG_KEY] = "strong"  # the instructor's link, opened in this session
        page.run()
        assert page.radio(key="model_page_preset").value == "strong"
        assert (
            page.number_input(key="model_page_b1_filters").value == models.PRESETS["strong"].blocks[1].filters
        )
        assert page.number_input(key="model_page_dense_units").value == models.PRESETS["strong"].dense_units
        assert page.session_state[MODEL_CONFIG_KEY] == models.PRESETS["strong"]

    def test_moving_a_control_updates_the_url(self, page):
        assert url_param(page, MODEL_CONFIG_KEY) is None  # the tutorial's network is the default
        page.number_input(key="model_page_b0_filters").set_value(32).run()
        config = page.session_state[MODEL_CONFIG_KEY]
        assert (
            url_param(page, MODEL_CONFIG_KEY)
            == models.config_to_text(config)
            == ("32:3:same:relu:max:2:1:0,36:3:same:relu:max:2:1:0;128;0.5")
        )
        page.radio(key="model_page_preset").set_value("strong").run()
        assert url_param(page, MODEL_CONFIG_KEY) == "strong"
        page.toggle(key=SHOW_CODE).set_value(True).run()
        assert url_param(page, SHOW_CODE) == "1"
        assert f"{MODEL_CONFIG_KEY}=strong" in page.code[-1].value  # the share box's link
        page.radio(key="model_page_preset").set_value("tutorial").run()
        assert url_param(page, MODEL_CONFIG_KEY) is None

    @pytest.mark.parametrize(
        "text",
        [
            "resnet50",  # no such preset
            "24:3:same:relu:max:2:1:0;99999999;0.5",  # dense units beyond the page's 4,096
            "24:3:same:relu:max:2:1:0;128;0.95",  # dropout beyond the slider's 0.9
            "24:3:same:relu:max:2:1:0;128;nan",
            ",".join(["8:3:same:relu:none:2:1:0"] * 7) + ";128;0.5",  # 7 blocks, the page offers 6
            ",".join(["8:7:valid:relu:max:3:3:0"] * 3) + ";128;0.5",  # the image shrinks to nothing
            "24:3:same:relu:max:2:1:0:<script>;128;0.5",
            "1" * 5000,
        ],
    )
    def test_a_tampered_link_falls_back_to_the_tutorial_with_a_notice(self, text):
        at = open_link(**{MODEL_CONFIG_KEY: text, SHOW_CODE: "perhaps"})
        notice = at.warning[0].value
        assert "not valid and were reset to their defaults" in notice
        assert f"`{MODEL_CONFIG_KEY}=" in notice and f"`{SHOW_CODE}=perhaps`" in notice
        assert at.radio(key="model_page_preset").value == "tutorial"
        assert at.session_state[MODEL_CONFIG_KEY] == ModelConfig()
        assert metric(at, "Total parameters") == "235,262"
        assert url_param(at, MODEL_CONFIG_KEY) is None and url_param(at, SHOW_CODE) is None

    @pytest.mark.parametrize("hide", ["model_page_preset,model_page_blocks", MODEL_CONFIG_KEY])
    def test_a_fixed_network_hides_the_controls_but_is_the_linked_one(self, hide):
        at = open_link(**{MODEL_CONFIG_KEY: "exercise2", "hide": hide})
        assert not at.radio and not at.number_input and not at.selectbox and not at.slider
        assert "This lesson's link sets the network" in all_text(at)
        assert metric(at, "Total parameters") == "80,366"
        assert at.session_state[MODEL_CONFIG_KEY] == models.PRESETS["exercise2"]
        assert at.session_state[MODEL_PRESET_KEY] == "exercise2"  # what the training page trains
        assert url_param(at, "hide") == hide

    def test_a_hidden_code_toggle_still_shows_the_linked_code(self):
        at = open_link(**{MODEL_CONFIG_KEY: "strong", SHOW_CODE: "1", "hide": SHOW_CODE})
        assert [toggle.key for toggle in at.main.toggle] == ["model_quiz_on"]  # only Quiz me, not the code's
        assert at.code[0].value == model_code.keras_code(models.PRESETS["strong"]).rstrip("\n")

    def test_the_share_box_offers_to_hide_the_preset_chooser_and_the_editor(self, page):
        hide = page.multiselect(key="_url_state_hide")
        assert hide.options == [
            "All network controls (preset and block editor)",
            "Preset chooser",
            "Block editor (blocks, dense units, dropout)",
            "Show the Keras code",
        ]
        hide.set_value(["model_page_preset", "model_page_blocks"]).run()
        link = page.code[-1].value
        assert "hide=model_page_preset,model_page_blocks" in link
        assert (
            "model_page_preset=" not in link and "model_page_blocks=" not in link
        )  # the network travels whole
        assert MODEL_CONFIG_KEY not in link  # the tutorial's network: the default, left implicit


def test_the_page_never_imports_tensorflow():
    assert not loads_tensorflow(PAGE, "at.radio(key='model_page_preset').set_value('strong').run()")
