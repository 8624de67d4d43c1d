"""bench/device_check.py's plan and verdict, checked on the CPU with stand-in accelerators
(its GPU arms need a GPU to run; which arms run and how they are judged does not)."""

import importlib.util
import sys
from pathlib import Path

from cnn_core import accelerators

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("device_check", ROOT / "bench" / "device_check.py")
device_check = importlib.util.module_from_spec(_spec)
sys.modules["device_check"] = device_check  # a dataclass looks its module up there
_spec.loader.exec_module(device_check)


def arm(name, kind, mixed, speed, accuracy):
    return device_check.Arm(name, kind, mixed, speed, 1.0, 10.0, accuracy)


def test_a_cpu_only_machine_runs_the_cpu_arm_alone():
    cpu = accelerators.Accelerator("CPU", None, "CPU · 2 threads")
    assert device_check.plan(cpu) == [(cpu, False)]
    ratios, mixed_ok, lines = device_check.compare([arm("CPU", "CPU", False, 3000, 0.88)])
    assert ratios == {} and mixed_ok is None and lines == []


def test_a_gpu_runs_the_cpu_then_float32_then_mixed_precision_and_the_cpu_arm_stays_on_the_cpu():
    gpu = accelerators.Accelerator("GPU", None, "1 GPU: NVIDIA H100")
    (cpu, mixed0), (best, mixed1), (best2, mixed2) = device_check.plan(gpu)
    assert (cpu.kind, best, best2, mixed0, mixed1, mixed2) == ("CPU", gpu, gpu, False, False, True)
    assert cpu.devices == ("/cpu:0",) and type(cpu.strategy).__name__ == "OneDeviceStrategy"
    tpu = accelerators.Accelerator("TPU", None, "TPU · 8 cores", 8)
    assert [(a.kind, m) for a, m in device_check.plan(tpu)] == [("CPU", False), ("TPU", False)]


def test_speed_is_compared_to_the_cpu_and_to_float32_and_mixed_precision_may_lose_half_a_point():
    arms = [
        arm("CPU", "CPU", False, 5000, 0.880),
        arm("GPU", "GPU", False, 50000, 0.885),
        arm("GPU mixed", "GPU", True, 80000, 0.881),
    ]
    ratios, mixed_ok, lines = device_check.compare(arms)
    assert ratios == {"GPU / CPU": 10.0, "GPU mixed / CPU": 16.0, "mixed / float32": 1.6}
    assert mixed_ok is True and "drop +0.0040" in lines[0] and lines[0].endswith("OK")
    arms[2] = arm("GPU mixed", "GPU", True, 80000, 0.879)  # 0.006 below float32
    _, mixed_ok, lines = device_check.compare(arms)
    assert mixed_ok is False and lines[0].endswith("TOO LOW")
