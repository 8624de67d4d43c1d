"""Choosing where to train: TPU, GPUs or CPU, and never raising where the tutorial's check did."""

import subprocess
import sys
import textwrap

from cnn_core import accelerators


def test_no_tpu_is_an_answer_not_an_error():
    assert accelerators.find_tpu() is None


def test_a_resolver_that_raises_means_no_tpu(monkeypatch):
    import tensorflow as tf

    def no_tpu(*args, **kwargs):
        raise ValueError("Please provide a TPU Name to connect to.")

    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", no_tpu)
    assert accelerators.find_tpu() is None


def test_this_machine_falls_back_to_the_cpu_and_says_so():
    acc = accelerators.detect_accelerator()
    assert acc.kind == "CPU" and acc.replicas == 1
    assert acc.description == f"CPU · {accelerators.cpu_threads()} threads"
    assert acc.strategy.num_replicas_in_sync == 1


def test_mirrored_strategy_over_two_logical_cpus_trains():
    # Logical devices must be configured before TensorFlow initialises: a fresh interpreter.
    code = textwrap.dedent(
        """
        import numpy as np
        from cnn_core import accelerators, models
        acc = accelerators.detect_accelerator(cpu_replicas=2)
        with acc.strategy.scope():
            model = models.compile_model(models.build_model(), learning_rate=1e-3)
        x = np.random.default_rng(0).random((64, 28, 28, 1), dtype=np.float32)
        y = np.arange(64) % 10
        loss = model.fit(x, y, batch_size=32, epochs=1, verbose=0).history["loss"][0]
        print(type(acc.strategy).__name__, acc.replicas, acc.description, np.isfinite(loss))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.split()[-1] == "True"
    assert "MirroredStrategy 2 CPU" in out.stdout and "2 replicas" in out.stdout
