"""The layers import downwards only, and no module imports itself back through others (lazy imports included).

config < corpus < library, retrieval < bot < api: settings at the bottom, the HTTP edge at the top. The graph is read
from the source (every ``import`` statement, at module level or inside a function), so a cycle held open by a lazy
import counts as a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "bot", "config", "corpus", "library", "prompts", "retrieval")
# what each package may import from the project (besides itself)
ALLOWED = {
    "config": set(),
    "prompts": set(),
    "corpus": set(),
    "library": {"corpus"},
    "retrieval": {"corpus"},
    "bot": {"config", "corpus", "library", "retrieval", "prompts"},
    "api": {"bot", "config", "corpus", "library", "retrieval", "prompts"},
}


def module_files(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> project modules it imports anywhere in its body (``from a import b``: a.b when it is a module)."""
    mods = module_files(root, packages)

    def owner(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps: set[str | None] = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(owner(a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the package, up level-1 steps
                    parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*parent, *([base] if base else [])])
                subs = {f"{base}.{a.name}" for a in node.names} & mods.keys()
                deps.update(subs)  # ``from pkg import module``: the module (its package is loaded before it anyway)
                if len(subs) < len(node.names):
                    deps.add(owner(base))
        graph[name] = {d for d in deps if d is not None and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

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
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_below_the_api_imports_the_api() -> None:
    graph = import_graph(ROOT, PACKAGES)
    upward = sorted(f"{m} -> {d}" for m, deps in graph.items() for d in deps
                    if m.split(".")[0] != "api" and d.split(".")[0] == "api")
    assert upward == []


def test_each_layer_imports_only_the_layers_below_it() -> None:
    graph = import_graph(ROOT, PACKAGES)
    wrong = sorted(f"{m} -> {d}" for m, deps in graph.items() for d in deps
                   if d.split(".")[0] != m.split(".")[0] and d.split(".")[0] not in ALLOWED[m.split(".")[0]])
    assert wrong == []


def test_there_are_no_import_cycles_lazy_imports_included() -> None:
    assert cycles(import_graph(ROOT, PACKAGES)) == []


def test_the_cycle_check_sees_a_cycle_held_open_by_a_lazy_import(tmp_path: Path) -> None:
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "store.py").write_text("def recover():\n    from shop.admin import undo\n    return undo\n")
    (pkg / "admin.py").write_text("from shop.store import recover\n\ndef undo():\n    return recover\n")
    (pkg / "views.py").write_text("from . import store\n")
    graph = import_graph(tmp_path, ("shop",))
    assert graph["shop.views"] == {"shop.store"}
    assert cycles(graph) == [["shop.admin", "shop.store"]]


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    for pkg, body in (("api", "X = 1\n"), ("bot", "def f():\n    from api import X\n    return X\n")):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text(body)
    assert import_graph(tmp_path, ("api", "bot"))["bot"] == {"api"}
