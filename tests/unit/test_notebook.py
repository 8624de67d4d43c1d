"""Take it to Colab: the notebook CNN Explorer hands out, read as a learner would (no TensorFlow).

Running the notebooks is tests/unit/test_notebook_runs.py (slow); this file checks what is in
them: the tutorial's steps in order, each explained, the learner's exact settings, the Model
page's code, and nothing that needs the app.
"""

from __future__ import annotations

import ast
import types

import nbformat
import pytest

from cnn_core import notebook, notebook_cells
from cnn_core.model_code import keras_code
from cnn_core.models import PRESETS, ConvBlock, ModelConfig, total_params
from cnn_core.training_config import TrainingConfig

TUTORIAL = PRESETS["tutorial"]
CUSTOM = ModelConfig(
    blocks=(ConvBlock(16, 5, "valid", "elu", "average"), ConvBlock(32, convs=2, batch_norm=True)),
    dense_units=64,
    dropout=0.3,
)
# The tutorial's steps (§ 1.3.1-1.3.6), as the cells' tags name them.
TUTORIAL_ORDER = [
    "parameters",
    "libraries",
    "accelerator",
    "data",
    "samples",
    "preprocessing",
    "pipeline",
    "model",
    "compile",
    "train",
    "learning-curve",
    "test-accuracy",
    "predictions",
    "save",
]


def code_cells(nb) -> dict[str, str]:
    return {c.metadata["tags"][0]: c.source for c in nb.cells if c.cell_type == "code"}


def settings(nb) -> dict:
    """The values the notebook's settings cell (and any injected after it) assign."""
    values: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata["tags"][0] in (
            notebook.PARAMETERS_TAG,
            notebook.INJECTED_TAG,
        ):
            exec(cell.source, {}, values)  # plain assignments of literals
    return values


class TestTheStepsFollowTheTutorial:
    def test_every_step_is_there_in_the_tutorials_order(self):
        nb = notebook.build_notebook(TUTORIAL, TrainingConfig())
        assert list(code_cells(nb)) == TUTORIAL_ORDER

    def test_every_code_cell_has_a_short_markdown_cell_above_it_saying_what_it_does(self):
        nb = notebook.build_notebook(TUTORIAL, TrainingConfig())
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# CNN Explorer")
        for above, cell in zip(nb.cells, nb.cells[1:]):
            if cell.cell_type == "code":
                assert above.cell_type == "markdown" and 20 < len(above.source) < 400, above.source

    def test_the_sections_carry_the_tutorials_numbers(self):
        markdown = "\n".join(c.source for c in notebook.build_notebook(TUTORIAL, TrainingConfig()).cells)
        positions = [markdown.index(f"## 1.3.{n} ") for n in range(1, 7)]
        assert positions == sorted(positions)

    def test_it_is_a_valid_notebook_for_a_python_3_kernel(self):
        nb = notebook.build_notebook(CUSTOM, TrainingConfig(loop="custom"), "fashion_mnist", "x.npz")
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        written = nbformat.reads(notebook.notebook_bytes(CUSTOM, TrainingConfig()).decode(), as_version=4)
        assert [c.source for c in written.cells] == [
            c.source for c in notebook.build_notebook(CUSTOM, TrainingConfig()).cells
        ]

    def test_every_code_cell_is_python_that_parses(self):
        for loop in ("fit", "custom"):
            nb = notebook.build_notebook(CUSTOM, TrainingConfig(loop=loop), data_file="mine.npz")
            for tag, source in code_cells(nb).items():
                ast.parse(source, filename=tag)


class TestItStandsAlone:
    def test_no_cell_imports_the_app(self):
        for loop in ("fit", "custom"):
            nb = notebook.build_notebook(CUSTOM, TrainingConfig(loop=loop), data_file="mine.npz")
            for tag, source in code_cells(nb).items():
                imported = [
                    n.module if isinstance(n, ast.ImportFrom) else a.name
                    for n in ast.walk(ast.parse(source))
                    if isinstance(n, (ast.Import, ast.ImportFrom))
                    for a in n.names
                ]
                assert not [m for m in imported if m and m.split(".")[0] in ("cnn_core", "ui")], tag
                assert not [m for m in imported if m and m.startswith(("tensorflow.python", "keras.src"))]


