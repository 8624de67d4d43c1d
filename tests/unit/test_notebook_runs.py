"""Take it to Colab, run for real: the downloaded notebook runs top to bottom in a Jupyter kernel
(nbclient + ipykernel, as Jupyter would) and scores what the command line's run scores.

Each notebook trains one epoch on the bundled sample (5,400 training images), its data cell
pointed at the bundled ``.npz`` by a settings cell injected after its own (no code is edited).
"Within noise": on this sample, the notebook and ``python -m cnn_core train --json`` with the same
seed gave the same test accuracy to four decimals (the tutorial's network, seeds 0-3, both loops:
it mirrors the worker step by step), while one seed to the next moved it by up to 0.04
(0.894-0.936); with the unseeded "flip" the custom network below differed by 0.01. A notebook
that trained differently (no scaling to 0-1, another hold-out, the wrong loop) lands farther off
than a reseed does; ``NOISE`` leaves room for a machine whose thread timing reorders sums.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import nbformat
import pytest

import cnn_core.__main__ as cli
from cnn_core import notebook
from cnn_core.datasets import SAMPLE_DIR
from cnn_core.models import PRESETS, ConvBlock, ModelConfig, config_to_text, total_params
from cnn_core.training_config import TrainingConfig

pytestmark = pytest.mark.slow

NOISE = 0.05  # |notebook − command line| test accuracy on the 1,000 sample test images
KERNEL_TIMEOUT_S = 300  # one cell; a whole notebook takes 20-40 s here
CUSTOM = ModelConfig(
    blocks=(ConvBlock(16, 5, "valid", "elu", "average"), ConvBlock(32, convs=2, batch_norm=True)),
    dense_units=64,
    dropout=0.3,
)
CUSTOM_TRAINING = TrainingConfig(
    epochs=1,
    batch_size=128,
    learning_rate=0.003,
    optimizer="rmsprop",
    loop="custom",
    checkpoint_every=1,
    validation_fraction=0.2,
    schedule="cosine",
    augment="none",  # "flip" draws unseeded random numbers: the notebook and the CLI would differ
    seed=3,
)


def run_notebook(nb, folder: Path):
    """Execute every cell of ``nb`` in a fresh python3 kernel working in ``folder``; a cell that
    raises fails the test with its traceback (nbclient's CellExecutionError)."""
    from nbclient import NotebookClient

    NotebookClient(
        nb, timeout=KERNEL_TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    return nb


def printed(nb, tag: str) -> str:
    """What the code cell tagged ``tag`` printed."""
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and tag in c.metadata.get("tags", [])]
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def cli_accuracy(data: Path, dataset: str, model: ModelConfig, training: TrainingConfig) -> float:
    """``python -m cnn_core train … --json``'s test accuracy with the same data and settings."""
    args = ["train", "--data", str(data), "--dataset", dataset, "--model-config", config_to_text(model)]
    args += ["--epochs", str(training.epochs), "--batch-size", str(training.batch_size)]
    args += ["--lr", str(training.learning_rate), "--optimizer", training.optimizer, "--loop", training.loop]
    args += ["--schedule", training.schedule, "--augment", training.augment, "--seed", str(training.seed)]
    args += ["--validation-fraction", str(training.validation_fraction), "--json", "--quiet"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "limit_memory_growth", lambda: [])  # process-wide: not in pytest's
        assert cli.main(args) == 0
    return json.loads(out.getvalue().strip().splitlines()[-1])["test_accuracy"]


@pytest.mark.parametrize(
    ("dataset", "model", "training"),
    [
        ("mnist", PRESETS["tutorial"], TrainingConfig(epochs=1)),
        ("fashion_mnist", CUSTOM, CUSTOM_TRAINING),
    ],
    ids=["tutorial-fit", "custom-gradient-tape"],
)
def test_the_downloaded_notebook_runs_top_to_bottom_and_scores_what_the_app_scores(
    tmp_path, monkeypatch, dataset, model, training
):
    # Importing Streamlit (other tests do) sets MPLBACKEND=Agg in this process, which the kernel
    # would inherit and then draw no figure; a learner's Jupyter has no such variable.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    data = SAMPLE_DIR / f"{dataset}_sample.npz"
    nb = notebook.build_notebook(model, training, dataset)  # as the page builds it: Keras's download
    # The file a test (or Jupyter) reads instead, the way papermill injects settings.
    notebook.with_parameters(nb, DATA_FILE=str(data))
    nbformat.write(nb, tmp_path / "as-downloaded.ipynb")
    run_notebook(nb, tmp_path)

    # The network is the one the Model page shows, parameter for parameter.
    assert printed(nb, "compile").strip() == f"{total_params(model):,} parameters"
    assert "Running on the CPU" in printed(nb, "accelerator")  # no TPU here: it fell back
    assert "Train Images:(6000, 28, 28)" in printed(nb, "data")
    match = re.search(r"Test accuracy (\d\.\d+)", printed(nb, "test-accuracy"))
    assert match, printed(nb, "test-accuracy")
    accuracy = float(match.group(1))
    assert accuracy > 0.3, accuracy  # it learned something in one epoch (chance is 0.1)
    expected = cli_accuracy(data, dataset, model, training)
    assert abs(accuracy - expected) <= NOISE, (accuracy, expected)
    # Every figure drew, and the files a learner keeps are there.
    for tag in ("samples", "learning-curve", "predictions"):
        (cell,) = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), tag
    assert (tmp_path / "model.keras").exists()
    if training.checkpoint_every == 1:
        assert (tmp_path / "checkpoints" / "epoch-001.keras").exists()
