"""Pick the best ``tf.distribute`` strategy on this machine: TPU, several GPUs, one GPU, or CPU.

The tutorial's check raises when there is no TPU; here the absence of a TPU is a normal answer,
and the app falls back to GPU, then CPU, and says which it chose.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Accelerator:
    """The chosen device kind, its ``tf.distribute`` strategy and a one-line description.

    ``kind`` is ``"TPU"``, ``"GPU"`` or ``"CPU"``; ``replicas`` is how many copies of the model
    train in step (the batch is split between them).
    """

    kind: str
    strategy: Any
    description: str
    replicas: int = 1


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
        return Accelerator("TPU", strategy, f"TPU · {n} cores", n)

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [_gpu_name(tf, gpu) for gpu in gpus]
        label = f"{len(gpus)} × {names[0]}"
        if len(gpus) > 1:
            strategy = tf.distribute.MirroredStrategy()
            return Accelerator("GPU", strategy, label, len(gpus))
        return Accelerator("GPU", tf.distribute.OneDeviceStrategy("/gpu:0"), label, 1)

    threads = cpu_threads()
    if cpu_replicas > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_replicas
        )
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        strategy = tf.distribute.MirroredStrategy(devices)
        return Accelerator(
            "CPU", strategy, f"CPU · {threads} threads · {cpu_replicas} replicas", cpu_replicas
        )
    return Accelerator("CPU", tf.distribute.get_strategy(), f"CPU · {threads} threads", 1)


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


def cpu_threads() -> int:
    """CPU cores this process may use (cgroup/affinity aware where the OS says)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _gpu_name(tf: Any, gpu: Any) -> str:
    try:
        return tf.config.experimental.get_device_details(gpu).get("device_name", "GPU")
    except Exception:
        return "GPU"
