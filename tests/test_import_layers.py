"""Layers import downwards only: no import cycle may span two top-level subpackages.

The check is static (``import`` statements, including lazy and TYPE_CHECKING ones), like
``shared/tools/import_cycles.py``: the module graph's strongly connected components. Design,
cost, dse, codegen and sim once formed one 21-module cycle through ``codegen.top``; the design
layer (``streamfold.design``) broke it, and this test keeps it broken.
"""

import ast
from pathlib import Path

import streamfold

ROOT = Path(streamfold.__file__).parent


def module_graph(root: Path) -> dict[str, set[str]]:
    pkg = root.name
    deps: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found: set[str] = set()
        for n in ast.walk(ast.parse(path.read_text())):
            if isinstance(n, ast.ImportFrom) and n.level == 0 and (n.module or "").startswith(pkg):
                found.add(n.module or "")
            elif isinstance(n, ast.Import):
                found |= {a.name for a in n.names if a.name.startswith(pkg)}
        deps[".".join(parts)] = found

    def resolve(name: str) -> str:
        while name and name not in deps:
            name = name.rpartition(".")[0]
        return name

    return {m: {resolve(d) for d in ds if resolve(d) not in ("", m)} for m, ds in deps.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm (recursive: the package has a few hundred modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            out.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [c for c in out if len(c) > 1]


def top_package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_import_cycle_spans_packages() -> None:
    spanning = [
        sorted(c)
        for c in strongly_connected(module_graph(ROOT))
        if len({top_package(m) for m in c}) > 1
    ]
    assert spanning == [], f"import cycles across packages: {spanning}"


def test_the_check_finds_a_cycle(tmp_path: Path) -> None:
    """The check itself can fail: a planted two-package cycle is found."""
    pkg = tmp_path / "streamfold"
    (pkg / "a").mkdir(parents=True)
    (pkg / "b").mkdir()
    for d in (pkg, pkg / "a", pkg / "b"):
        (d / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("from streamfold.b.y import f\n")
    (pkg / "b" / "y.py").write_text("def f():\n    from streamfold.a.x import g\n")
    cycles = strongly_connected(module_graph(pkg))
    assert cycles == [{"streamfold.a.x", "streamfold.b.y"}]
