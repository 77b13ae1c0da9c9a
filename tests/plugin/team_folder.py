"""A team's folder outside the repository: its target, one item of its own, and pytest run from there
the way an operator runs it (a subprocess, the option values after a space)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import tomli_w

REPO = Path(__file__).resolve().parents[2]
CHECKS = REPO / "checks"
TEAM_ID = "TEAM-LOC-01"
TEAM_ITEM = f'''"""The team's own item, written with the same @item and fixtures as examday's checklist."""

import pytest

from examday.checklist import item


@item("{TEAM_ID}", "The platform's API answers its health check", remediation="ask the platform team")
@pytest.mark.preexam
def test_api_health_answers(api, evidence):
    status = api.health().status
    evidence.record(status=status)
    assert status == 200, f"health answered {{status}}"
'''
# examples/exam-platform.toml reads its passwords from these; values only make the target load.
EXAMPLE_PASSWORDS = {"EXAMDAY_OPERATOR_PASSWORD": "unused", "EXAMDAY_CANARY_PASSWORD": "unused",
                     "EXAMDAY_STAGING_BASIC_PASSWORD": "unused"}
# A dead API: items fail fast, naming it (as tests/checks/test_plugin.py's MINIMAL_CONFIG).
UNREACHABLE_TARGET = '[target]\nname = "unreachable"\nkind = "sandbox"\n\n[api]\nbase_url = "http://127.0.0.1:9"\n'
CATALOG_ID = re.compile(r"^\W*([A-Z]{3,4}-[A-Z]{3}-\d{2})\s", re.MULTILINE)  # a catalog row's first cell


def team_folder(root: Path) -> Path:
    """An empty folder but for the team's item file."""
    folder = root / "team"
    folder.mkdir(parents=True)
    (folder / "test_team_items.py").write_text(TEAM_ITEM, encoding="utf-8")
    return folder


def example_target(folder: Path) -> Path:
    """examples/exam-platform.toml, loadable here: its deployment's compose and env files made empty
    ones in `folder` (enough to collect: nothing reads them before an item runs)."""
    data = tomllib.loads((REPO / "examples" / "exam-platform.toml").read_text(encoding="utf-8"))
    deployment = folder / "deployment"
    deployment.mkdir(parents=True, exist_ok=True)
    docker = data["docker"]
    docker["compose_files"] = [_empty(deployment / Path(p).name) for p in docker["compose_files"]]
    docker["compose_env_files"] = [_empty(deployment / Path(p).name) for p in docker["compose_env_files"]]
    path = folder / "exam-platform.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def _empty(path: Path) -> str:
    path.write_text("", encoding="utf-8")
    return str(path)


def run_pytest(cwd: Path, *args: str, python: Path | str = sys.executable,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m pytest ARGS` in `cwd`, with nothing of this run's environment that names a target."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("EXAMDAY_CONFIG", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    env.update(EXAMPLE_PASSWORDS, COLUMNS="200", NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([str(python), "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, env=env)


def catalog_ids(done: subprocess.CompletedProcess[str]) -> set[str]:
    """The item IDs an `--examday-catalog` run listed."""
    return set(CATALOG_ID.findall(done.stdout))


def bundled_ids(marker: str, target: Path) -> set[str]:
    """The IDs of the repository's checklist for `marker`, from a catalog run in the repository."""
    done = run_pytest(REPO, str(CHECKS), "--rootdir", str(REPO), "-m", marker, "--examday-catalog",
                      "--target", str(target))
    assert done.returncode == 5, done.stdout + done.stderr  # the catalog deselects everything
    return catalog_ids(done)


def record_items(reports_dir: Path) -> dict[str, list[str]]:
    """ID -> outcomes, from the one record (results.json) written under `reports_dir`."""
    [results] = sorted(reports_dir.glob("*/*/*/results.json"))
    items: dict[str, list[str]] = {}
    for entry in json.loads(results.read_text(encoding="utf-8"))["items"]:
        items.setdefault(entry["id"], []).append(entry["outcome"])
    return items
