"""The pretrained networks the app ships: present, described, loaded safely, and as good as claimed.

The claim (the accuracy in each network's JSON, shown to learners) is checked on the bundled
sample's 1,000 test images, which come from each data file's own test split
(tools/make_sample_data.py): images the networks never saw.
"""

import dataclasses
import json
import math
import subprocess

import numpy as np
import pytest

from cnn_core import datasets, evaluation, pretrained
from cnn_core.models import PRESETS
from cnn_core.worker.inference import load_pretrained
from cnn_core.worker.models import build_model

NAMES = ["mnist", "fashion_mnist"]
# How far (in standard deviations) n images drawn from the stated test set may score from the
# stated accuracy p: sd = sqrt(p(1 - p) / n), the binomial's (the bundled images are a class-
# balanced draw from that set, so their spread is, if anything, smaller).
MARGIN_SD = 3


@pytest.mark.parametrize("name", NAMES)
def test_a_network_and_its_complete_provenance_are_shipped(name):
    assert pretrained.available(name)
    prov = pretrained.provenance(name)
    raw = json.loads(pretrained.provenance_path(name).read_text())
    assert set(raw) == {f.name for f in dataclasses.fields(pretrained.Provenance)}
    assert prov.name == name and prov.preset == "tutorial"
    assert prov.command.startswith("python -m cnn_core train ") and "--data " in prov.command
    assert prov.data_file in prov.command and len(prov.data_sha256) == 64
    assert f"--epochs {prov.epochs}" in prov.command and f"--seed {prov.seed}" in prov.command
    assert f"--batch-size {prov.batch_size}" in prov.command
    assert prov.train_images == {"mnist": 8_000, "fashion_mnist": 60_000}[name]
    assert prov.test_images == {"mnist": 2_000, "fashion_mnist": 10_000}[name]
    assert 0.85 <= prov.test_accuracy <= 1 and prov.keras_version and prov.tensorflow_version
    # Weights only: the tutorial's 235,262 float32 parameters are ~0.94 MB; an optimizer would triple it.
    size = pretrained.model_path(name).stat().st_size
    assert size == prov.model_bytes and size < 1.5e6


def test_every_shipped_file_is_tracked_by_git_so_a_clean_clone_has_it():
    listed = subprocess.run(
        [
            "git",
            "ls-files",
            "--error-unmatch",
            *[str(pretrained.model_path(n)) for n in NAMES],
            *[str(pretrained.provenance_path(n)) for n in NAMES],
        ],
        cwd=pretrained.MODELS_DIR,
        capture_output=True,
        text=True,
    )
    if listed.returncode != 0 and "not a git repository" in listed.stderr:
        pytest.skip("not a git checkout")
    assert listed.returncode == 0, listed.stderr


def test_nothing_is_shipped_for_other_names_and_a_path_is_never_read():
    assert not pretrained.available("cifar10")
    assert not pretrained.available("../sample_data/mnist_sample")
    with pytest.raises(ValueError, match="No pretrained network"):
        load_pretrained("cifar10")
    with pytest.raises(ValueError, match="No pretrained network"):
        pretrained.provenance("cifar10")


@pytest.mark.parametrize("name", NAMES)
def test_it_loads_in_safe_mode_as_the_tutorials_network_without_optimizer(name):
    model = load_pretrained(name)
    evaluation.check_model(model)
    assert model.count_params() == build_model(PRESETS["tutorial"]).count_params() == 235_262
    assert getattr(model, "optimizer", None) is None  # not compiled: nothing trains it by accident


@pytest.mark.parametrize("name", NAMES)
def test_its_accuracy_on_the_bundled_test_images_is_the_one_it_states(name):
    """MNIST states 0.9795 and Fashion-MNIST 0.902: 1,000 images allow ±0.013 and ±0.028 (they
    score 0.980 and 0.897). A network that lost its weights, one trained for an epoch or two,
    or a JSON whose figure is not this network's falls outside."""
    stated = pretrained.provenance(name).test_accuracy
    data = datasets.load_dataset(name, "bundled")
    accuracy = evaluation.predict(load_pretrained(name), data.x_test, data.y_test).accuracy
    margin = MARGIN_SD * math.sqrt(stated * (1 - stated) / len(data.y_test))
    assert abs(accuracy - stated) <= margin, f"scored {accuracy:.4f}, states {stated} ± {margin:.4f}"


@pytest.mark.parametrize("name", NAMES)
def test_the_shipped_answers_are_the_networks_own_on_the_bundled_test_images(name):
    data = datasets.load_dataset(name, "bundled")
    shipped = pretrained.shipped_predictions(name, data.x_test, data.y_test)
    live = evaluation.predict(load_pretrained(name), data.x_test, data.y_test)
    assert shipped is not None and shipped.probabilities.dtype == np.float32
    np.testing.assert_allclose(shipped.probabilities, live.probabilities, atol=1e-4)
    assert np.array_equal(shipped.predicted, live.predicted)
    # Other images (one fewer, or one pixel changed) are never answered from the file.
    assert pretrained.shipped_predictions(name, data.x_test[:-1], data.y_test[:-1]) is None
    changed = data.x_test.copy()
    changed[0, 0, 0] ^= 1
    assert pretrained.shipped_predictions(name, changed, data.y_test) is None


def test_the_sentence_names_the_command_the_data_and_the_accuracy():
    prov = pretrained.provenance("fashion_mnist")
    text = pretrained.describe(prov)
    assert text.startswith("The tutorial's network, trained by `python -m cnn_core train")
    assert "60,000 Fashion-MNIST images for 10 epochs" in text
    assert f"{prov.test_accuracy:.1%} on its 10,000 test images" in text
    more = pretrained.details(prov)
    assert prov.command in more and prov.data_file in more and prov.keras_version in more


def test_a_provenance_file_missing_a_field_is_refused(tmp_path, monkeypatch):
    for name in ("mnist",):
        (tmp_path / f"{name}.keras").write_bytes(pretrained.model_path(name).read_bytes())
        raw = json.loads(pretrained.provenance_path(name).read_text())
        del raw["seed"]
        (tmp_path / f"{name}.json").write_text(json.dumps(raw))
    monkeypatch.setattr(pretrained, "MODELS_DIR", tmp_path)
    with pytest.raises(ValueError, match="lacks seed"):
        pretrained.provenance("mnist")
