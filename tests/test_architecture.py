"""The package's layout: imports point one way along the data flow, with no cycle.

The graph is read from the source (every ``import`` statement, including those inside
functions; type-only imports under ``if TYPE_CHECKING:`` are left out because they never
run), so a cycle hidden in a function-level import is caught too.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import lvrn_analysis
from lvrn_analysis import _aliases

PKG = Path(lvrn_analysis.__file__).parent

#: Sub-packages in data-flow order; a module may import from its own layer or an earlier one.
#: ``fetch`` (online downloads) may use config and sources; only cli imports it
#: (tests/test_fetch_police.py checks that).
LAYERS = ["config", "sources", "fetch", "synthetic", "processed", "charts", "stats", "its",
          "story", "site", "cli"]
#: Modules every layer may use (no imports of the package's own layers).
BASE = {"lvrn_analysis", "lvrn_analysis._resources", "lvrn_analysis._aliases",
        "lvrn_analysis.parallel"}
#: The longest a module may be, in lines (issue 12: "small enough to read in one sitting").
MAX_LINES = 800


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str) -> set[str]:
    """Package modules imported by ``tree`` (skipping ``if TYPE_CHECKING:`` blocks)."""
    found: set[str] = set()

    def resolve(name: str) -> str | None:
        name = _aliases_target(name)
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        return name or None

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "lvrn_analysis" and (m := resolve(a.name)):
                    found.add(m)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".")
                if not MODULES[module].name == "__init__.py":
                    pkg = pkg[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join([*pkg, base] if base else pkg)
            if base.split(".")[0] == "lvrn_analysis":
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    m = resolve(sub) if _aliases_target(sub) in MODULES else resolve(base)
                    if m:
                        found.add(m)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return found


def _aliases_target(name: str) -> str:
    prefix, _, leaf = name.partition(".")
    head, _, rest = leaf.partition(".")
    if prefix == "lvrn_analysis" and head in _aliases.ALIASES:
        return ".".join(filter(None, ["lvrn_analysis", _aliases.ALIASES[head], rest]))
    return name


GRAPH = {m: _imports(ast.parse(p.read_text(encoding="utf-8")), m) for m, p in MODULES.items()}


def _layer(module: str) -> int:
    if module in BASE:
        return -1
    top = module.split(".")[1]
    return LAYERS.index(top)


def test_graph_is_read():
    # sanity: known edges are found, including a function-level import
    assert "lvrn_analysis.config.areas" in GRAPH["lvrn_analysis.config"]
    assert any(m.startswith("lvrn_analysis.sources") for m in GRAPH["lvrn_analysis.cli"])
    assert len(MODULES) > 40


def test_no_import_cycle():
    """Tarjan's strongly connected components: every component is a single module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            strong(v)
    assert not cycles, f"import cycles: {cycles}"


def test_every_module_is_in_a_layer():
    for m in MODULES:
        if m not in BASE:
            assert m.split(".")[1] in LAYERS, f"{m} is in no layer of {LAYERS}"


def test_imports_point_one_way():
    """A module imports only from its own layer or an earlier one (raw → … → site)."""
    wrong = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() for t in targets
                   if m not in BASE and t not in BASE and _layer(t) > _layer(m))
    assert not wrong, "imports against the data flow:\n" + "\n".join(wrong)


def test_config_does_not_load_sources():
    import subprocess
    import sys

    code = ("import sys, lvrn_analysis.config; "
            "print(sorted(m for m in sys.modules if m.startswith('lvrn_analysis.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "lvrn_analysis.config.areas" in out
    for layer in LAYERS[1:]:
        assert f"'lvrn_analysis.{layer}" not in out, f"importing config loads {layer}"


def test_modules_are_short():
    long = {m: n for m, p in MODULES.items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


@pytest.mark.parametrize("old", sorted(_aliases.ALIASES))
def test_old_flat_names_are_aliases(old):
    new = f"lvrn_analysis.{_aliases.ALIASES[old]}"
    assert new in MODULES, f"alias {old} points to missing {new}"
    assert importlib.import_module(f"lvrn_analysis.{old}") is importlib.import_module(new)


def test_documented_entry_points_keep_working():
    from lvrn_analysis.disclosure import publish
    from lvrn_analysis.indicators import crude_rate, proportion

    from lvrn_analysis.config import load_area
    from lvrn_analysis.its import fit_its
    from lvrn_analysis.processed import read_table

    for f in (load_area, publish, crude_rate, proportion, fit_its, read_table):
        assert callable(f)
    from lvrn_analysis import indicators

    assert indicators.crude_rate is crude_rate


def test_no_generated_notebooks():
    """Notebooks are the source of each page: nothing in the repository writes them."""
    root = PKG.parents[1]
    assert not (root / "tools").exists() or not list((root / "tools").glob("make_notebook*"))
    writers = [p for p in [*root.glob("*.py"), *(root / "src").rglob("*.py"),
                           *(root / "benchmarks").glob("*.py")]
               if "new_notebook(" in p.read_text(encoding="utf-8")]
    assert not writers, f"notebook generators: {writers}"
