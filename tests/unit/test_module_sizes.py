"""Small modules with one job: every module the app ships is at most 450 lines and every function
in it at most 80 (docs/architecture.md). Scripts in bench/ and the tests are not held to it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("cnn_core", "ui", "app_pages", "tools", "streamlit_app.py")
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80


def too_long(path: str, source: str) -> list[str]:
    """Each way ``source`` breaks the limits, as a sentence naming the module or function."""
    problems = []
    lines = source.count("\n") + (not source.endswith("\n"))
    if lines > MAX_MODULE_LINES:
        problems.append(f"{path}: {lines} lines (at most {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                problems.append(
                    f"{path}:{node.lineno}: {node.name} is {length} lines (at most {MAX_FUNCTION_LINES})"
                )
    return problems


def shipped_files() -> list[Path]:
    files: list[Path] = []
    for entry in SHIPPED:
        path = ROOT / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def test_every_shipped_module_and_function_is_small():
    files = shipped_files()
    assert len(files) > 50, "the scan found too few modules: it is not reading the app"
    problems = [p for f in files for p in too_long(str(f.relative_to(ROOT)), f.read_text())]
    assert not problems, "split by what they do:\n" + "\n".join(problems)


def test_the_check_catches_a_long_module_and_a_long_function():
    long_function = "def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES
    assert too_long("m.py", long_function) == ["m.py:1: f is 81 lines (at most 80)"]
    long_module = "x = 1\n" * (MAX_MODULE_LINES + 1)
    assert too_long("m.py", long_module) == ["m.py: 451 lines (at most 450)"]
    assert too_long("m.py", "def f():\n" + "    x = 1\n" * (MAX_FUNCTION_LINES - 1)) == []
