"""How to train and how a run is named: the settings' checks, the η schedule, run titles."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cnn_core import models
from cnn_core.training_config import (
    LearningRateChange,
    TrainingConfig,
    describe_run,
    learning_rate_title,
    schedule_factor,
)
from tests.unit.conftest import FAST


def test_a_runs_title_shows_the_live_learning_rate_and_each_change():
    title = "Tutorial on MNIST · 10 epochs · Adam η=0.01"
    assert learning_rate_title(title, (), 9) == title
    first = LearningRateChange(step=13, epoch=2, learning_rate=0.03, previous=0.01)
    assert learning_rate_title(title, (first,), 9) == (
        "Tutorial on MNIST · 10 epochs · Adam η=0.03 (changed live: 0.01 → 0.03 at epoch 2, batch 5)"
    )
    second = LearningRateChange(step=27, epoch=4, learning_rate=0.001, previous=0.03)
    assert learning_rate_title(title, (first, second), 9).endswith(
        "η=0.001 (changed live: 0.01 → 0.03 at epoch 2, batch 5 → 0.001 at epoch 4, batch 1)"
    )


def test_cosine_schedule_decays_from_the_learning_rate_towards_zero():
    assert schedule_factor("cosine", 0, 100) == 1.0
    assert schedule_factor("cosine", 50, 100) == pytest.approx(0.5)
    assert schedule_factor("cosine", 99, 100) < 0.01
    assert schedule_factor("constant", 99, 100) == 1.0


def test_mixed_precision_is_a_checked_setting_and_named_in_the_run_title(small):
    with pytest.raises(ValueError, match="Mixed precision must be True or False"):
        TrainingConfig(mixed_precision="yes").check()
    config = replace(FAST, mixed_precision=True)
    title = describe_run(models.PRESETS["tutorial"], small, config)
    assert title.endswith(" · 2 epochs · mixed precision · Adam η=0.001")
    # η stays last, so a live change of it still reads in the title, beside the precision.
    change = LearningRateChange(step=3, epoch=1, learning_rate=0.01, previous=0.001)
    assert learning_rate_title(title, [change], 9).endswith(
        "mixed precision · Adam η=0.01 (changed live: 0.001 → 0.01 at epoch 1, batch 4)"
    )
    assert "mixed" not in describe_run(models.PRESETS["tutorial"], small, FAST)


def test_a_runs_title_names_its_preset_or_says_custom(small):
    """The preset's title comes from models.preset_name: any other network is a custom one."""
    assert describe_run(models.PRESETS["exercise2"], small, FAST).startswith(
        "Tutorial + exercise 2 on Fashion-MNIST"
    )
    custom = replace(models.PRESETS["tutorial"], dense_units=64)
    assert describe_run(custom, small, FAST).startswith("Custom model on Fashion-MNIST · 2 epochs")
