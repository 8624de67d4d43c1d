"""Pick the best ``tf.distribute`` strategy on this machine: TPU, several GPUs, one GPU, or CPU.

The tutorial's check raises when there is no TPU; here the absence of a TPU is a normal answer,
and the app falls back to GPU, then CPU, and says which it chose.

:func:`device_report` (``python -m cnn_core devices``) adds the TensorFlow build (CUDA, cuDNN)
and what the system says about NVIDIA GPUs, and :func:`diagnose` puts in plain words why a GPU
that is on the machine is not used (the CPU-only build, a driver older than TensorFlow's CUDA,
missing CUDA libraries, a hidden device) and what to do.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator


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
    devices: tuple[str, ...] = ()  # the strategy's device names, e.g. "/device:GPU:0"

    @property
    def mixed_precision_useful(self) -> bool:
        """Whether ``mixed_float16`` speeds training up here: on a GPU's float16 units, yes;
        on a CPU it only emulates float16 (slower), and a TPU wants bfloat16 instead."""
        return self.kind == "GPU"


def gpu_label(names: list[str]) -> str:
    """How the app names its GPUs, e.g. "1 GPU: NVIDIA H100", "2 GPUs: NVIDIA A100"."""
    n = len(names)
    kinds = names[0] if len(set(names)) == 1 else " + ".join(names)
    return f"{n} GPU{'s' if n > 1 else ''}: {kinds}"


def cpu_threads() -> int:
    """CPU cores this process may use (cgroup/affinity aware where the OS says)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


# ----- is there a GPU TensorFlow does not see? ------------------------------------------------

NVIDIA_PROC = "/proc/driver/nvidia"  # exists while the NVIDIA kernel driver is loaded (Linux)
NVIDIA_SMI_TIMEOUT_S = 10
GPU_INSTALL = "python -m pip uninstall -y tensorflow-cpu && python -m pip install -r requirements-gpu.txt"
# What TensorFlow's C++ side logs when it looks for GPUs and gives up, worth showing to a person.
GPU_LOG_WORDS = ("gpu", "cuda", "cudnn", "dlopen", "driver", "libcu", "nvidia", "ptx")


@dataclass(frozen=True)
class NvidiaInfo:
    """What the system (not TensorFlow) says about NVIDIA GPUs. ``driver_cuda`` is the newest
    CUDA version the installed driver supports (``nvidia-smi``'s "CUDA Version"), e.g. "12.4"."""

    present: bool
    names: tuple[str, ...] = ()
    driver: str = ""
    driver_cuda: str = ""
    how_found: str = ""  # "nvidia-smi", "/proc/driver/nvidia", or "" when none


def nvidia_gpu_present() -> bool:
    """Whether this machine has an NVIDIA driver loaded, without TensorFlow or a subprocess
    (cheap enough for a page to ask on every run): ``/proc/driver/nvidia`` or ``nvidia-smi``."""
    return os.path.isdir(NVIDIA_PROC) or shutil.which("nvidia-smi") is not None


