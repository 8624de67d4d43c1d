"""The README's layout table names every module, so a newcomer finds each one's job in one place."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def layout_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme[readme.index("## Layout"):].split("\n## ", 1)[0]


def named_in(table: str) -> set[str]:
    """Every path the table names: `a/b.py`, and the modules a row lists inside a folder's row."""
    names: set[str] = set()
    for row in table.splitlines():
        if not row.startswith("| `"):
            continue
        cells = row.split(" | ")
        paths = re.findall(r"`([^`]+)`", cells[0])
        names.update(paths)
        for folder in (p for p in paths if p.endswith("/")):  # `cnn_core/figures/` lists `convolution`, …
            names.update(folder + m + ".py" for m in re.findall(r"`(\w+)`", cells[1]))
    return names


def test_every_module_of_the_app_is_named_in_the_layout_table():
    names = named_in(layout_table())
    modules = [p.relative_to(ROOT).as_posix() for folder in ("app_pages", "ui", "cnn_core")
               for p in (ROOT / folder).rglob("*.py") if p.name != "__init__.py"]
    missing = sorted(m for m in modules if m not in names)
    assert not missing, f"add a line for each to the README's layout table: {missing}"


def test_the_table_names_no_module_that_is_gone():
    gone = sorted(n for n in named_in(layout_table()) if n.endswith(".py") and not (ROOT / n).exists())
    assert not gone, f"the README's layout table names modules that no longer exist: {gone}"
