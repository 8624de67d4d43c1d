"""The learner's exact setup as a Jupyter notebook: "Take it to Colab".

:func:`build_notebook` turns a network (:class:`~cnn_core.models.ModelConfig`), its training
settings (:class:`~cnn_core.training_config.TrainingConfig`) and the data into a notebook in the
tutorial's order (§ 1.3.1-1.3.6): the accelerator, the data, the preprocessing, the model (the
Model page's own code, :func:`cnn_core.model_code.keras_code`), compile, train, the learning
curve, the test accuracy and the prediction grid, each step a short Markdown cell with its code
under it. The notebook stands alone (it never imports ``cnn_core``); its code is in
:mod:`cnn_core.notebook_cells`.

Every setting sits in one cell tagged ``parameters`` (papermill's convention):
:func:`with_parameters` puts a cell after it that overrides some, which is how a test points the
notebook at a local ``.npz`` and trains one epoch. Pure Python with nbformat: the server builds a
notebook without TensorFlow, in milliseconds.
"""

from __future__ import annotations

from typing import Any

from . import notebook_cells as cells
from .datasets import CLASS_NAMES, DATASET_TITLES
from .model_code import keras_code
from .models import PRESET_TITLES, ModelConfig, preset_name, total_params
from .training_config import OPTIMIZER_TITLES, TrainingConfig

PARAMETERS_TAG = "parameters"  # the settings cell (papermill's name for it)
INJECTED_TAG = "injected-parameters"  # a cell after it that overrides some settings
UPLOAD_NAME = "my_data.npz"  # what an uploaded .npz is called in the notebook (the app keeps no name)
MIME = "application/x-ipynb+json"
# How to open the file, for the pages' captions and the command line.
HOW_TO_OPEN = (
    "Open it in **Colab** (colab.research.google.com → File → Upload notebook; Runtime → Change "
    "runtime type for a GPU or TPU, then Runtime → Run all) or in **Jupyter** (`jupyter lab` in its "
    "folder, with TensorFlow installed, then Run → Run All Cells)."
)


def build_notebook(
    model_config: ModelConfig,
    training: TrainingConfig,
    dataset: str = "mnist",
    data_file: str | None = None,
    note: str = "",
) -> Any:
    """The notebook (an ``nbformat`` v4 ``NotebookNode``) that trains ``model_config`` with
    ``training`` on ``dataset`` ("mnist" or "fashion_mnist").

    ``data_file``: None for Keras's download of ``dataset``; else the path of a ``.npz`` in the
    Keras layout, which a cell asks for (Colab's upload) when it is not there. ``note`` is a
    sentence for the first cell (e.g. that the app trained on its bundled sample). Raises
    ``ValueError`` for settings the app would refuse (see ``TrainingConfig.check``).
    """
    # Imported here: only a download or the command line pays for nbformat (~0.2 s, 4.5 MiB).
    from nbformat import v4

    training.check()
    if dataset not in CLASS_NAMES:
        raise ValueError(f"Unknown dataset {dataset!r}: choose one of {', '.join(CLASS_NAMES)}.")
    nb = v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "colab": {"provenance": []},
    }
    for markdown, code, tag in steps(model_config, training, dataset, data_file, note):
        nb.cells.append(v4.new_markdown_cell(markdown))
        if code is not None:
            nb.cells.append(v4.new_code_cell(code.rstrip("\n"), metadata={"tags": [tag]}))
    return nb


def notebook_bytes(
    model_config: ModelConfig,
    training: TrainingConfig,
    dataset: str = "mnist",
    data_file: str | None = None,
    note: str = "",
) -> bytes:
    """:func:`build_notebook` as the bytes of an ``.ipynb`` file (UTF-8 JSON), for a download."""
    import nbformat

    nb = build_notebook(model_config, training, dataset, data_file, note)
    return nbformat.writes(nb).encode("utf-8")


def file_name(model_config: ModelConfig) -> str:
    """The download's name: ``cnn-explorer-<preset>.ipynb`` ("custom" for a network of one's own)."""
    return f"cnn-explorer-{preset_name(model_config)}.ipynb"


