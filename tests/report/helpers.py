"""Running checklists and the examday command the way an operator does, for the record's tests."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMDAY = Path(sys.executable).parent / "examday"
PLAIN_ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", "PYTHONDONTWRITEBYTECODE": "1"}

SYNTHETIC_CONFIG = """
[target]
name = "synthetic"
kind = "staging"

[api]
base_url = "http://127.0.0.1:9"
"""

EXAM_SECTION = """
[exam]
id = "EXAM-42"
title = "Mathematics, paper 1"
starts_at = 2030-06-01T09:00:00Z
ends_at = 2030-06-01T12:00:00Z
"""


def examday(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXAMDAY), *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env=PLAIN_ENV)


def records_under(reports_dir: Path) -> list[Path]:
    """Every complete record folder (reports/<target>/<date>/<run>), oldest first."""
    return sorted(p for p in reports_dir.glob("*/*/*") if p.is_dir() and not p.name.startswith("."))


class SyntheticChecklist:
    """A tiny checklist in a tmp folder: its own examday.toml, checks/, waivers/ and reports/."""

    def __init__(self, root: Path, config: str = SYNTHETIC_CONFIG) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "conftest.py").write_text('pytest_plugins = ["examday.plugin"]\n')
        (root / "pytest.ini").write_text(
            "[pytest]\naddopts = --strict-markers -p no:hypothesispytest\nmarkers =\n"
            + "".join(f"    {m}: {m}\n" for m in ("preexam", "freeze", "during", "postexam", "recovery",
                                                     "rehearsal", "manual")))
        (root / "examday.toml").write_text(config)
        (root / "checks").mkdir()

    def items(self, body: str) -> SyntheticChecklist:
        header = "import pytest\nfrom examday.checklist import Impact, item\n\n"
        (self.root / "checks" / "test_items.py").write_text(header + textwrap.dedent(body))
        return self

    def waivers(self, text: str, name: str = "synthetic.toml") -> Path:
        path = self.root / "waivers" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pytest", "checks", "-p", "no:cacheprovider", "-q", *args],
                              cwd=self.root, capture_output=True, text=True, timeout=120, env=PLAIN_ENV)

    @property
    def records(self) -> list[Path]:
        return records_under(self.root / "reports")


def waiver_toml(item_id: str, expires: dt.datetime, at: dt.datetime | None = None,
                justification: str = "accepted by the exam board for this sitting") -> str:
    at = at or dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    return (f'[[waiver]]\nitem = "{item_id}"\nby = "Dana Okafor"\nat = {at:%Y-%m-%dT%H:%M:%SZ}\n'
            f'justification = "{justification}"\nevidence = {{ url = "https://tickets.example/OPS-1" }}\n'
            f"expires = {expires:%Y-%m-%dT%H:%M:%SZ}\n")


def make_ssh_key(folder: Path, name: str, comment: str) -> Path:
    """A fresh ed25519 key pair without passphrase; returns the private key's path."""
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)],
                   check=True, capture_output=True, timeout=30)
    return key


def allowed_signers(path: Path, *entries: tuple[str, Path]) -> Path:
    """An ssh allowed_signers file: one `principal key-type key` line per (principal, private key)."""
    lines = []
    for principal, key in entries:
        key_type, key_data = Path(f"{key}.pub").read_text().split()[:2]
        lines.append(f"{principal} {key_type} {key_data}\n")
    path.write_text("".join(lines))
    return path


def planted_secrets(paths: Any) -> dict[str, str]:
    """The sandbox's secrets that must appear in no file examday writes: name -> value."""
    found = {"postgres password": paths.postgres_password.read_text().rstrip("\r\n")}
    # production's secrets (the backend and the exporters read them) and the staging twin's own
    for env_file in (paths.secrets_env, paths.staging_secrets_env):
        for line in env_file.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                found[f"{env_file.name} {key}"] = value
    return found


def files_holding(folder: Path, planted: dict[str, str]) -> dict[str, list[str]]:
    """Each file under `folder` that holds a planted value, with the names of those it holds."""
    leaks = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        names = [name for name, value in planted.items() if value in text]
        if names:
            leaks[str(path.relative_to(folder))] = names
    return leaks

