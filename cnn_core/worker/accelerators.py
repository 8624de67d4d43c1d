"""Pick the best ``tf.distribute`` strategy on this machine (TPU, several GPUs, one GPU, or CPU)
and report what TensorFlow finds; the plain-words half (NVIDIA's view, the diagnosis, the
report's text) is :mod:`cnn_core.accelerators`.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from ..accelerators import (
    Accelerator,
    DeviceReport,
    NvidiaInfo,
    captured_native_stderr,
    cpu_threads,
    diagnose,
    gpu_label,
    gpu_log_lines,
    nvidia_info,
)

# What a run is given to train on: an accelerator, a plain function returning one (called in the
# run's thread; never a Streamlit-cached one), or None to detect it.
AcceleratorSource = Accelerator | Callable[[], Accelerator] | None


def resolve_accelerator(source: AcceleratorSource) -> Accelerator:
    """The accelerator ``source`` stands for (see :data:`AcceleratorSource`)."""
    if source is None:
        return detect_accelerator()
    return source() if callable(source) else source


def detect_accelerator(cpu_replicas: int = 1) -> Accelerator:
    """Detect TPU, then GPUs, then CPU, never raising for a missing device.

    ``cpu_replicas`` > 1 splits the CPU into that many logical devices under a
    ``MirroredStrategy`` (for tests of the multi-device path); it must be called before
    TensorFlow has initialised its devices.
    """
    import tensorflow as tf

    tpu = find_tpu()
    if tpu is not None:
        tf.config.experimental_connect_to_cluster(tpu)
        tf.tpu.experimental.initialize_tpu_system(tpu)
        strategy = tf.distribute.TPUStrategy(tpu)
        n = strategy.num_replicas_in_sync
        return Accelerator("TPU", strategy, f"TPU · {n} cores", n, _strategy_devices(tf, strategy))

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        label = gpu_label([_gpu_name(tf, gpu) for gpu in gpus])
        if len(gpus) > 1:
            # Each replica trains on global batch / len(gpus) images; gradients are summed.
            strategy = tf.distribute.MirroredStrategy()
        else:
            strategy = tf.distribute.OneDeviceStrategy("/gpu:0")
        return Accelerator("GPU", strategy, label, len(gpus), _strategy_devices(tf, strategy))

    threads = cpu_threads()
    if cpu_replicas > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_replicas
        )
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        strategy = tf.distribute.MirroredStrategy(devices)
        return Accelerator(
            "CPU",
            strategy,
            f"CPU · {threads} threads · {cpu_replicas} replicas",
            cpu_replicas,
            tuple(devices),
        )
    strategy = tf.distribute.get_strategy()
    return Accelerator("CPU", strategy, f"CPU · {threads} threads", 1, _strategy_devices(tf, strategy))


def find_tpu() -> Any | None:
    """A TPU cluster resolver when a TPU runtime is attached, else None (never raises)."""
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        resolver.cluster_spec()  # raises when there is no TPU to talk to
        return resolver
    except (ValueError, RuntimeError, tf.errors.NotFoundError, tf.errors.UnavailableError):
        return None
    except Exception:  # the resolver raises assorted errors outside Colab/Cloud TPU VMs
        return None


def _strategy_devices(tf: Any, strategy: Any) -> tuple[str, ...]:
    try:
        return tuple(strategy.extended.worker_devices)
    except (RuntimeError, AttributeError):  # the default strategy: whatever TensorFlow places on
        return tuple(d.name for d in tf.config.list_logical_devices("CPU"))


def _gpu_name(tf: Any, gpu: Any) -> str:
    try:
        return tf.config.experimental.get_device_details(gpu).get("device_name", "GPU")
    except Exception:
        return "GPU"


def device_report(accelerator: Accelerator | None = None, nvidia: NvidiaInfo | None = None) -> DeviceReport:
    """Detect the accelerator (TensorFlow's log of its device search is kept for the
    diagnosis) and describe it with the TensorFlow build and what the system says."""
    log: list[str] = []
    if accelerator is None:
        with captured_native_stderr() as log:  # TensorFlow logs its search for GPUs as it loads
            accelerator = detect_accelerator()
    import tensorflow as tf

    info = dict(tf.sysconfig.get_build_info())
    cuda_build = bool(info.get("is_cuda_build", False))
    cuda_version = str(info.get("cuda_version", "") or "")
    cudnn_version = str(info.get("cudnn_version", "") or "")
    tf_gpus = tuple(_gpu_name(tf, gpu) for gpu in tf.config.list_physical_devices("GPU"))
    nvidia = nvidia if nvidia is not None else nvidia_info()
    problem = diagnose(
        cuda_build, len(tf_gpus), nvidia, cuda_version, log, os.environ.get("CUDA_VISIBLE_DEVICES")
    )
    return DeviceReport(
        kind=accelerator.kind,
        description=accelerator.description,
        strategy=type(accelerator.strategy).__name__.lstrip("_"),
        replicas=accelerator.replicas,
        devices=accelerator.devices,
        tensorflow=tf.__version__,
        cuda_build=cuda_build,
        cuda_version=cuda_version,
        cudnn_version=cudnn_version,
        tf_gpus=tf_gpus,
        nvidia=nvidia,
        problem=problem,
        mixed_precision=accelerator.mixed_precision_useful,
        tf_log=tuple(gpu_log_lines(log)),
    )