def with_parameters(nb: Any, **values: Any) -> Any:
    """``nb`` with a cell after its parameters cell that sets ``values`` (e.g. ``DATA_FILE="x.npz",
    EPOCHS=1``), as papermill injects them; the notebook's own cells stay as they were. Names
    must be settings the parameters cell defines (``KeyError`` otherwise)."""
    from nbformat import v4

    index = next(i for i, c in enumerate(nb.cells) if PARAMETERS_TAG in c.metadata.get("tags", []))
    known = set(parameters(TrainingConfig(), "mnist", None))
    unknown = sorted(set(values) - known)
    if unknown:
        raise KeyError(f"not a setting of the notebook: {', '.join(unknown)}")
    code = "# Settings injected after the cell above\n" + "\n".join(f"{k} = {v!r}" for k, v in values.items())
    nb.cells.insert(index + 1, v4.new_code_cell(code, metadata={"tags": [INJECTED_TAG]}))
    return nb


def parameters(training: TrainingConfig, dataset: str, data_file: str | None) -> dict[str, tuple[Any, str]]:
    """The settings cell: each name's value and what it means."""
    t = training
    return {
        "DATASET": (dataset, '"mnist" or "fashion_mnist": the Keras download and the class names'),
        "DATA_FILE": (data_file, "None: the Keras download; else a .npz (x_train, y_train, x_test, y_test)"),
        "SEED": (t.seed, "the initial weights, the validation hold-out and the shuffling"),
        "EPOCHS": (t.epochs, "passes over the training images"),
        "BATCH_SIZE": (t.batch_size, "images per batch: one step of gradient descent each"),
        "LEARNING_RATE": (t.learning_rate, "η, the step size (at the start, for a schedule)"),
        "OPTIMIZER": (t.optimizer, '"adam", "sgd" or "rmsprop"'),
        "SCHEDULE": (t.schedule, '"constant" η, or "cosine": η decays to 0 over the run'),
        "VALIDATION_FRACTION": (
            round(t.validation_fraction, 4),
            "share of training images held out (0: none)",
        ),
        "AUGMENT": (t.augment, '"flip": mirror a random half of each training batch; "none"'),
        "CHECKPOINT_EVERY": (t.checkpoint_every, "save the model to checkpoints/ every N epochs (0: never)"),
    }


def parameters_code(training: TrainingConfig, dataset: str, data_file: str | None) -> str:
    """The settings cell's code: one assignment a line, each with what it means."""
    lines = [
        "# The settings of your run in CNN Explorer. Change one, then run all the cells again.",
        *(
            f"{name} = {value!r}  # {meaning}"
            for name, (value, meaning) in parameters(training, dataset, data_file).items()
        ),
    ]
    return "\n".join(lines)


def run_title(model_config: ModelConfig, training: TrainingConfig, dataset: str) -> str:
    """E.g. "Tutorial on Fashion-MNIST · 10 epochs · Adam η=0.01 · Keras fit"."""
    title = PRESET_TITLES.get(preset_name(model_config), "Custom model")
    loop = "Keras fit" if training.loop == "fit" else "GradientTape loop"
    epochs = f"{training.epochs} epoch{'s' if training.epochs != 1 else ''}"
    optimizer = f"{OPTIMIZER_TITLES[training.optimizer]} η={training.learning_rate:g}"
    return f"{title} on {DATASET_TITLES[dataset]} · {epochs} · {optimizer} · {loop}"


def introduction(model_config: ModelConfig, training: TrainingConfig, dataset: str, note: str) -> str:
    """The first cell: what the notebook trains, how to run it, and where the app differs."""
    parts = [
        f"# CNN Explorer: {run_title(model_config, training, dataset)}",
        f"The network you built in CNN Explorer ({total_params(model_config):,} parameters) with your "
        "training settings, step by step in the order of the tutorial *Deep Learning with Colab* "
        "(§ 1.3.1-1.3.6). It needs nothing from the app: TensorFlow, Keras, NumPy and matplotlib, "
        "as Colab has them.",
        "**Run it:** Runtime → Run all in Colab (Runtime → Change runtime type picks a GPU or TPU), "
        "Run → Run All Cells in Jupyter. Change a setting in the settings cell, then run all again.",
    ]
    if note:
        parts.append(note)
    if training.mixed_precision:
        parts.append(
            "Your run in the app computed in mixed precision (float16 on a GPU); this notebook "
            "trains in float32, which gives the same accuracy."
        )
    return "\n\n".join(parts)


