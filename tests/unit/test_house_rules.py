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
4. pages never import each other (shared glue lives in ``ui``);
5. no import circle: following every import (at module level or inside a function) from any
   module never leads back to it, so no module needs an import inside a function to dodge one;
6. the Streamlit side (``ui``, ``app_pages``, the router) imports the repository's own modules at
   the top of the file, never inside a function (lazy imports are for heavy third-party code);
7. the product never imports ``tests``, ``bench`` or ``tools``, and ``tools`` never imports
   ``tests`` (shared harness code lives in ``tools``; tests import it from there).

Each rule has a self-test that feeds it a bad snippet, so none can pass by finding nothing.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("cnn_core", "ui", "app_pages", "streamlit_app.py", "tools")
HEAVY = ("tensorflow", "keras", "cnn_core.worker")  # TensorFlow, and the package that holds it
PRIVATE = ("tensorflow.python", "keras.src")
STREAMLIT_SIDE = ("streamlit", "ui", "app_pages", "streamlit_app")
SERVER = ("streamlit_app",)
PRODUCT = ("cnn_core", "ui", "app_pages", "streamlit_app")
NOT_FOR_THE_PRODUCT = (
    "tests",
    "bench",
    "tools",
)  # the router: every page, and all the server runs, is reached from it


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


def _repo_graph(modules: dict[str, Module]) -> dict[str, dict[str, Edge]]:
    """Who imports whom among the repository's modules: for each module, the most specific module
    each of its imports names (``from a import b`` is ``a.b`` when that is a module), with the
    first edge that does. A module's own packages are left out: they run before it anyway."""
    graph: dict[str, dict[str, Edge]] = {name: {} for name in modules}
    for name, mod in modules.items():
        for e in edges(mod):
            found = _repo_targets(e.target, modules)
            target = found[-1] if found else None
            if target and target != name and not name.startswith(target + "."):
                graph[name].setdefault(target, e)
    return graph


def import_circles(modules: dict[str, Module]) -> list[str]:
    """Rule 5: every circle of imports, as the chain that closes it (any import counts, in a
    function too: an import moved into a function still runs, and still closes the circle)."""
    graph = _repo_graph(modules)
    problems, done = [], set()
    for start in sorted(graph):
        # Depth-first from ``start`` over modules not yet reported; a path back to ``start`` is a circle.
        stack = [(start, [start])]
        seen = {start}
        while stack:
            name, path = stack.pop()
            for target, edge in sorted(graph[name].items()):
                if target == start and not done.intersection(path):
                    chain = " -> ".join(path + [start])
                    problems.append(f"{chain} ({edge.where(modules)})")
                    done.update(path)
                elif target not in seen and target not in done:
                    seen.add(target)
                    stack.append((target, path + [target]))
    return problems


def own_imports_in_functions(modules: dict[str, Module]) -> list[str]:
    """Rule 6: on the Streamlit side, an import of the repository's own modules inside a function."""
    problems = []
    for name, mod in modules.items():
        if not _under(name, STREAMLIT_SIDE):
            continue
        nested = [
            node
            for function in ast.walk(mod.tree)
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(function)
            if isinstance(node, (ast.Import, ast.ImportFrom))
        ]
        nested_lines = {node.lineno for node in nested}
        found: dict[int, Edge] = {}  # per import statement, its most specific repository module
        for e in edges(mod):
            if e.line in nested_lines and e.runs and _repo_targets(e.target, modules):
                if e.line not in found or len(e.target) > len(found[e.line].target):
                    found[e.line] = e
        problems += [
            f"{e.where(modules)}: {e.source} imports {e.target} inside a function" for e in found.values()
        ]
    return problems


def imports_of_tests_and_scripts(modules: dict[str, Module]) -> list[str]:
    """Rule 7: the product importing tests, bench or tools; tools importing tests."""
    return [
        f"{e.where(modules)}: {e.source} imports {e.target}"
        for name, mod in modules.items()
        for e in edges(mod)
        if (_under(name, PRODUCT) and _under(e.target, NOT_FOR_THE_PRODUCT))
        or (_under(name, ("tools",)) and _under(e.target, ("tests",)))
    ]


