"""What Streamlit's per-rerun Keras cleanup costs a training thread in the same process.

Streamlit calls ``keras.backend.clear_session()`` after every script run. While a Trainer
trains in a background thread, every rerun of every session (a watcher's fragment reruns once a
second) clears TensorFlow's kernel cache and runs a full garbage collection under it. This trains
the tutorial's model with plain ``fit`` on the bundled MNIST sample, alone and with a thread
calling ``clear_session()`` ten times a second, arms interleaved, and prints images per second
and their ratio. ``ui.server.keras_ready`` turns that cleanup off in the app's process.

    python bench/streamlit_keras_cleanup.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402

from cnn_core import datasets, models  # noqa: E402

RERUNS_PER_SECOND = 10
EPOCHS = 3


def images_per_second(data: datasets.Dataset, with_cleanup: bool) -> float:
    ds = datasets.make_tf_dataset(data.x_train, data.y_train, 256, seed=0)
    model = models.compile_model(models.build_model(), 1e-3)
    model.fit(ds, epochs=1, verbose=0)  # warm-up: tracing
    stop = threading.Event()

    def rerun_cleanups() -> None:
        while not stop.is_set():
            keras.backend.clear_session()
            time.sleep(1 / RERUNS_PER_SECOND)

    if with_cleanup:
        threading.Thread(target=rerun_cleanups, daemon=True).start()
    started = time.perf_counter()
    model.fit(ds, epochs=EPOCHS, verbose=0)
    seconds = time.perf_counter() - started
    stop.set()
    return EPOCHS * len(data.y_train) / seconds


def main(rounds: int) -> None:
    data = datasets.load_dataset("mnist", "bundled")
    alone, cleaned = [], []
    for _ in range(rounds):
        alone.append(images_per_second(data, with_cleanup=False))
        cleaned.append(images_per_second(data, with_cleanup=True))
    a, c = statistics.median(alone), statistics.median(cleaned)
    print(f"training alone: {a:,.0f} images/s (rounds: {', '.join(f'{x:,.0f}' for x in alone)})")
    print(f"with {RERUNS_PER_SECOND} clear_session() a second: {c:,.0f} images/s "
          f"(rounds: {', '.join(f'{x:,.0f}' for x in cleaned)})")
    print(f"ratio: {c / a:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    main(parser.parse_args().rounds)
