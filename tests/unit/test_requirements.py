"""The two installs: requirements.txt (Community Cloud, CPU) and requirements-gpu.txt (CUDA).

Both bring the same app: its requirements other than TensorFlow are listed once, in
requirements-app.txt, which both include; each adds its own TensorFlow build.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lines(name: str) -> list[str]:
    """The requirement lines of a file: comments and blank lines dropped, spaces normalised."""
    out = []
    for raw in (ROOT / name).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append(" ".join(line.split()))
    return out


def tensorflow_lines(reqs: list[str]) -> list[str]:
    return [r for r in reqs if r.startswith("tensorflow")]


def test_the_cloud_file_is_the_app_list_plus_the_cpu_tensorflow():
    cloud = lines("requirements.txt")
    assert cloud[0] == "-r requirements-app.txt"
    assert [r for r in cloud[1:] if not r.startswith("tensorflow")] == [], "the app list lives in one file"
    assert tensorflow_lines(cloud) == [
        'tensorflow-cpu==2.21.* ; sys_platform == "linux" and platform_machine == "x86_64"',
        'tensorflow==2.21.* ; sys_platform != "linux" or platform_machine != "x86_64"',
    ]


def test_the_gpu_file_is_the_app_list_plus_the_cuda_tensorflow_and_never_the_cpu_one():
    gpu = lines("requirements-gpu.txt")
    assert gpu[0] == "-r requirements-app.txt"
    assert not [r for r in lines("requirements-app.txt") if r.startswith(("tensorflow", "-"))]
    assert tensorflow_lines(gpu) == [
        'tensorflow[and-cuda]==2.21.* ; sys_platform == "linux" and platform_machine == "x86_64"',
        'tensorflow==2.21.* ; sys_platform != "linux" or platform_machine != "x86_64"',
    ]
    assert not any("tensorflow-cpu" in r for r in gpu)


def test_the_dev_file_builds_on_the_cloud_one():
    assert lines("requirements-dev.txt")[0] == "-r requirements.txt"