# ----- the test ----------------------------------------------------------------------------


def test_the_import_graph_keeps_the_rules_of_the_house():
    modules = repo_modules()
    # The scan saw the app (so an empty result below means something): each area has files.
    for area in ("cnn_core", "ui", "app_pages", "streamlit_app", "tools"):
        assert any(_under(name, (area,)) for name in modules), f"no module found under {area}"
    assert any(_under(e.target, HEAVY) for mod in modules.values() for e in edges(mod)), (
        "the scan found no TensorFlow import at all: it is not reading the code"
    )
    problems = {
        "1. cnn_core imports Streamlit (or ui/app_pages)": streamlit_in_core(modules),
        "2. private TensorFlow/Keras API": private_apis(modules),
        "3. the server imports TensorFlow (or the worker's package)": heavy_in_server(modules),
        "4. a page imports a page": pages_importing_pages(modules),
        "5. an import circle": import_circles(modules),
        "6. the Streamlit side imports its own modules inside a function": own_imports_in_functions(modules),
        "7. the product imports tests/bench/tools, or tools imports tests": imports_of_tests_and_scripts(
            modules
        ),
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


def test_rule_5_catches_a_circle_even_through_an_import_inside_a_function():
    mods = fake(
        module("ui", "", is_package=True),
        module("ui.common", "def later():\n    from ui import jobs"),
        module("ui.jobs", "from ui.common import helper"),
    )
    assert import_circles(mods) == ["ui.common -> ui.jobs -> ui.common (ui/jobs.py:1)"]
    longer = fake(
        module("cnn_core", "", is_package=True),
        module("cnn_core.a", "from . import b"),
        module("cnn_core.b", "from .c import x"),
        module("cnn_core.c", "import cnn_core.a"),
    )
    assert import_circles(longer) == [
        "cnn_core.a -> cnn_core.b -> cnn_core.c -> cnn_core.a (cnn_core/c.py:1)"
    ]
    # A package importing its own modules, and a module importing its package, is no circle.
    package = fake(
        module("cnn_core.figures", "from . import vega", is_package=True),
        module("cnn_core.figures.vega", "from . import palette"),
        module("cnn_core.figures.palette", ""),
    )
    assert import_circles(package) == []


def test_rule_6_catches_an_own_import_inside_a_function_on_the_streamlit_side():
    for source in (
        "def f():\n    from ui import jobs",
        "def f():\n    import cnn_core.shapes",
        "class A:\n    def f(self):\n        from ..cnn_core import shapes",
    ):
        mods = fake(
            module("ui.glue", source),
            module("ui.jobs", ""),
            module("cnn_core", "", is_package=True),
            module("cnn_core.shapes", ""),
        )
        assert own_imports_in_functions(mods), source
    lazy = fake(module("ui.glue", "from ui import jobs\ndef f():\n    from streamlit.runtime import Runtime"))
    lazy["ui.jobs"] = module("ui.jobs", "")
    assert own_imports_in_functions(lazy) == []  # a third-party import may wait for its function
    guarded = fake(module("ui.glue", "try:\n    from ui import jobs\nexcept ImportError:\n    jobs = None"))
    guarded["ui.jobs"] = module("ui.jobs", "")
    assert own_imports_in_functions(guarded) == []  # at the top of the file, under a try: not in a function
    assert own_imports_in_functions(fake(module("cnn_core.x", "def f():\n    from . import y"))) == []


def test_rule_7_catches_the_product_or_tools_importing_tests():
    for name, source in (
        ("ui.glue", "from tests.e2e.conftest import free_port"),
        ("cnn_core.x", "import bench.load_test"),
        ("app_pages.home", "from tools import running_app"),
        ("tools.audit", "def f():\n    from tests.e2e import conftest"),
    ):
        assert imports_of_tests_and_scripts(fake(module(name, source))), (name, source)
    assert not imports_of_tests_and_scripts(fake(module("tools.audit", "from tools import running_app")))