class TestTheLearnersExactSetup:
    def test_the_model_cell_is_the_code_the_model_page_shows(self):
        for config in (TUTORIAL, PRESETS["strong"], CUSTOM):
            nb = notebook.build_notebook(config, TrainingConfig())
            assert code_cells(nb)["model"] == keras_code(config).rstrip("\n")
            assert f"Total params: {total_params(config):,}" in code_cells(nb)["model"]

    def test_the_settings_cell_holds_every_training_setting(self):
        config = TrainingConfig(
            epochs=7,
            batch_size=128,
            learning_rate=0.004,
            optimizer="rmsprop",
            loop="custom",
            checkpoint_every=2,
            validation_fraction=0.15000000000000002,  # as the page's 15 / 100 gives it
            schedule="cosine",
            augment="flip",
            seed=5,
        )
        nb = notebook.build_notebook(CUSTOM, config, "fashion_mnist")
        assert settings(nb) == {
            "DATASET": "fashion_mnist",
            "DATA_FILE": None,
            "SEED": 5,
            "EPOCHS": 7,
            "BATCH_SIZE": 128,
            "LEARNING_RATE": 0.004,
            "OPTIMIZER": "rmsprop",
            "SCHEDULE": "cosine",
            "VALIDATION_FRACTION": 0.15,
            "AUGMENT": "flip",
            "CHECKPOINT_EVERY": 2,
        }

    def test_keras_fit_or_the_gradient_tape_loop_as_the_learner_chose(self):
        fit = code_cells(notebook.build_notebook(TUTORIAL, TrainingConfig(loop="fit")))["train"]
        custom = code_cells(notebook.build_notebook(TUTORIAL, TrainingConfig(loop="custom")))["train"]
        assert "model.fit(" in fit and "GradientTape" not in fit
        assert "tf.GradientTape()" in custom and "model.fit(" not in custom
        assert "save_checkpoint(" in fit and "save_checkpoint(" in custom

    def test_the_title_names_the_run(self):
        nb = notebook.build_notebook(
            PRESETS["strong"], TrainingConfig(epochs=7, loop="custom"), "fashion_mnist"
        )
        assert nb.cells[0].source.splitlines()[0] == (
            "# CNN Explorer: Strong on Fashion-MNIST · 7 epochs · Adam η=0.01 · GradientTape loop"
        )
        assert f"{total_params(PRESETS['strong']):,} parameters" in nb.cells[0].source

    def test_settings_the_app_would_refuse_are_refused(self):
        with pytest.raises(ValueError, match="batch size"):
            notebook.build_notebook(TUTORIAL, TrainingConfig(batch_size=0))
        with pytest.raises(ValueError, match="Unknown dataset"):
            notebook.build_notebook(TUTORIAL, TrainingConfig(), "cifar10")

    def test_the_file_is_named_after_the_preset(self):
        assert notebook.file_name(TUTORIAL) == "cnn-explorer-tutorial.ipynb"
        assert notebook.file_name(PRESETS["exercise2"]) == "cnn-explorer-exercise2.ipynb"
        assert notebook.file_name(CUSTOM) == "cnn-explorer-custom.ipynb"


