"""Choosing where to train: TPU, GPUs or CPU, and never raising where the tutorial's check did."""

import subprocess
import sys
import textwrap

from cnn_core import accelerators
from cnn_core.worker.accelerators import detect_accelerator, device_report, find_tpu
from tests.unit.conftest import cpu_only_env


def test_no_tpu_is_an_answer_not_an_error():
    assert find_tpu() is None


def test_a_resolver_that_raises_means_no_tpu(monkeypatch):
    import tensorflow as tf

    def no_tpu(*args, **kwargs):
        raise ValueError("Please provide a TPU Name to connect to.")

    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", no_tpu)
    assert find_tpu() is None


def test_with_no_tpu_and_no_gpu_it_falls_back_to_the_cpu_and_says_so(monkeypatch):
    import tensorflow as tf

    # Whatever this machine has: the fallback is what a GPU-less machine gets.
    listed = tf.config.list_physical_devices
    monkeypatch.setattr(
        tf.config, "list_physical_devices", lambda kind=None: [] if kind == "GPU" else listed(kind)
    )
    acc = detect_accelerator()
    assert acc.kind == "CPU" and acc.replicas == 1
    assert acc.description == f"CPU · {accelerators.cpu_threads()} threads"
    assert acc.strategy.num_replicas_in_sync == 1


def test_mirrored_strategy_over_two_logical_cpus_trains():
    # Logical devices must be configured before TensorFlow initialises: a fresh interpreter.
    code = textwrap.dedent(
        """
        import numpy as np
        from cnn_core.worker.accelerators import detect_accelerator
        from cnn_core.worker.models import build_model, compile_model
        acc = detect_accelerator(cpu_replicas=2)
        with acc.strategy.scope():
            model = compile_model(build_model(), learning_rate=1e-3)
        x = np.random.default_rng(0).random((64, 28, 28, 1), dtype=np.float32)
        y = np.arange(64) % 10
        loss = model.fit(x, y, batch_size=32, epochs=1, verbose=0).history["loss"][0]
        print(type(acc.strategy).__name__, acc.replicas, acc.description, np.isfinite(loss))
        """
    )
    out = subprocess.run(  # GPUs hidden: the multi-replica path on two CPUs, even on a GPU build
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env=cpu_only_env(),
    )
    assert out.stdout.split()[-1] == "True"
    assert "MirroredStrategy 2 CPU" in out.stdout and "2 replicas" in out.stdout


# ----- a GPU on the machine that TensorFlow does not use --------------------------------------

H100 = accelerators.NvidiaInfo(
    present=True,
    names=("NVIDIA H100 80GB HBM3",),
    driver="550.54",
    driver_cuda="12.4",
    how_found="nvidia-smi",
)
NONE = accelerators.NvidiaInfo(present=False)


def test_no_nvidia_gpu_or_a_gpu_tensorflow_sees_is_nothing_to_fix():
    assert accelerators.diagnose(cuda_build=False, tf_gpus=0, nvidia=NONE) is None
    assert accelerators.diagnose(cuda_build=True, tf_gpus=1, nvidia=H100, cuda_version="12.5.1") is None


def test_the_cpu_build_on_a_gpu_machine_is_told_to_install_the_gpu_requirements():
    problem = accelerators.diagnose(cuda_build=False, tf_gpus=0, nvidia=H100)
    assert "NVIDIA H100 80GB HBM3" in problem and "CPU-only build" in problem
    assert "pip install -r requirements-gpu.txt" in problem and "uninstall -y tensorflow-cpu" in problem


def test_a_driver_older_than_tensorflows_cuda_is_named_with_both_versions():
    log = [
        "I0000 cpu_feature_guard.cc: This TensorFlow binary is optimized",
        "W0000 gpu_device.cc:2344] Cannot dlopen some GPU libraries. Skipping registering GPU devices...",
        "E0000 cuda_driver.cc] failed call to cuInit: CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
    ]
    problem = accelerators.diagnose(True, 0, H100, cuda_version="12.5.1", tf_log=log)
    assert "supports CUDA up to 12.4, older than the 12.5.1 TensorFlow needs" in problem
    assert "update the NVIDIA driver" in problem
    assert "Cannot dlopen some GPU libraries" in problem and "cuInit" in problem
    assert "cpu_feature_guard" not in problem  # only what is about the GPU


