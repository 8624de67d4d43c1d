"""`python -m cnn_core train|evaluate`: the same Trainer as the app, from a terminal.

Most runs call ``main()`` in this process (TensorFlow is loaded once for the whole test
session); the crash test starts a real process and kills it, as a power cut would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cnn_core.__main__ as cli
from cnn_core import run_storage, training_config
from cnn_core.__main__ import main, progress_line
from cnn_core.training_config import Snapshot

ROOT = Path(__file__).resolve().parents[2]
QUICK = ["--dataset", "fashion_mnist", "--source", "bundled", "--limit", "300", "--batch-size", "64"]
# Two epochs of QUICK at the tutorial's η (270 training images), scored on 300 test images: ten
# runs scored 0.45-0.67 (median 0.60; no --seed, so the initial weights vary); chance is 0.10.
LEARNED_ACCURACY = 0.30


def last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture(scope="module", autouse=True)
def keep_process_settings():
    """main() applies process-wide memory settings (tested in test_trainer); not in pytest's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "limit_memory_growth", lambda: [])
        yield


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One short run with every output switched on: JSON, checkpoints, a saved model."""
    folder = tmp_path_factory.mktemp("cli")
    args = [
        "train",
        *QUICK,
        "--epochs",
        "2",
        "--checkpoint-dir",
        str(folder / "run"),
        "--checkpoint-every",
        "1",
        "--save",
        str(folder / "model.keras"),
        "--json",
    ]
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return folder, code, out.getvalue(), err.getvalue()


def test_train_ends_with_one_json_line_a_script_can_read(trained):
    folder, code, out, err = trained
    assert code == 0, err
    result = last_json(out)
    assert result["status"] == "finished" and result["epochs"] == 2
    assert LEARNED_ACCURACY < result["test_accuracy"] <= 1  # it learned
    assert result["images_per_second"] > 0 and result["wall_seconds"] > 0
    assert result["source"] == "bundled" and result["dataset"] == "fashion_mnist"
    assert result["preset"] == "tutorial" and result["loop"] == "fit" and result["seed"] == 0
    assert (result["train_images"], result["validation_images"], result["test_images"]) == (270, 30, 300)
    assert [r["epoch"] for r in result["history"]] == [1, 2]


def test_the_seed_flag_reaches_the_training_settings():
    from cnn_core.__main__ import _training_config, build_parser

    args = build_parser().parse_args(["train", "--seed", "7"])
    assert _training_config(args, "tutorial").seed == 7
    assert _training_config(build_parser().parse_args(["train"]), "tutorial").seed == 0  # the default


def test_train_reports_each_epoch_and_saves_what_it_was_asked_to(trained):
    folder, code, out, err = trained
    assert "epoch 1/2: loss" in err and "epoch 2/2: loss" in err and "val acc" in err
    assert "Test accuracy" in out and "Saved the model to" in out
    assert (folder / "model.keras").stat().st_size > 100_000
    assert (folder / "run" / "checkpoints" / "epoch-0002.keras").exists()
    assert run_storage.read_run(folder / "run").status == "finished"


def test_evaluate_scores_a_saved_model_on_the_same_test_images(trained, capsys):
    folder, _, out, _ = trained
    code = main(["evaluate", *QUICK[:6], "--model", str(folder / "model.keras"), "--json"])
    assert code == 0
    result = last_json(capsys.readouterr().out)
    assert result["test_accuracy"] == pytest.approx(last_json(out)["test_accuracy"], abs=1e-6)
    assert result["test_images"] == 300


def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path, capsys):
    run = tmp_path / "run"
    env = {**os.environ, "CNN_EXPLORER_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cnn_core",
            "train",
            *QUICK,
            "--epochs",
            "200",
            "--checkpoint-dir",
            str(run),
            "--checkpoint-every",
            "1",
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not (run / "checkpoints" / "epoch-0001.json").exists():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no checkpoint within 120 s"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)  # no chance to clean up, as in a crash
        proc.wait()
    info = run_storage.read_run(run)
    assert info.status == "running" and info.resumable  # the crash left it "running"
    saved = json.loads(Path(info.checkpoint).with_suffix(".json").read_text())

    target = info.checkpoint_epoch + 1
    code = main(
        [
            "train",
            *QUICK,
            "--checkpoint-dir",
            str(run),
            "--resume",
            "--epochs",
            str(target),
            "--loop",
            "custom",
            "--json",
            "--quiet",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = last_json(captured.out)
    assert result["status"] == "finished" and result["epochs"] == target
    assert result["history"][:-1] == saved["history"]  # nothing before the checkpoint lost
    assert result["loop"] == "custom"
    assert "Resuming" in captured.err


def test_resuming_a_finished_run_says_how_to_go_further(trained, capsys):
    folder, *_ = trained
    assert main(["train", *QUICK, "--checkpoint-dir", str(folder / "run"), "--resume"]) == 2
    assert "pass --epochs N" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags, says",
    [
        (["--lr", "-1"], "learning rate must be a number above 0"),
        (["--epochs", "0"], "number of epochs must be a whole number"),
        (["--save", "model.h5"], "ending in .keras"),
        (["--resume"], "--resume needs --checkpoint-dir"),
        (["--data", "no/such/file.npz"], "There is no file"),
        (["--limit", "3"], "--limit must be at least 10"),
    ],
)
def test_bad_flags_get_one_sentence_and_exit_code_2(flags, says, capsys):
    assert main(["train", "--source", "bundled", *flags]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_a_folder_that_holds_a_run_is_not_overwritten(trained, capsys):
    folder, *_ = trained
    assert main(["train", *QUICK, "--checkpoint-dir", str(folder / "run")]) == 2
    assert "already holds a run" in capsys.readouterr().err


def test_the_progress_bar_shows_epoch_batch_speed_and_eta():
    snap = Snapshot(
        status="running",
        message="",
        epoch=3,
        epochs=10,
        batch=120,
        steps_per_epoch=240,
        train_images=54000,
        val_images=6000,
        batch_loss=(0.5, 0.412),
        batch_accuracy=(0.8, 0.85),
        history=(),
        images_per_second=6912.4,
        elapsed_seconds=30,
        eta_seconds=80,
        learning_rate=0.01,
        device="CPU · 2 threads",
        loop="fit",
    )
    assert progress_line(snap) == (
        "epoch 3/10 [############............] 120/240 · 6,912 img/s · loss 0.412 · ETA 1:20 · running"
    )
    assert training_config.format_seconds(3723) == "1:02:03" and training_config.format_seconds(None) == "—"


def test_a_bomb_given_as_data_gets_the_sentence_not_a_traceback(tmp_path, capsys):
    from tests.conftest import npz_claiming

    bomb = tmp_path / "bomb.npz"
    bomb.write_bytes(npz_claiming(2_000_000))
    assert main(["train", "--data", str(bomb), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "x_train holds 2,000,000 images; this server takes at most 100,000" in err
    assert "Traceback" not in err


# ----- devices -------------------------------------------------------------------------------


def test_devices_says_what_this_machine_trains_on(capsys):
    import tensorflow as tf

    from cnn_core import accelerators
    from cnn_core.worker.accelerators import detect_accelerator

    assert main(["devices"]) == 0
    text = capsys.readouterr().out
    assert f"Accelerator:     {detect_accelerator().description}" in text
    build = "CUDA build: CUDA" if tf.test.is_built_with_cuda() else "CPU-only build (no CUDA)"
    assert f"TensorFlow:      {tf.__version__} · {build}" in text
    if tf.config.list_physical_devices("GPU"):  # it trains there: the CPU's lines do not apply
        assert "GPUs TensorFlow sees: none" not in text
        return
    assert f"Accelerator:     CPU · {accelerators.cpu_threads()} threads" in text
    assert "Strategy:        DefaultDistributionStrategy · 1 replica" in text
    assert "/device:CPU:0" in text
    assert "GPUs TensorFlow sees: none" in text
    if not accelerators.nvidia_gpu_present():
        assert "NVIDIA GPUs on this machine: none" in text
        assert text.strip().endswith("Training runs on the CPU: this machine has no NVIDIA GPU.")


def test_devices_json_is_one_object_a_script_can_read(capsys):
    import tensorflow as tf

    assert main(["devices", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tensorflow"] == tf.__version__
    assert report["cuda_build"] is tf.test.is_built_with_cuda()
    if not report["cuda_build"]:
        assert report["cuda_version"] == report["cudnn_version"] == ""
    assert set(report["nvidia"]) == {"present", "names", "driver", "driver_cuda", "how_found"}
    assert report["problem"] is None or "NVIDIA GPU" in report["problem"]
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:  # a GPU build on a GPU machine trains there
        assert report["kind"] == "GPU" and report["replicas"] == len(gpus) == len(report["tf_gpus"])
        assert report["mixed_precision"] is True
    else:
        assert report["kind"] == "CPU" and report["replicas"] == 1
        assert report["strategy"] == "DefaultDistributionStrategy"
        assert report["tf_gpus"] == [] and report["mixed_precision"] is False


def test_mixed_precision_on_the_command_line_trains_and_is_reported(capsys):
    args = [
        "train",
        "--dataset",
        "fashion_mnist",
        "--source",
        "bundled",
        "--limit",
        "64",
        "--batch-size",
        "32",
        "--epochs",
        "1",
        "--validation-fraction",
        "0",
        "--mixed-precision",
        "--json",
        "--quiet",
    ]
    assert main(args) == 0
    captured = capsys.readouterr()
    result = last_json(captured.out)
    assert result["status"] == "finished" and result["mixed_precision"] is True
    assert "mixed precision on CPU" in captured.err and "pays off on a GPU" in captured.err


# ----- notebook: the same run as a Jupyter notebook (Take it to Colab) -------------------------


def notebook_settings(path: Path) -> tuple[dict, dict]:
    """The settings a written notebook assigns, and its code cells by tag."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    cells = {c.metadata["tags"][0]: c.source for c in nb.cells if c.cell_type == "code"}
    values: dict = {}
    exec(cells["parameters"], {}, values)
    return values, cells


