"""The layout table in docs/architecture.md gives every module a line of its own, so a newcomer
finds each one's job in one place."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def layout_table() -> str:
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    return architecture[architecture.index("## Layout") :].split("\n## ", 1)[0]


def named_in(table: str) -> set[str]:
    """Every module the table gives a line of its own: a row whose first cell is one `path.py`."""
    names: set[str] = set()
    for row in table.splitlines():
        paths = re.findall(r"`([^`]+)`", row.split(" | ")[0]) if row.startswith("| `") else []
        if len(paths) == 1 and paths[0].endswith(".py"):
            names.add(paths[0])
    return names


def test_every_module_of_the_app_has_a_line_of_its_own_in_the_layout_table():
    names = named_in(layout_table())
    modules = [
        p.relative_to(ROOT).as_posix()
        for folder in ("app_pages", "ui", "cnn_core")
        for p in (ROOT / folder).rglob("*.py")
        if p.name != "__init__.py"
    ]
    missing = sorted(m for m in modules if m not in names)
    assert not missing, f"add a line for each to the layout table of docs/architecture.md: {missing}"


def test_the_table_names_no_module_that_is_gone():
    gone = sorted(n for n in named_in(layout_table()) if n.endswith(".py") and not (ROOT / n).exists())
    assert not gone, f"the layout table of docs/architecture.md names modules that no longer exist: {gone}"
