"""checks/ only asserts: a check gets facts from examday.facts (and probes through fixtures), records
evidence and asserts. It imports no probe, no client library and no parser, and splits no output:
reading and judging live in src/examday, where they are unit-tested without a platform."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CHECKS = Path(__file__).resolve().parents[1] / "checks"
# What a check would need to open a connection or read raw output itself.
FORBIDDEN_MODULES = ("examday.probes", "httpx", "requests", "socket", "ssl", "dns", "psycopg", "redis", "docker",
                     "subprocess", "json", "re", "shlex", "csv")
PARSING_CALLS = ("splitlines", "split", "partition", "rpartition", "loads")


def imported_modules(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN_MODULES)


def parsing_calls(tree: ast.Module) -> list[str]:
    return [f"line {node.lineno}: .{node.func.attr}()" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in PARSING_CALLS]


@pytest.mark.parametrize("path", sorted(CHECKS.glob("*.py")), ids=lambda p: p.name)
def test_a_check_module_neither_connects_nor_parses(path):
    tree = ast.parse(path.read_text(), str(path))
    imports = sorted(m for m in imported_modules(tree) if forbidden(m))
    assert not imports, f"{path.name} imports {imports}: take a fact from examday.facts instead"
    calls = parsing_calls(tree)
    assert not calls, f"{path.name} parses output itself ({', '.join(calls)}): move it into a fact"


def test_the_rule_catches_a_check_that_parses_df_itself():
    tree = ast.parse("from examday.probes.docker import DockerProbe\n"
                     "def test_x(out):\n    fields = out.strip().splitlines()[-1].split()\n")
    assert [m for m in imported_modules(tree) if forbidden(m)] == ["examday.probes.docker"]
    assert len(parsing_calls(tree)) == 2