def nvidia_info(run: Any = subprocess.run) -> NvidiaInfo:
    """Ask ``nvidia-smi`` (when on PATH) for the GPUs, the driver and its CUDA version; never
    raises. ``run`` is ``subprocess.run`` (injectable for tests)."""
    smi = shutil.which("nvidia-smi")
    proc = os.path.isdir(NVIDIA_PROC)
    if smi is None:
        return NvidiaInfo(present=proc, how_found=NVIDIA_PROC if proc else "")
    names: list[str] = []
    driver = driver_cuda = ""
    try:
        out = run(
            [smi, "--query-gpu=name,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=NVIDIA_SMI_TIMEOUT_S,
        ).stdout
        for line in out.splitlines():
            if "," in line:
                name, driver = (part.strip() for part in line.rsplit(",", 1))
                names.append(name)
        header = run([smi], capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT_S).stdout
        found = re.search(r"CUDA Version:\s*([\d.]+)", header)
        driver_cuda = found.group(1) if found else ""
    except (OSError, subprocess.SubprocessError):
        pass
    return NvidiaInfo(
        present=bool(names) or proc,
        names=tuple(names),
        driver=driver,
        driver_cuda=driver_cuda,
        how_found="nvidia-smi" if names else (NVIDIA_PROC if proc else ""),
    )


@contextlib.contextmanager
def captured_native_stderr() -> Iterator[list[str]]:
    """Collect what C++ code (TensorFlow's device search) writes to file descriptor 2 inside
    the block; the list is filled with its lines when the block ends."""
    lines: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            lines.extend(tmp.read().decode("utf-8", "replace").splitlines())


def gpu_log_lines(lines: list[str]) -> list[str]:
    """The lines of a TensorFlow log that are about GPUs, CUDA or the driver (e.g. "Cannot dlopen
    some GPU libraries", "CUDA driver version is insufficient")."""
    return [line.strip() for line in lines if any(w in line.lower() for w in GPU_LOG_WORDS)]


def diagnose(
    cuda_build: bool,
    tf_gpus: int,
    nvidia: NvidiaInfo,
    cuda_version: str = "",
    tf_log: list[str] | tuple[str, ...] = (),
    visible: str | None = None,
) -> str | None:
    """In plain words, why a GPU that is on this machine is not used, and what to do; None when
    there is nothing to fix (TensorFlow sees the GPUs, or there is no NVIDIA GPU at all).

    ``cuda_build``/``cuda_version`` describe this TensorFlow (``tf.sysconfig.get_build_info()``),
    ``tf_gpus`` is how many GPUs it lists, ``tf_log`` what it logged while looking, ``visible``
    the value of ``$CUDA_VISIBLE_DEVICES`` (None when unset).
    """
    if tf_gpus > 0 or not nvidia.present:
        return None
    seen = f" ({', '.join(nvidia.names)})" if nvidia.names else ""
    where = f"This machine has an NVIDIA GPU{seen}, but TensorFlow does not use it: "
    if visible is not None and visible.strip() in ("", "-1"):
        return (
            where + f"CUDA_VISIBLE_DEVICES is set to {visible!r}, which hides every GPU. "
            "Unset it (or set it to 0) and run `python -m cnn_core devices` again."
        )
    if not cuda_build:
        return (
            where + "this TensorFlow is the CPU-only build (tensorflow-cpu, from requirements.txt). "
            f"Install the CUDA build instead: `{GPU_INSTALL}` (a fresh virtual environment is "
            "cleanest), then run `python -m cnn_core devices` again."
        )
    advice = where + f"this TensorFlow is built for CUDA {cuda_version or '?'} but found no usable GPU. "
    if nvidia.driver_cuda and cuda_version and _version(nvidia.driver_cuda) < _version(cuda_version)[:2]:
        advice += (
            f"The NVIDIA driver ({nvidia.driver or 'installed'}) supports CUDA up to "
            f"{nvidia.driver_cuda}, older than the {cuda_version} TensorFlow needs: update the "
            "NVIDIA driver (nvidia-smi's top line shows the CUDA version it supports). "
        )
    elif not nvidia.names:
        advice += (
            "`nvidia-smi` does not list a GPU: check that the NVIDIA driver is installed and "
            "working (`nvidia-smi` must print a table). "
        )
    else:
        advice += (
            "Usually the CUDA or cuDNN libraries are missing or do not match: reinstall "
            "with `python -m pip install --force-reinstall -r requirements-gpu.txt` in a "
            "fresh virtual environment (its nvidia-* packages bring CUDA and cuDNN), and "
            "check that the NVIDIA driver is recent enough for that CUDA. "
        )
    log = gpu_log_lines(list(tf_log))
    if log:
        advice += "What TensorFlow logged: " + " | ".join(log[-4:])
    else:
        advice += "TensorFlow logged nothing about it (set TF_CPP_MIN_LOG_LEVEL=0 to see more)."
    return advice.strip()


def _version(text: str) -> tuple[int, ...]:
    """ "12.5.1" -> (12, 5, 1); anything unreadable -> ()."""
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return ()


@dataclass(frozen=True)
class DeviceReport:
    """Everything ``python -m cnn_core devices`` prints, as data (``asdict`` gives the JSON)."""

    kind: str
    description: str
    strategy: str
    replicas: int
    devices: tuple[str, ...]
    tensorflow: str
    cuda_build: bool
    cuda_version: str
    cudnn_version: str
    tf_gpus: tuple[str, ...]
    nvidia: NvidiaInfo
    problem: str | None
    mixed_precision: bool
    tf_log: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        return asdict(self)


def report_text(report: DeviceReport) -> str:
    """The report for a person, one fact a line, and the diagnosis (if any) last."""
    build = (
        f"CUDA build: CUDA {report.cuda_version or '?'}, cuDNN {report.cudnn_version or '?'}"
        if report.cuda_build
        else "CPU-only build (no CUDA)"
    )
    if report.nvidia.present:
        smi = ", ".join(report.nvidia.names) or f"found by {report.nvidia.how_found}"
        driver = (f" · driver {report.nvidia.driver}" if report.nvidia.driver else "") + (
            f" (supports CUDA up to {report.nvidia.driver_cuda})" if report.nvidia.driver_cuda else ""
        )
        system = smi + driver
    else:
        system = "none (no nvidia-smi, no /proc/driver/nvidia)"
    lines = [
        f"Accelerator:     {report.description}",
        f"Strategy:        {report.strategy} · {report.replicas} replica{'s' if report.replicas != 1 else ''}"
        + (" (each trains on an equal share of every batch)" if report.replicas > 1 else ""),
        f"Devices:         {', '.join(report.devices) or '—'}",
        f"TensorFlow:      {report.tensorflow} · {build}",
        f"GPUs TensorFlow sees: {', '.join(report.tf_gpus) or 'none'}",
        f"NVIDIA GPUs on this machine: {system}",
        "Mixed precision: "
        + (
            "worth it here (train --mixed-precision, or the Training page's switch)"
            if report.mixed_precision
            else "no gain here (float16 speeds up GPUs only)"
        ),
    ]
    if report.problem:
        lines.append("")
        lines.append("GPU NOT USED: " + report.problem)
    elif report.kind == "CPU":
        lines.append("")
        lines.append("Training runs on the CPU: this machine has no NVIDIA GPU.")
    return "\n".join(lines)