def test_notebook_writes_the_run_with_the_same_options_as_train(tmp_path, capsys):
    from cnn_core.model_code import keras_code
    from cnn_core.models import PRESETS

    out = tmp_path / "lesson" / "strong.ipynb"
    flags = ["--dataset", "fashion_mnist", "--model-config", "strong", "--epochs", "3", "--lr", "0.002"]
    assert main(["notebook", *flags, "--loop", "custom", "--seed", "4", "--out", str(out)]) == 0
    values, cells = notebook_settings(out)
    assert values["DATASET"] == "fashion_mnist" and values["DATA_FILE"] is None
    assert (values["EPOCHS"], values["LEARNING_RATE"], values["SEED"]) == (3, 0.002, 4)
    # What was not given is the preset's, as for train: Strong's own batch size and cosine decay.
    strong = training_config.training_defaults("strong")
    assert (values["BATCH_SIZE"], values["SCHEDULE"]) == (strong.batch_size, strong.schedule)
    assert strong.schedule != training_config.TrainingConfig().schedule  # so the check can fail
    assert cells["model"] == keras_code(PRESETS["strong"]).rstrip("\n")
    assert "tf.GradientTape()" in cells["train"]
    said = capsys.readouterr().out
    assert "Strong on Fashion-MNIST" in said and "File → Upload notebook" in said