def test_missing_cuda_libraries_and_a_hidden_gpu_get_their_own_advice():
    newer = accelerators.NvidiaInfo(True, ("NVIDIA A100",), "570.1", "12.8", "nvidia-smi")
    problem = accelerators.diagnose(True, 0, newer, cuda_version="12.5.1")
    assert (
        "CUDA or cuDNN libraries are missing" in problem
        and "--force-reinstall -r requirements-gpu.txt" in problem
    )
    assert "TF_CPP_MIN_LOG_LEVEL=0" in problem  # nothing logged: how to see more
    hidden = accelerators.diagnose(True, 0, newer, cuda_version="12.5.1", visible="-1")
    assert "CUDA_VISIBLE_DEVICES is set to '-1'" in hidden
    driverless = accelerators.NvidiaInfo(True, (), how_found="/proc/driver/nvidia")
    assert "`nvidia-smi` does not list a GPU" in accelerators.diagnose(True, 0, driverless, "12.5.1")


def test_nvidia_smi_is_read_for_names_driver_and_its_cuda_version(monkeypatch):
    monkeypatch.setattr(accelerators.shutil, "which", lambda name: "/usr/bin/nvidia-smi")

    class Done:
        def __init__(self, stdout):
            self.stdout = stdout

    def fake_run(cmd, **kwargs):
        if len(cmd) > 1:
            return Done("NVIDIA H100 80GB HBM3, 550.54\nNVIDIA H100 80GB HBM3, 550.54\n")
        return Done("| NVIDIA-SMI 550.54   Driver Version: 550.54   CUDA Version: 12.4     |")

    info = accelerators.nvidia_info(run=fake_run)
    assert info == accelerators.NvidiaInfo(
        True, ("NVIDIA H100 80GB HBM3",) * 2, "550.54", "12.4", "nvidia-smi"
    )

    def broken(cmd, **kwargs):
        raise OSError("nvidia-smi hangs")

    assert accelerators.nvidia_info(run=broken).names == ()


def test_gpus_are_named_with_their_count():
    assert accelerators.gpu_label(["NVIDIA H100"]) == "1 GPU: NVIDIA H100"
    assert accelerators.gpu_label(["NVIDIA A100"] * 2) == "2 GPUs: NVIDIA A100"
    assert accelerators.gpu_label(["NVIDIA A100", "NVIDIA T4"]) == "2 GPUs: NVIDIA A100 + NVIDIA T4"


def test_the_device_report_of_this_machine():
    import tensorflow as tf

    report = device_report(nvidia=NONE)
    assert report.problem is None  # no NVIDIA GPU on the machine: nothing to fix
    assert report.cuda_build is tf.test.is_built_with_cuda()
    text = accelerators.report_text(report)
    assert ("CUDA build: CUDA" if report.cuda_build else "CPU-only build (no CUDA)") in text
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:  # a GPU build on a GPU machine trains there, in float16 to good effect
        assert report.kind == "GPU" and report.replicas == len(gpus) == len(report.tf_gpus)
        assert report.mixed_precision is True and "worth it here" in text
    else:
        assert report.kind == "CPU" and report.replicas == 1
        assert report.devices == ("/device:CPU:0",) and report.mixed_precision is False
        assert "no gain here" in text


def test_a_page_asks_for_a_gpu_without_starting_a_worker_where_there_is_no_driver(monkeypatch):
    from ui import common

    def ask_the_worker(*args, **kwargs):
        raise AssertionError("a worker would be started to answer")

    monkeypatch.setattr(common.worker, "device", lambda: None)
    monkeypatch.setattr(common.worker, "ask", ask_the_worker)
    monkeypatch.setattr(accelerators, "nvidia_gpu_present", lambda: False)
    assert common.gpu_accelerator() is None
    gpu = accelerators.Accelerator("GPU", None, "1 GPU: NVIDIA H100")
    monkeypatch.setattr(accelerators, "nvidia_gpu_present", lambda: True)
    monkeypatch.setattr(common.worker, "ask", lambda *args, **kwargs: gpu)
    assert common.gpu_accelerator() is gpu
    monkeypatch.setattr(common.worker, "device", lambda: accelerators.Accelerator("CPU", None, "CPU"))
    assert common.gpu_accelerator() is None  # a driver, but TensorFlow trains on the CPU
