"""The rules of the house (docs/architecture.md), read from the import graph rather than from prose.

Every .py file of cnn_core/, ui/, app_pages/ and streamlit_app.py is parsed (AST, nothing is
imported); each ``import``, ``from … import``, ``importlib.import_module("…")`` and
``__import__("…")`` becomes an edge, relative imports resolved against the importing package.
The rules:

1. ``cnn_core`` never imports Streamlit, nor the Streamlit side of the app (``ui``, ``app_pages``,
   ``streamlit_app``), anywhere in a file;
2. nothing imports ``tensorflow.python`` or ``keras.src`` (private APIs);
3. the Streamlit server never imports TensorFlow or Keras: from the router, every import the
   server can run (at module level or inside a function; not under ``if TYPE_CHECKING:``) is
   followed through the repository's own modules, and none reaches ``tensorflow``, ``keras`` or the
   worker's package ``cnn_core.worker`` (started by name in its own process); a failure names the
   chain;
4. pages never import each other (shared glue lives in ``ui``).

Each rule has a self-test that feeds it a bad snippet, so none can pass by finding nothing.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("cnn_core", "ui", "app_pages", "streamlit_app.py")
HEAVY = ("tensorflow", "keras", "cnn_core.worker")  # TensorFlow, and the package that holds it
PRIVATE = ("tensorflow.python", "keras.src")
STREAMLIT_SIDE = ("streamlit", "ui", "app_pages", "streamlit_app")
SERVER = ("streamlit_app",)  # the router: every page, and all the server runs, is reached from it


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. "cnn_core.figures" for cnn_core/figures/__init__.py
    path: str  # as shown in a failure
    is_package: bool
    tree: ast.Module


@dataclass(frozen=True)
class Edge:
    source: str  # the importing module
    target: str  # the dotted name imported (for ``from a import b``: both "a" and "a.b")
    line: int
    runs: bool  # can run: False only for an import under ``if TYPE_CHECKING:``

    def where(self, modules: dict[str, Module]) -> str:
        return f"{modules[self.source].path}:{self.line}"


def module(name: str, source: str, is_package: bool = False) -> Module:
    """A module from source text (the self-tests' snippets)."""
    return Module(
        name,
        name.replace(".", "/") + ("/__init__.py" if is_package else ".py"),
        is_package,
        ast.parse(source),
    )


def repo_modules(root: Path = ROOT) -> dict[str, Module]:
    """Every scanned .py file of the repository, by dotted module name."""
    files: list[Path] = []
    for entry in SCANNED:
        path = root / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    found = {}
    for path in files:
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        found[name] = Module(
            name, str(path.relative_to(root)), is_package, ast.parse(path.read_text(), str(path))
        )
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(mod: Module, level: int, name: str | None) -> str:
    """The dotted name a ``from <dots><name> import …`` in ``mod`` refers to."""
    if level == 0:
        return name or ""
    package = mod.name.split(".") if mod.is_package else mod.name.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def edges(mod: Module) -> list[Edge]:
    """Every import in ``mod`` (at module level or inside a function), marked with whether it
    can run at all (an import only for the type checker cannot)."""
    found: list[Edge] = []

    def visit(node: ast.AST, runs: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:  # only for the type checker: never runs
                visit(child, False)
            for child in node.orelse:
                visit(child, runs)
            return
        if isinstance(node, ast.Import):
            found.extend(Edge(mod.name, alias.name, node.lineno, runs) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(mod, node.level, node.module)
            if base:
                found.append(Edge(mod.name, base, node.lineno, runs))
            found.extend(
                Edge(mod.name, f"{base}.{alias.name}".lstrip("."), node.lineno, runs)
                for alias in node.names
                if alias.name != "*"
            )
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__"):
                found.append(Edge(mod.name, node.args[0].value, node.lineno, runs))
        for child in ast.iter_child_nodes(node):
            visit(child, runs)

    visit(mod.tree, True)
    return found


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _repo_targets(target: str, modules: dict[str, Module]) -> list[str]:
    """The repository's modules that importing ``target`` runs: it and each package above it."""
    parts = target.split(".")
    return [n for n in (".".join(parts[:i]) for i in range(1, len(parts) + 1)) if n in modules]


# ----- the rules: each returns its violations as sentences -----------------------------------


def streamlit_in_core(modules: dict[str, Module]) -> list[str]:
    """Rule 1: any import, anywhere in a cnn_core file, of Streamlit or the app's Streamlit side."""
    return [
        f"{e.where(modules)}: {e.source} imports {e.target}"
        for name, mod in modules.items()
        if _under(name, ("cnn_core",))
        for e in edges(mod)
        if _under(e.target, STREAMLIT_SIDE)
    ]


def private_apis(modules: dict[str, Module]) -> list[str]:
    """Rule 2: any import of tensorflow.python or keras.src, in any scanned file."""
    return [
        f"{e.where(modules)}: {e.source} imports {e.target} (private API)"
        for mod in modules.values()
        for e in edges(mod)
        if _under(e.target, PRIVATE)
    ]


def heavy_in_server(modules: dict[str, Module], starts: tuple[str, ...] = SERVER) -> list[str]:
    """Rule 3: TensorFlow, Keras or the worker's package reached from the server by any import it
    can run (module level or in a function), each named with its chain of modules."""
    problems = []
    for start in starts:
        if start not in modules:
            problems.append(f"{start}: no such module (the router moved? update SERVER)")
            continue
        parent = {name: None for name in _repo_targets(start, modules)}  # a package's __init__ runs too
        queue = deque(parent)
        while queue:
            name = queue.popleft()
            for e in edges(modules[name]):
                if not e.runs:
                    continue
                if _under(e.target, HEAVY):
                    chain, step = [e.target], name
                    while step is not None:
                        chain.append(step)
                        step = parent[step]
                    problems.append(
                        f"{start} reaches {e.target}: {' -> '.join(reversed(chain))} ({e.where(modules)})"
                    )
                    continue
                for target in _repo_targets(e.target, modules):
                    if target not in parent:
                        parent[target] = name
                        queue.append(target)
    return problems


def pages_importing_pages(modules: dict[str, Module]) -> list[str]:
    """Rule 4: a page importing another page (or the app_pages package)."""
    return [
        f"{e.where(modules)}: {e.source} imports {e.target}"
        for name, mod in modules.items()
        if _under(name, ("app_pages",))
        for e in edges(mod)
        if _under(e.target, ("app_pages",))
    ]


# ----- the test ----------------------------------------------------------------------------


def test_the_import_graph_keeps_the_rules_of_the_house():
    modules = repo_modules()
    # The scan saw the app (so an empty result below means something): each area has files.
    for area in ("cnn_core", "ui", "app_pages", "streamlit_app"):
        assert any(_under(name, (area,)) for name in modules), f"no module found under {area}"
    assert any(_under(e.target, HEAVY) for mod in modules.values() for e in edges(mod)), (
        "the scan found no TensorFlow import at all: it is not reading the code"
    )
    problems = {
        "1. cnn_core imports Streamlit (or ui/app_pages)": streamlit_in_core(modules),
        "2. private TensorFlow/Keras API": private_apis(modules),
        "3. the server imports TensorFlow (or the worker's package)": heavy_in_server(modules),
        "4. a page imports a page": pages_importing_pages(modules),
    }
    broken = {rule: found for rule, found in problems.items() if found}
    assert not broken, "\n".join(f"{rule}:\n  " + "\n  ".join(found) for rule, found in broken.items())


# ----- self-tests: each rule fails on a bad snippet ----------------------------------------


def fake(*mods: Module) -> dict[str, Module]:
    return {m.name: m for m in mods}


def test_rule_1_catches_streamlit_in_core_in_any_form():
    for source in (
        "import streamlit as st",
        "from streamlit import cache_data",
        "def f():\n    import streamlit.components.v1",
        "import importlib\nimportlib.import_module('streamlit')",
        "from ui.common import x",
        "from .. import ui",
    ):
        assert streamlit_in_core(fake(module("cnn_core.bad", source))), source
    assert not streamlit_in_core(fake(module("cnn_core.good", "import numpy\nfrom . import shapes")))
    assert not streamlit_in_core(fake(module("ui.glue", "import streamlit")))  # ui may


def test_rule_2_catches_private_tensorflow_and_keras_imports():
    for source in (
        "from tensorflow.python.keras import layers",
        "import keras.src.layers",
        "from keras import src",
        "def f():\n    from tensorflow import python",
    ):
        assert private_apis(fake(module("ui.bad", source))), source
    assert not private_apis(fake(module("ui.good", "import keras\nfrom tensorflow import data")))


def test_rule_3_follows_every_import_the_server_can_run_and_names_the_chain():
    mods = fake(
        module("streamlit_app", "from ui import glue"),
        module("ui", "", is_package=True),
        module(
            "ui.glue", "def later():\n    from ..cnn_core import helper"
        ),  # inside a function: it runs too
        module("cnn_core", "", is_package=True),
        module("cnn_core.helper", "try:\n    import keras\nexcept ImportError:\n    pass"),
    )
    assert heavy_in_server(mods) == [
        "streamlit_app reaches keras: streamlit_app -> ui.glue -> "
        "cnn_core.helper -> keras (cnn_core/helper.py:2)"
    ]
    # A package's __init__ runs on import of anything below it.
    mods["cnn_core"] = module("cnn_core", "import tensorflow as tf", is_package=True)
    mods["cnn_core.helper"] = module("cnn_core.helper", "")
    assert any("cnn_core -> tensorflow" in p for p in heavy_in_server(mods))
    # The worker's package is TensorFlow's side: the server starts it by name, never imports it.
    worker = fake(
        module("streamlit_app", "import importlib\nimportlib.import_module('cnn_core.worker.serve')")
    )
    assert heavy_in_server(worker) == [
        "streamlit_app reaches cnn_core.worker.serve: streamlit_app -> "
        "cnn_core.worker.serve (streamlit_app.py:2)"
    ]
    # Only an import for the type checker never runs.
    typed = fake(
        module("streamlit_app", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import keras")
    )
    assert heavy_in_server(typed) == []
    assert heavy_in_server({}) == ["streamlit_app: no such module (the router moved? update SERVER)"]


def test_rule_4_catches_a_page_importing_a_page():
    for source in (
        "from app_pages.model import preset",
        "from . import training",
        "import app_pages.home",
        "def f():\n    from app_pages import dataset",
    ):
        assert pages_importing_pages(fake(module("app_pages.predictions", source))), source
    assert not pages_importing_pages(fake(module("app_pages.predictions", "from ui import common")))
    assert not pages_importing_pages(
        fake(module("ui.navigation", "import app_pages.home"))
    )  # the router's side may


def test_relative_imports_resolve_against_the_importing_package():
    package = module("cnn_core.figures", "", is_package=True)
    inside = module("cnn_core.figures.vega", "")
    assert _absolute(package, 1, "vega") == "cnn_core.figures.vega"
    assert _absolute(inside, 1, None) == "cnn_core.figures"
    assert _absolute(inside, 2, "shapes") == "cnn_core.shapes"
