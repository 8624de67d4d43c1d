"""The model page, as a learner uses it: pick a preset, change the blocks, read the totals and
the summary, see the Keras code, and find the chosen network waiting for the training page."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from cnn_core import model_code, models
from cnn_core.models import ConvBlock, ModelConfig
from tests.app.conftest import ROOT
from ui.common import MODEL_CONFIG_KEY, MODEL_PRESET_KEY

PAGE = "app_pages/model.py"


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def all_text(at) -> str:
    return " ".join(e.value for e in (*at.markdown, *at.caption, *at.info, *at.warning, *at.success))


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    return at


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
        assert "⌊(28 + 1 + 1 − 3)/1⌋ + 1 = 28" in text
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

    def test_strong_uses_batch_norm_with_non_trainable_statistics(self, page):
        page.radio(key="model_page_preset").set_value("strong").run()
        rows = models.summarize(models.PRESETS["strong"])
        assert metric(page, "Total parameters") == f"{models.total_params(models.PRESETS['strong']):,}"
        assert metric(page, "Non-trainable") == f"{model_code.totals(rows).non_trainable:,}"
        assert page.checkbox(key="model_page_b0_batch_norm").value is True
        assert page.number_input(key="model_page_b0_convs").value == 2

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


def test_the_page_never_imports_tensorflow():
    code = (
        "import sys; from streamlit.testing.v1 import AppTest;"
        f"at = AppTest.from_file({str(ROOT / 'streamlit_app.py')!r}, default_timeout=60); at.run();"
        f"at.switch_page({PAGE!r}); at.run();"
        "at.radio(key='model_page_preset').set_value('strong').run();"
        "assert not at.exception, at.exception;"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "False False"
