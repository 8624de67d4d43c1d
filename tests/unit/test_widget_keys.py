"""One way to write a session-state key, read from the code of ui/ and app_pages/ (AST, nothing imported).

A key is a module-level ``<WHAT>_KEY`` constant holding the whole string; a widget passes it by
name (``key=SEED_KEY``), or a per-item key from a small function (``key=block_key(i, "filters")``).
The rules:

1. a call's ``key=`` argument is never a string literal, a ``+`` concatenation, or an f-string
   that does not start with a ``*_KEY`` name;
2. no module-level name is a single letter (``P = "train_"`` hid what the prefix was for).

Each rule has a self-test that feeds it a bad snippet, so it cannot pass by finding nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("ui", "app_pages")


def _bad_key(value: ast.expr) -> str | None:
    """Why the expression passed as ``key=`` is not a named key, or None when it is one."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return f"the string literal {value.value!r}"
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        return "a + concatenation"
    if isinstance(value, ast.JoinedStr):
        first = value.values[0] if value.values else None
        named = (
            isinstance(first, ast.FormattedValue)
            and isinstance(first.value, ast.Name)
            and first.value.id.endswith("_KEY")
        )
        return None if named else "an f-string that does not start with a *_KEY name"
    return None


def key_findings(tree: ast.Module, path: str) -> list[str]:
    """Rule 1: ``key=`` arguments written in place rather than named."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                why = _bad_key(kw.value) if kw.arg == "key" else None
                if why:
                    found.append(f"{path}:{kw.value.lineno}: key= is {why}")
    return found


def one_letter_findings(tree: ast.Module, path: str) -> list[str]:
    """Rule 2: module-level names of one letter."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        else:
            continue
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name) and len(name.id) == 1:
                    found.append(f"{path}:{node.lineno}: module-level name {name.id!r}")
    return found


def scanned_files() -> list[Path]:
    return sorted(p for area in SCANNED for p in (ROOT / area).rglob("*.py"))


def test_keys_are_named_in_ui_and_pages():
    files = scanned_files()
    assert any(p.name == "training.py" for p in files), "the scan found no pages: it is not reading the code"
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        shown = str(path.relative_to(ROOT))
        found += key_findings(tree, shown) + one_letter_findings(tree, shown)
    assert not found, "keys must be *_KEY constants:\n  " + "\n  ".join(found)


# ----- self-tests: each rule fails on a bad snippet ----------------------------------------


def test_rule_1_catches_keys_written_in_place():
    for source in (
        'st.slider("Size", key="conv_size")',
        'st.button("Go", key=P + "go")',
        'st.button("Go", key=f"{P}go_{i}")',
        'st.button("Go", key=f"train_{i}")',
        'def f():\n    st.toggle("On", key=PREFIX + "on")',
    ):
        assert key_findings(ast.parse(source), "bad.py"), source
    for source in (
        'st.slider("Size", key=SIZE_KEY)',
        'st.button("Go", key=f"{TICK_KEY}_{i}")',
        'st.button("Go", key=block_key(i, "filters"))',
        "sorted(rows, key=lambda r: r.name)",
        "sorted(rows, key=str)",
    ):
        assert not key_findings(ast.parse(source), "good.py"), source


def test_rule_2_catches_one_letter_module_names():
    for source in ('P = "train_"', "W: dict = {}", "a, b = 1, 2"):
        assert one_letter_findings(ast.parse(source), "bad.py"), source
    for source in ('PREFIX_KEY = "train_"', "def f():\n    p = 1", "for i in range(3):\n    pass"):
        assert not one_letter_findings(ast.parse(source), "good.py"), source
