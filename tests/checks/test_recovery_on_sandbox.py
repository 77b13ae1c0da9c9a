"""`pytest -m recovery` on the sandbox: passes after a restart of the backend or of Redis, fails clearly
while the backend is down. The canary student must find its earlier answers after each restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from examday.facts.canary import STATE_FILE
from examday.sandbox.lifecycle import Sandbox
from tests.checks.conftest import at_stage
from tests.checks.runner import ChecklistRun, checklist, failed_ids

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

RECOVERY_ITEMS = {"REC-HLT-01", "POST-INT-01", "POST-INT-02", "REC-SES-01", "REC-OBS-01", "REC-OBS-02"}


@pytest.fixture(scope="module")
def exam_running(sandbox: Sandbox, baseline_dir: Path, tmp_path_factory) -> Iterator[Sandbox]:
    """Frozen (baseline taken) and answered once by the canary: the state an incident interrupts."""
    for frozen in at_stage(sandbox, "freeze"):
        freeze = checklist("freeze", tmp_path_factory.mktemp("freeze"), baseline_dir)
        assert failed_ids(freeze) == set(), freeze.stdout[-3000:]
        first = checklist("recovery", tmp_path_factory.mktemp("recovery"), baseline_dir)
        assert failed_ids(first) == set(), first.stdout[-3000:]
        yield frozen


def canary_answers(baseline_dir: Path) -> int:
    [memory] = baseline_dir.rglob(STATE_FILE)
    return sum(len(answers) for answers in json.loads(memory.read_text())["answers"].values())


def recovered(run: ChecklistRun) -> None:
    assert run.exit_code == 0 and failed_ids(run) == set(), run.stdout[-3000:]
    assert {r.item_id for r in run.items if r.outcome == "passed"} == RECOVERY_ITEMS


@pytest.mark.parametrize("service", ["backend", "redis"])
def test_recovery_passes_after_a_restart(exam_running, tmp_path, baseline_dir, service):
    saved_before = canary_answers(baseline_dir)
    platform = exam_running.platform()
    platform.require(service).restart(timeout=20)
    exam_running.wait_healthy(platform, services=(service,))
    recovered(checklist("recovery", tmp_path, baseline_dir))
    # the canary resumed the same session, found every earlier answer, and saved one more
    assert canary_answers(baseline_dir) == saved_before + 1


def test_recovery_fails_clearly_while_the_backend_is_down(exam_running, tmp_path, baseline_dir):
    exam_running.compose.stop("backend")
    try:
        run = checklist("recovery", tmp_path, baseline_dir)
    finally:
        exam_running.compose.start("backend")
        exam_running.wait_healthy(exam_running.platform(), services=("backend",))
    assert run.exit_code == 1
    assert failed_ids(run) == {"REC-HLT-01", "REC-SES-01", "REC-OBS-01", "REC-OBS-02"}, run.stdout[-3000:]
    [health] = run.by_id("REC-HLT-01")
    assert "/health answered 502" in health.message, health.message
    # the database is up: integrity is still checked, and holds
    assert {"POST-INT-01", "POST-INT-02"} <= run.ids_with("passed")