def class_names_code() -> str:
    """``CLASS_NAMES = {...}``: both datasets' class names, so that DATASET can be changed."""
    return "CLASS_NAMES = {\n" + "".join(f"    {k!r}: {list(v)!r},\n" for k, v in CLASS_NAMES.items()) + "}\n"


def training_step(training: TrainingConfig) -> tuple[str, str]:
    """The training step's Markdown and code: Keras ``fit`` or the GradientTape loop (exercise 3)."""
    if training.loop == "fit":
        return (
            "## 1.3.5 Training\nKeras's `fit`, as the tutorial trains, on the batches of the pipeline, "
            "checking the held-out images after each epoch and saving a checkpoint every "
            "`CHECKPOINT_EVERY` epochs (exercise 4).",
            cells.CHECKPOINTS + cells.FIT,
        )
    return (
        "## 1.3.5 Training\nThe tutorial's exercise 3: each step of gradient descent written out "
        "with `tf.GradientTape`, compiled by `tf.function` and split over the strategy's replicas; "
        "a checkpoint every `CHECKPOINT_EVERY` epochs (exercise 4).",
        cells.CHECKPOINTS + cells.CUSTOM_LOOP,
    )


def steps(
    model_config: ModelConfig, training: TrainingConfig, dataset: str, data_file: str | None, note: str
) -> list[tuple[str, str | None, str]]:
    """(Markdown, code or None, tag) of each step, in the tutorial's order."""
    upload = [
        (
            "Your own data: the `.npz` you gave CNN Explorer. In Colab this cell asks for the file.",
            cells.UPLOAD,
            "upload",
        )
    ]
    return [
        (introduction(model_config, training, dataset, note), None, ""),
        (
            "## Your settings\nEvery setting of your run, in one place.",
            parameters_code(training, dataset, data_file),
            PARAMETERS_TAG,
        ),
        (
            "## 1.3.1 Environment set-up\nThe libraries, and one seed for every random number.",
            cells.LIBRARIES,
            "libraries",
        ),
        (
            "The accelerator: a TPU if this runtime has one, else a GPU, else the CPU. The tutorial's "
            "check stopped with an error without a TPU; this one falls back and says what it found.",
            cells.ACCELERATOR,
            "accelerator",
        ),
        *(upload if data_file is not None else []),
        (
            "## 1.3.2 Data collection and preprocessing\nThe images and their labels: 28×28 grey "
            "pictures as whole numbers 0-255, and one class number 0-9 each.",
            class_names_code() + cells.LOAD,
            "data",
        ),
        ("36 training images at random, with their class.", cells.SAMPLES, "samples"),
        ("Preprocessing: pixels from 0-255 to 0-1, and a channel axis.", cells.PREPROCESS, "preprocessing"),
        (
            "The held-out validation images, and the `tf.data` pipelines that shuffle and batch the "
            'images (exercise 1), mirroring half of each training batch when `AUGMENT` is "flip".',
            cells.PIPELINE,
            "pipeline",
        ),
        (
            "## 1.3.3 Model building\nThe network you built, the code the Model page shows.",
            keras_code(model_config),
            "model",
        ),
        (
            "## 1.3.4 Model compiling\nThe loss (sparse categorical cross-entropy), the optimizer with "
            "its learning rate η and schedule, and the metric (accuracy).",
            cells.COMPILE,
            "compile",
        ),
        (*training_step(training), "train"),
        (
            "The learning curve (the tutorial's figure): accuracy and loss per epoch.",
            cells.LEARNING_CURVE,
            "learning-curve",
        ),
        (
            "## 1.3.6 Results\nThe accuracy on the test images, which training never saw.",
            cells.TEST,
            "test-accuracy",
        ),
        (
            "The tutorial's prediction grid: each test image with the network's answer, and its ten "
            "probabilities (the predicted bar vermillion, the true one blue).",
            cells.PREDICTIONS,
            "predictions",
        ),
        (
            "The trained network as a `.keras` file, to load with `keras.models.load_model`.",
            cells.SAVE,
            "save",
        ),
    ]
