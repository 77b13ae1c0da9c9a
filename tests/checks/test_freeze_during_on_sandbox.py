"""`pytest -m freeze` and `-m during` on the sandbox: pass healthy; each fault fails exactly its items."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from examday.sandbox.faults import clear, inject
from examday.sandbox.lifecycle import Sandbox
from tests.checks.conftest import at_stage
from tests.checks.runner import checklist, failed_ids

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
WINDOW_SECONDS = 15  # the during window of these tests: the steady answering, not what came before

FREEZE_FAULTS = {
    "exam-mode-off": {"FRZ-MOD-01"},
    "worker-running": {"FRZ-JOB-01"},
    "ready-degraded": {"FRZ-EPT-02"},
    "redis-down": {"FRZ-EPT-02"},
}


# -- freeze ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def freeze_sandbox(sandbox: Sandbox) -> Iterator[Sandbox]:
    yield from at_stage(sandbox, "freeze")


def test_freeze_passes_on_a_healthy_sandbox(freeze_sandbox, tmp_path, baseline_dir):
    run = checklist("freeze", tmp_path, baseline_dir)
    assert failed_ids(run) == set(), run.stdout[-3000:]
    assert len(run.ids_with("passed")) == 8


@pytest.mark.parametrize("fault", sorted(FREEZE_FAULTS))
def test_freeze_fault_fails_exactly_its_items(fault, freeze_sandbox, tmp_path, baseline_dir):
    inject(freeze_sandbox, fault)
    try:
        run = checklist("freeze", tmp_path, baseline_dir)
    finally:
        clear(freeze_sandbox, fault)
    assert failed_ids(run) == FREEZE_FAULTS[fault], run.stdout[-4000:]


def test_exam_mode_set_but_not_applied_says_restart(sandbox, tmp_path, baseline_dir):
    """The day before (preexam stage) the freeze item fails with the runbook's remedy."""
    for _ in at_stage(sandbox, "preexam"):
        run = checklist("freeze", tmp_path, baseline_dir)
        [result] = run.by_id("FRZ-MOD-01")
        assert result.outcome == "failed" and "restart the backend to apply" in result.message


# -- during ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def during_sandbox(sandbox: Sandbox, baseline_dir: Path, tmp_path_factory) -> Iterator[Sandbox]:
    for during in at_stage(sandbox, "during"):
        # the freeze phase takes the baseline the during phase compares against
        freeze = checklist("freeze", tmp_path_factory.mktemp("freeze"), baseline_dir)
        assert failed_ids(freeze) == set(), freeze.stdout[-3000:]
        # The students' opening burst of logins (PBKDF2, CPU-bound on 2 cores) is slow on purpose;
        # the items judge the steady answering after it: one window later.
        time.sleep(WINDOW_SECONDS + 5)
        yield during


def backend_connections() -> int:
    query = ("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'exam_platform_backend'")
    done = subprocess.run(["docker", "exec", "exam_platform_postgres", "psql", "-U", "exam_user", "-d",
                           "exam_platform", "-Atc", query], capture_output=True, text=True, timeout=20)
    return int(done.stdout.strip() or 0)


def test_during_passes_on_a_healthy_sandbox(during_sandbox, tmp_path, baseline_dir):
    run = checklist("during", tmp_path, baseline_dir, window_minutes=WINDOW_SECONDS / 60)
    assert failed_ids(run) == set(), run.stdout[-3000:]
    assert len(run.ids_with("passed")) == 7


@pytest.mark.parametrize("fault, fails", [
    ("exam-mode-off", {"DUR-DRF-01"}),
    ("worker-running", {"DUR-DRF-01"}),
    ("redis-down", {"DUR-RED-01"}),
])
def test_during_fault_fails_exactly_its_items(fault, fails, during_sandbox, tmp_path, baseline_dir):
    inject(during_sandbox, fault)
    try:
        run = checklist("during", tmp_path, baseline_dir, window_minutes=WINDOW_SECONDS / 60)
    finally:
        clear(during_sandbox, fault)
    assert failed_ids(run) == fails, run.stdout[-4000:]



def test_a_slow_endpoint_under_load_fails_the_latency_item(during_sandbox, tmp_path, baseline_dir):
    inject(during_sandbox, "slow-endpoint")
    try:
        time.sleep(WINDOW_SECONDS + 5)  # a window's worth of slow answers
        run = checklist("during", tmp_path, baseline_dir, window_minutes=WINDOW_SECONDS / 60)
    finally:
        clear(during_sandbox, "slow-endpoint")
    assert failed_ids(run) == {"DUR-LAT-01"}, run.stdout[-4000:]
    [result] = run.by_id("DUR-LAT-01")
    assert "p95 is" in result.message
    time.sleep(WINDOW_SECONDS + 5)  # let the slow window pass before the next test


def test_pool_pressure_fails_the_pool_item(during_sandbox, tmp_path, baseline_dir):
    inject(during_sandbox, "pool-pressure")
    try:
        deadline = time.monotonic() + 20
        while backend_connections() < 55 and time.monotonic() < deadline:
            time.sleep(0.5)
        # The burst's own logins (CPU-bound, all at once) leave the window before the check;
        # the requests stuck on the lock have not ended, and the pool's 30 s timeout is not reached.
        time.sleep(WINDOW_SECONDS + 1)
        run = checklist("during", tmp_path, baseline_dir, window_minutes=WINDOW_SECONDS / 60)
    finally:
        clear(during_sandbox, "pool-pressure")
    assert failed_ids(run) == {"DUR-SYS-01"}, run.stdout[-4000:]
    [result] = run.by_id("DUR-SYS-01")
    assert "pooled connections" in result.message
