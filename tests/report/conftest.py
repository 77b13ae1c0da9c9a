"""Fixtures for the record's tests: synthetic checklists in tmp and SSH keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.helpers import SyntheticChecklist, make_ssh_key


@pytest.fixture
def synthetic(tmp_path: Path) -> SyntheticChecklist:
    return SyntheticChecklist(tmp_path / "site")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two signers' ed25519 keys: the operator's and a reviewer's."""
    folder = tmp_path_factory.mktemp("keys")
    return {"dana": make_ssh_key(folder, "dana", "dana@exam-board"),
            "sam": make_ssh_key(folder, "sam", "sam@exam-board")}
