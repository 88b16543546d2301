"""The package's imports run one way: no module imports, at run time, one that imports it back.

The graph is read from the source (ast), so it sees every import a module can make at run time:
those at module level and those deferred into function bodies alike. Imports under
``if TYPE_CHECKING:`` are left out (they never run). ``from package import name`` counts as an
import of ``package.name`` when that is a module, else of ``package``; the implicit import of a
module's parent packages is left out (Python runs a package's ``__init__`` before its modules, and
``lambda_otel_lite/__init__.py`` re-exports the public API from the modules below it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import lambda_otel_lite

PACKAGE = Path(lambda_otel_lite.__file__).resolve().parent


def _modules() -> dict[str, tuple[Path, bool]]:
    modules: dict[str, tuple[Path, bool]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        modules[".".join(parts)] = (path, is_package)
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph() -> dict[str, dict[str, bool]]:
    """Each module's imports of package modules, each marked True when only deferred (in a function)."""
    modules = _modules()
    graph: dict[str, dict[str, bool]] = {}
    for name, (path, is_package) in modules.items():
        edges: dict[str, bool] = {}
        here = name.split(".") if is_package else name.split(".")[:-1]

        def visit(
            node: ast.AST, deferred: bool, here: list[str] = here, edges: dict[str, bool] = edges, name: str = name
        ) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and _is_type_checking(child):
                    for other in child.orelse:
                        visit(ast.Module(body=[other], type_ignores=[]), deferred)
                    continue
                inner = deferred or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                targets: list[str] = []
                if isinstance(child, ast.Import):
                    targets = [alias.name for alias in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        up = here[: len(here) - (child.level - 1)]
                        base = ".".join([*up, *([child.module] if child.module else [])])
                    targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in child.names]
                elif (
                    isinstance(child, ast.Call)
                    and getattr(child.func, "attr", getattr(child.func, "id", None)) == "import_module"
                    and child.args
                    and isinstance(child.args[0], ast.Constant)
                    and isinstance(child.args[0].value, str)
                ):
                    targets = [child.args[0].value]
                for target in targets:
                    if target in modules and target != name:
                        edges[target] = edges.get(target, True) and inner
                visit(child, inner)

        visit(ast.parse(path.read_text(encoding="utf-8")), False)
        graph[name] = edges
    return graph


def circles(graph: dict[str, dict[str, bool]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_package_has_no_import_circle_deferred_imports_included() -> None:
    graph = import_graph()
    problems = [
        " -> ".join(f"{a}{' (deferred)' if graph[a].get(b) else ''}" for a, b in zip(c, [*c[1:], c[0]], strict=True))
        for c in circles(graph)
    ]
    assert circles(graph) == [], f"import circles: {problems}"


def test_the_graph_sees_deferred_imports_and_leaves_type_checking_ones_out() -> None:
    graph = import_graph()
    # deferred into a function body, to save cold-start time: still an edge
    assert graph["lambda_otel_lite._invocation"]["lambda_otel_lite.records"] is True
    assert graph["lambda_otel_lite.handler"]["lambda_otel_lite._invocation"] is False
    # records names Invocation only under TYPE_CHECKING
    assert "lambda_otel_lite._invocation" not in graph["lambda_otel_lite.records"]


def test_the_finder_reports_a_circle() -> None:
    graph = {"a": {"b": False}, "b": {"c": True}, "c": {"a": True}, "d": {"a": False}}
    assert circles(graph) == [["a", "b", "c"]]


def test_the_state_leaf_imports_nothing_above_it() -> None:
    graph = import_graph()
    allowed = {
        "lambda_otel_lite._config",
        "lambda_otel_lite._log",
        "lambda_otel_lite._resets",
        "lambda_otel_lite.semconv",
    }
    assert set(graph["lambda_otel_lite._state"]) <= allowed
    assert set(graph["lambda_otel_lite._resets"]) == set()


def test_the_lifecycle_layers_never_import_the_modules_above_them() -> None:
    graph = import_graph()
    above = {"lambda_otel_lite.telemetry", "lambda_otel_lite._invocation", "lambda_otel_lite.records"}
    for low in ("_timeouts", "_sigterm", "_extension", "_flusher", "sources", "sources.http"):
        assert set(graph[f"lambda_otel_lite.{low}"]) & above == set(), low