def test_notebook_takes_a_network_as_links_carry_it_and_a_local_npz(tmp_path):
    from cnn_core.datasets import SAMPLE_DIR
    from cnn_core.model_code import keras_code
    from cnn_core.models import config_from_text

    text = "16:5:valid:elu:average:2:1:0,32:3:same:relu:max:2:2:1;64;0.3"
    data = SAMPLE_DIR / "mnist_sample.npz"
    out = tmp_path / "mine.ipynb"
    assert main(["notebook", "--model-config", text, "--data", str(data), "--out", str(out)]) == 0
    values, cells = notebook_settings(out)
    assert cells["model"] == keras_code(config_from_text(text)).rstrip("\n")
    assert values["DATA_FILE"] == str(data.resolve()) and "upload" in cells
    assert values["EPOCHS"] == 10 and "model.fit(" in cells["train"]  # the tutorial's defaults


def test_notebook_and_train_share_every_training_option():
    from cnn_core.__main__ import build_parser

    subparsers = next(a for a in build_parser()._actions if a.dest == "command").choices

    def options(name: str) -> dict[str, str]:
        return {o: a.dest for a in subparsers[name]._actions for o in a.option_strings}

    train, notebook = options("train"), options("notebook")
    shared = {o: d for o, d in notebook.items() if o not in ("--out", "-h", "--help")}
    assert {o: train.get(o) for o in shared} == shared
    assert {"--model-config", "--lr", "--loop", "--augment", "--seed", "--checkpoint-every"} <= set(shared)


def test_train_takes_a_network_as_links_carry_it_instead_of_a_preset():
    from cnn_core.__main__ import _network, build_parser
    from cnn_core.models import PRESETS, config_from_text

    text = "16:5:valid:elu:average:2:1:0;64;0.3"
    assert _network(build_parser().parse_args(["train", "--model-config", text])) == config_from_text(text)
    assert _network(build_parser().parse_args(["train", "--preset", "strong"])) == PRESETS["strong"]


@pytest.mark.parametrize(
    "flags, says",
    [
        (["--out", "lesson.txt"], "ending in .ipynb"),
        (["--model-config", "24;128", "--out", "x.ipynb"], "--model-config: '24;128' is neither a preset"),
        (["--data", "no/such/file.npz", "--out", "x.ipynb"], "There is no file"),
        (["--batch-size", "0", "--out", "x.ipynb"], "batch size must be a whole number"),
    ],
)
def test_notebook_bad_flags_get_one_sentence_and_exit_code_2(flags, says, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["notebook", *flags]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing written
