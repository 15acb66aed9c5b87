"""No import cycles inside a package: a cycle breaks on an ordinary change of import order.

The graph is built from the source with `ast`: the imports a module runs when it is loaded (at module level, in
class bodies, under `try`/`if`), including relative ones (`from . import x`). Imports inside functions and under
`if TYPE_CHECKING:` are not run at load time and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.architecture.test_boundaries import ROOT, SERVICES

PACKAGES = {
    "afas_shared": ROOT / "shared" / "src" / "afas_shared",
    **{f"afas_{s}": ROOT / "services" / s / "src" / f"afas_{s}" for s in SERVICES},
}

# Cycles tolerated for now, each a sorted tuple of its modules, with the reason. Keep it empty.
ALLOWED_CYCLES: dict[tuple[str, ...], str] = {}


def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _load_time_statements(body: list[ast.stmt]):
    """The statements run when the module is imported: not function bodies, not `if TYPE_CHECKING:` blocks."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _load_time_statements(node.orelse)
            continue
        yield node
        for field in ("body", "orelse", "finalbody"):
            yield from _load_time_statements(getattr(node, field, None) or [])
        for handler in getattr(node, "handlers", None) or []:
            yield from _load_time_statements(handler.body)
        for case in getattr(node, "cases", None) or []:
            yield from _load_time_statements(case.body)


def _imports(module: str, path: Path, modules: set[str]) -> set[str]:
    """The modules of the same package that ``module`` imports when it is loaded."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in _load_time_statements(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                source = ".".join(anchor + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in modules:
                    found.add(f"{source}.{alias.name}")
                elif source in modules:
                    found.add(source)
    found.discard(module)
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    files = {_module_name(path, package): path for path in package.rglob("*.py")}
    return {module: _imports(module, path, set(files)) for module, path in files.items()}


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (a deep package would exceed the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def _a_cycle(component: list[str], graph: dict[str, set[str]]) -> str:
    """One path around the component, for the failure message: a → b → c → a."""
    members = set(component)
    path = [component[0]]
    while True:
        following = sorted(graph[path[-1]] & members)
        ahead = next((m for m in following if m == path[0] or m not in path), following[0])
        path.append(ahead)
        if ahead in path[:-1]:
            return " → ".join(path[path.index(ahead) :])


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_a_package_has_no_import_cycle(name):
    graph = import_graph(PACKAGES[name])
    cycles = [
        f"{', '.join(component)} (e.g. {_a_cycle(component, graph)})"
        for component in strongly_connected_components(graph)
        if len(component) > 1 and tuple(component) not in ALLOWED_CYCLES
    ]
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)


def test_the_cycle_finder_sees_a_cycle_through_a_relative_import(tmp_path):
    package = tmp_path / "afas_example"
    (package / "application").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "application" / "__init__.py").write_text("")
    (package / "application" / "groups.py").write_text("from afas_example.application import users\n")
    (package / "application" / "users.py").write_text("from . import sessions\n")
    (package / "application" / "sessions.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from afas_example.application import users\n"
        "def later():\n    from afas_example.application import users\n"
        "try:\n    from .groups import something\nexcept ImportError:\n    pass\n"
    )
    (package / "application" / "fine.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import groups\n"
    )
    (package / "application" / "uses_fine.py").write_text("import afas_example.application.fine\n")
    graph = import_graph(package)
    cycles = [c for c in strongly_connected_components(graph) if len(c) > 1]
    assert cycles == [
        ["afas_example.application.groups", "afas_example.application.sessions", "afas_example.application.users"]
    ]
    assert _a_cycle(cycles[0], graph) == (
        "afas_example.application.groups → afas_example.application.users → afas_example.application.sessions"
        " → afas_example.application.groups"
    )


def test_the_allowed_cycles_still_exist():
    """An allowed cycle that has been broken leaves the list, so the list never hides a new one."""
    found = {
        tuple(component)
        for package in PACKAGES.values()
        for component in strongly_connected_components(import_graph(package))
        if len(component) > 1
    }
    assert set(ALLOWED_CYCLES) - found == set()
