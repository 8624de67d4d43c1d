"""Settings for a process that trains (the worker's and the command line's), applied as it starts."""

from __future__ import annotations

from ..process_memory import limit_process_memory


def limit_memory_growth() -> list[str]:
    """Every setting that keeps a training process small (:func:`limit_process_memory`), and one
    TensorFlow inter-op thread (these networks run layer after layer), which applies only before
    TensorFlow's first tensor; returns what was applied."""
    applied = limit_process_memory()
    try:
        import tensorflow as tf

        if tf.config.threading.get_inter_op_parallelism_threads() != 1:
            tf.config.threading.set_inter_op_parallelism_threads(1)
        applied.append("1 inter-op thread")
    except RuntimeError:  # TensorFlow already running: keep its threads
        pass
    return applied
