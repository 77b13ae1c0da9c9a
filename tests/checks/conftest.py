"""Fixtures for tests that run the checklist against the sandbox at a given stage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from examday.sandbox.faults import clear
from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.rate_limits import forget_sign_in_limits
from examday.sandbox.stages import apply_stage


def at_stage(sandbox: Sandbox, stage: str) -> Iterator[Sandbox]:
    """Walk the sandbox to `stage` with no fault active; restore the previous stage afterwards."""
    previous = sandbox.state.stage()
    clear(sandbox)
    apply_stage(sandbox, stage)
    try:
        yield sandbox
    finally:
        clear(sandbox)
        apply_stage(sandbox, previous)


@pytest.fixture
def sign_in_limits_forgotten(sandbox: Sandbox) -> None:
    """For modules whose runs sign in a few seconds apart (`pytest.mark.usefixtures`): each test starts
    with the counters forgotten, so no test depends on how fast the ones before it ran."""
    forget_sign_in_limits(sandbox)


@pytest.fixture(scope="module")
def baseline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Baselines of these tests stay out of the repository's reports/."""
    return tmp_path_factory.mktemp("baselines")


@pytest.fixture(scope="module")
def preexam_sandbox(sandbox: Sandbox) -> Iterator[Sandbox]:
    yield from at_stage(sandbox, "preexam")


COMMUNICATION_ITEMS = ("PRE-COM-01", "PRE-COM-02", "PRE-COM-03", "PRE-COM-04")


@pytest.fixture
def all_attested(tmp_path: Path) -> Path:
    """An attestation file in which every communication item is attested."""
    from examday.attestations import attest_items

    return attest_items(tmp_path / "attestations.toml", COMMUNICATION_ITEMS, "Test Operator", "done for the test")
