"""The worker's loop: the one process that holds TensorFlow, serving its server.

The server (:mod:`cnn_core.client`) starts ``python -m cnn_core.worker`` when TensorFlow is first
needed and talks to it over one authenticated local connection (:mod:`cnn_core.protocol`):

* a **run** is a :class:`~cnn_core.worker.trainer.Trainer` thread here; its snapshot goes to the
  server twice a second while it changes, and once its model is written, a final one with the
  model's path; pause, resume, stop and a new learning rate come back as requests;
* **inference** (a test set's predictions, one image's answer, feature maps, filters, heat maps,
  checking an uploaded model) runs on one thread, in order, so no model is used by two threads;
* the **Keras download** of a dataset fills Keras's cache, which the server then reads.

Requests are answered in any order; the main thread only reads requests, so a pause reaches a
run at once even while a long prediction runs.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

from .. import dataset_files, datasets, evaluation, run_storage
from ..protocol import FINAL, REPLY, SNAPSHOT, DataRef, ModelRef, TrainRequest
from . import inference, insight
from .accelerators import detect_accelerator
from .data import keras_download
from .process_setup import limit_memory_growth
from .trainer import Trainer

PUBLISH_EVERY_S = 0.5  # how often a run's snapshot goes to the server while it changes
KEEP_MODELS = 4  # loaded models kept, the most recently used first
KEEP_DATASETS = 2  # training sets kept (Fashion-MNIST's 60,000 images are 47 MiB)


class Worker:
    """Everything one worker process serves: its runs, its loaded models and datasets."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._send_lock = threading.Lock()
        self._trainers: dict[str, tuple[Trainer, TrainRequest]] = {}
        self._trainers_lock = threading.Lock()
        self._models: OrderedDict[tuple[str, float], Any] = OrderedDict()
        self._datasets: OrderedDict[DataRef, datasets.Dataset] = OrderedDict()
        self._accelerator: Any = None
        self._accelerator_lock = threading.Lock()
        self._inference: queue.Queue = queue.Queue()
        self._stopping = threading.Event()

    # ----- the loop ---------------------------------------------------------------------------

    def serve(self) -> None:
        """Read requests until the server says quit or goes away."""
        threading.Thread(target=self._infer_loop, name="inference", daemon=True).start()
        threading.Thread(target=self._publish_loop, name="publisher", daemon=True).start()
        while not self._stopping.is_set():
            try:
                request_id, op, args = self.conn.recv()
            except (EOFError, OSError):  # the server is gone: nothing left to serve
                break
            if op == "quit":
                self._reply(request_id, True, None)
                break
            if op in ("train", "control", "ping", "status"):
                self._answer(request_id, getattr(self, f"op_{op}"), args)
            else:  # models, datasets and downloads: one at a time, off the reading thread
                self._inference.put((request_id, op, args))
        self._stopping.set()
        for trainer, _ in list(self._trainers.values()):
            trainer.stop()

    def _infer_loop(self) -> None:
        while True:
            request_id, op, args = self._inference.get()
            self._answer(request_id, getattr(self, f"op_{op}"), args)

    def _answer(self, request_id: int, handler: Callable[..., Any], args: dict) -> None:
        try:
            value = handler(**args)
        except ValueError as exc:  # a sentence for the learner (a bad file, a refused setting)
            self._reply(request_id, False, ("ValueError", str(exc)))
        except Exception as exc:  # noqa: BLE001 - any other failure is reported, never fatal
            self._reply(request_id, False, ("Error", f"{type(exc).__name__}: {exc}"))
        else:
            self._reply(request_id, True, value)

    def _send(self, message: tuple) -> None:
        with self._send_lock:
            try:
                self.conn.send(message)
            except (OSError, ValueError):  # the server went away meanwhile
                self._stopping.set()

    def _reply(self, request_id: int, ok: bool, value: Any) -> None:
        self._send((REPLY, request_id, ok, value))

    # ----- runs -------------------------------------------------------------------------------

    def op_ping(self) -> int:
        return os.getpid()

    def op_status(self) -> dict[str, Any]:
        """What this process holds: its id, its runs, and which of the big libraries it loaded."""
        with self._trainers_lock:
            runs = len(self._trainers)
        return {
            "pid": os.getpid(),
            "runs": runs,
            "models": len(self._models),
            "tensorflow": "tensorflow" in sys.modules,
            "streamlit": "streamlit" in sys.modules,
        }

    def op_train(self, request: TrainRequest) -> None:
        """Start a run (a Trainer thread); its snapshots follow on their own."""
        data = self.dataset(request.data)
        if request.resume_from is not None:
            trainer = Trainer.from_checkpoint(
                request.resume_from,
                data,
                accelerator=self.accelerator,
                epochs=request.config.epochs,
                loop=request.config.loop,
            )
        else:
            trainer = Trainer(
                data,
                request.model_config,
                request.config,
                accelerator=self.accelerator,
                run_dir=request.run_dir,
                label=request.label,
            )
        with self._trainers_lock:
            self._trainers[request.job_id] = (trainer, request)
        trainer.start()

    def op_control(self, job_id: str, action: str, value: float | None = None) -> None:
        """Pause, resume, stop, or a new learning rate for a run (gone already: nothing to do)."""
        with self._trainers_lock:
            entry = self._trainers.get(job_id)
        if entry is None:
            return
        trainer = entry[0]
        if action == "learning_rate":
            trainer.set_learning_rate(value)
        else:
            getattr(trainer, action)()

    def _publish_loop(self) -> None:
        """Each run's snapshot while it changes; a final one with its model's path when it ends."""
        sent: dict[str, Any] = {}
        while not self._stopping.is_set():
            with self._trainers_lock:
                runs = list(self._trainers.items())
            for job_id, (trainer, request) in runs:
                snap = trainer.snapshot()
                if snap.done:
                    self._send((FINAL, job_id, snap, self._final_model(trainer, request, snap)))
                    with self._trainers_lock:
                        self._trainers.pop(job_id, None)
                    sent.pop(job_id, None)
                elif sent.get(job_id) != snap:
                    self._send((SNAPSHOT, job_id, snap))
                    sent[job_id] = snap
            time.sleep(PUBLISH_EVERY_S)

    def _final_model(self, trainer: Trainer, request: TrainRequest, snap: Any) -> str | None:
        """Where the run's model is, once written: its run folder's, else ``model_out``; None
        for a run that failed."""
        if snap.status not in ("finished", "stopped") or trainer.model is None:
            return None
        if request.run_dir is not None or request.resume_from is not None:
            return str(Path(request.run_dir or request.resume_from) / run_storage.FINAL_MODEL)
        trainer.save(request.model_out)
        return request.model_out

    def accelerator(self) -> Any:
        """The device every run here trains on, detected once (it imports TensorFlow)."""
        with self._accelerator_lock:
            if self._accelerator is None:
                self._accelerator = detect_accelerator()
            return self._accelerator

    def dataset(self, ref: DataRef) -> datasets.Dataset:
        """A training set, read once while it is among the last few used."""
        if ref not in self._datasets:  # its training images mapped from the file, not read into memory
            self._datasets[ref] = dataset_files.read_kept(ref.name, ref.path, ref.source)
            while len(self._datasets) > KEEP_DATASETS:
                self._datasets.popitem(last=False)
        self._datasets.move_to_end(ref)
        return self._datasets[ref]

    # ----- models (on the inference thread) ---------------------------------------------------

    def model(self, ref: ModelRef) -> Any:
        """The model in ``ref``'s file, loaded once while it is among the last few used."""
        key = (ref.path, ref.stamp)
        if key not in self._models:
            self._models[key] = inference.load_model(ref.path)
            while len(self._models) > KEEP_MODELS:
                self._models.popitem(last=False)
        self._models.move_to_end(key)
        return self._models[key]

    def op_device(self) -> Any:
        """The device runs train on, without its strategy (which does not cross processes)."""
        return replace(self.accelerator(), strategy=None)

    def op_download(self, name: str) -> None:
        keras_download(name)

    def op_check(self, model: ModelRef) -> None:
        self.model(model)

    def op_predict(self, model: ModelRef, images: Any, labels: Any) -> evaluation.Predictions:
        return evaluation.predict(self.model(model), images, labels)

    def op_predict_image(self, model: ModelRef, image: Any) -> Any:
        return evaluation.predict_image(self.model(model), image)

    def op_inside(self, model: ModelRef, image: Any) -> tuple:
        """One image's answer, the conv layers, their feature maps and the first layer's filters."""
        m = self.model(model)
        return (
            evaluation.predict_image(m, image),
            insight.describe_conv_layers(m),
            insight.feature_maps(m, image),
            insight.first_layer_filters(m),
        )

    def op_heat(self, model: ModelRef, image: Any, method: str, target: int | None) -> Any:
        explain = insight.grad_cam if method == "grad-cam" else insight.saliency
        return explain(self.model(model), image, target)


def serve(conn: Connection) -> None:
    """Apply the process's memory settings (before TensorFlow's first tensor), then serve."""
    limit_memory_growth()
    Worker(conn).serve()
