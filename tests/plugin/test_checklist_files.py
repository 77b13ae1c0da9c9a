"""Where the bundled checklist is found: the wheel's copy, else the checkout's checks/; the CLI's
pytest runs start from it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from examday import checklist_files
from examday.checklist_files import ChecklistMissing, checklist_dir, checklist_rootdir, pytest_args, sql_dir
from examday.facts.invariants import load_invariants
from examday.watch.rounds import RoundOptions
from tests.plugin.team_folder import CHECKS, REPO


def test_in_a_checkout_the_checklist_is_the_repositorys_checks():
    assert checklist_dir() == CHECKS
    assert checklist_rootdir() == REPO  # its pyproject.toml's pytest settings apply
    assert {i.name for i in load_invariants()} == {p.stem for p in sql_dir().glob("*.sql")} != set()


def test_the_wheels_copy_comes_first_and_is_its_own_rootdir(tmp_path, monkeypatch):
    packaged = tmp_path / "examday" / checklist_files.PACKAGED_NAME
    packaged.mkdir(parents=True)
    monkeypatch.setattr(checklist_files, "_PACKAGE", tmp_path / "examday")
    assert checklist_dir() == packaged
    assert checklist_rootdir() == packaged
    assert pytest_args() == [str(packaged), "--rootdir", str(packaged)]


def test_an_install_without_its_checklist_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(checklist_files, "_PACKAGE", tmp_path / "examday")
    monkeypatch.setattr(checklist_files, "_SOURCE_ROOT", tmp_path)
    with pytest.raises(ChecklistMissing, match="examday's checklist is missing") as raised:
        checklist_dir()
    assert "reinstall examday from a wheel" in str(raised.value)


def test_a_watch_round_runs_the_bundled_checklist_with_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the round runs in the checklist's folder: a relative path would miss
    argv = RoundOptions(target=Path("examday.toml"), sign_key=Path("key"), operator="Dana").pytest_argv(Path("r"))
    assert argv[:5] == [sys.executable, "-m", "pytest", str(CHECKS), "--rootdir"]
    assert argv[5] == str(REPO)
    for flag, value in (("--target", "examday.toml"), ("--reports-dir", "r"), ("--sign-key", "key")):
        assert argv[argv.index(flag) + 1] == str(tmp_path / value)
    assert argv[argv.index("--operator") + 1] == "Dana"
