"""The layers run one way: no module of src/examday/ imports, even late or for typing only, a module
that imports it back.

The graph is read from the code (every `import` and `from ... import` anywhere in a module:
top level, inside functions, under TYPE_CHECKING), so a cycle hidden by a late import is found
as well. Every module is also imported, so one that cannot be imported on its own fails here.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "examday"


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    modules = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_names(module: str, path: Path, node: ast.Import | ast.ImportFrom,
                   modules: dict[str, Path]) -> set[str]:
    """The package's modules one import statement needs: `from x import y` needs module x.y when
    there is one, and x itself (its __init__) for any other name."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:  # relative: from the module's own package upwards
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    submodules = {f"{base}.{alias.name}" for alias in node.names} & set(modules)
    names_in_base = len(submodules) < len(node.names)
    return submodules | ({base} if names_in_base else set())


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    modules = module_files()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                targets |= {name for name in imported_names(module, path, node, modules) if name in modules}
        graph[module] = targets - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
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
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_a_late_import_counts_as_an_edge(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from examday.report import verdict\n")
    [node] = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ImportFrom)]
    assert imported_names("examday.m", path, node, module_files()) == {"examday.report.verdict"}


def test_no_module_imports_one_that_imports_it_back():
    found = cycles(import_graph())
    assert not found, "import cycles (move what both need into a module of its own): " + "; ".join(
        " <-> ".join(component) for component in found)


# Locust's side of the Locust engine: importing locust monkey-patches the standard library with gevent,
# which must never happen in this process (tests/rehearsal/test_locust_no_gevent.py); imported apart.
GEVENT_MODULES = {"examday.rehearsal.locust.locustfile", "examday.rehearsal.locust.nodes",
                  "examday.rehearsal.locust.student_user"}


@pytest.mark.parametrize("module", sorted(set(module_files()) - GEVENT_MODULES))
def test_every_module_imports_on_its_own(module):
    importlib.import_module(module)


@pytest.mark.parametrize("module", sorted(GEVENT_MODULES))
def test_every_gevent_module_imports_on_its_own_in_a_process_of_its_own(module):
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, timeout=60, capture_output=True)