class TestTheData:
    def test_keras_download_needs_no_file_and_no_upload_cell(self):
        nb = notebook.build_notebook(TUTORIAL, TrainingConfig(), "mnist")
        assert "upload" not in code_cells(nb)
        assert "keras.datasets" in code_cells(nb)["data"] and settings(nb)["DATA_FILE"] is None

    def test_an_uploaded_npz_gets_a_cell_that_asks_for_it_before_the_data_is_read(self):
        nb = notebook.build_notebook(TUTORIAL, TrainingConfig(), "mnist", notebook.UPLOAD_NAME)
        tags = list(code_cells(nb))
        assert tags.index("accelerator") < tags.index("upload") == tags.index("data") - 1
        assert "files.upload()" in code_cells(nb)["upload"]
        assert settings(nb)["DATA_FILE"] == "my_data.npz"

    def test_the_class_names_are_the_datasets(self):
        scope: dict = {}
        data = code_cells(notebook.build_notebook(TUTORIAL, TrainingConfig(), "fashion_mnist"))["data"]
        exec(data.split("class_names =")[0], scope)  # the CLASS_NAMES literal above the loading code
        assert scope["CLASS_NAMES"]["fashion_mnist"][9] == "Ankle boot"

    def test_a_note_about_the_data_goes_into_the_first_cell(self):
        nb = notebook.build_notebook(TUTORIAL, TrainingConfig(), note="Trained on the bundled sample.")
        assert "Trained on the bundled sample." in nb.cells[0].source


class TestOverridingSettings:
    def test_an_injected_cell_comes_right_after_the_settings_and_wins(self):
        nb = notebook.build_notebook(TUTORIAL, TrainingConfig())
        own = [c.source for c in nb.cells]
        notebook.with_parameters(nb, DATA_FILE="/data/sample.npz", EPOCHS=1)
        tags = [c.metadata.get("tags", [""])[0] for c in nb.cells]
        assert tags.index(notebook.INJECTED_TAG) == tags.index(notebook.PARAMETERS_TAG) + 1
        assert [c.source for c in nb.cells if notebook.INJECTED_TAG not in c.metadata.get("tags", [])] == own
        assert settings(nb)["DATA_FILE"] == "/data/sample.npz" and settings(nb)["EPOCHS"] == 1

    def test_a_name_that_is_no_setting_is_refused(self):
        with pytest.raises(KeyError, match="EPOCH"):
            notebook.with_parameters(notebook.build_notebook(TUTORIAL, TrainingConfig()), EPOCH=1)


class TestTheAccelerator:
    """The tutorial's TPU check raised without a TPU; the notebook's falls back."""

    @staticmethod
    def run_cell(tpu_error: type[Exception] | None, gpus: list[str]) -> dict:
        calls: list[str] = []

        class Resolver:
            def __init__(self):
                if tpu_error is not None:
                    raise tpu_error("no TPU")

            def cluster_spec(self):
                return {}

        distribute = types.SimpleNamespace(
            cluster_resolver=types.SimpleNamespace(TPUClusterResolver=Resolver),
            TPUStrategy=lambda tpu: types.SimpleNamespace(num_replicas_in_sync=8, kind="TPU"),
            MirroredStrategy=lambda: types.SimpleNamespace(kind="GPUs"),
            OneDeviceStrategy=lambda device: types.SimpleNamespace(kind=device),
            get_strategy=lambda: types.SimpleNamespace(kind="CPU"),
        )
        tf = types.SimpleNamespace(
            distribute=distribute,
            config=types.SimpleNamespace(
                list_physical_devices=lambda kind: gpus,
                experimental_connect_to_cluster=lambda tpu: calls.append("connect"),
            ),
            tpu=types.SimpleNamespace(
                experimental=types.SimpleNamespace(initialize_tpu_system=lambda tpu: calls.append("init"))
            ),
        )
        scope = {"tf": tf, "print": lambda *a: None}
        exec(notebook_cells.ACCELERATOR, scope)
        return scope

    @pytest.mark.parametrize("error", [ValueError, RuntimeError, KeyError])
    def test_without_a_tpu_it_falls_back_to_the_cpu_instead_of_raising(self, error):
        assert self.run_cell(error, gpus=[])["strategy"].kind == "CPU"

    def test_a_gpu_comes_before_the_cpu_and_several_share_the_batch(self):
        assert self.run_cell(ValueError, gpus=["gpu0"])["strategy"].kind == "/gpu:0"
        assert self.run_cell(ValueError, gpus=["gpu0", "gpu1"])["strategy"].kind == "GPUs"

    def test_a_tpu_comes_first(self):
        assert self.run_cell(None, gpus=["gpu0"])["strategy"].kind == "TPU"
