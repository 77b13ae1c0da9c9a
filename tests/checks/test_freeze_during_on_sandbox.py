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
from tests.checks.runner import checklist, failed_ids, fails_exactly, fails_for, run_checklist, sandbox_config

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
WINDOW_SECONDS = 15  # the during window of these tests: the steady answering, not what came before

# fault -> the items it must fail and what each message names (None: a knock-on failure)
FREEZE_FAULTS: dict[str, dict[str, str | None]] = {
    "exam-mode-off": {"FRZ-MOD-01": "EXAM_MODE is false"},
    "exam-mode-flag-off": {"FRZ-MOD-01": "EXAM_MODE is false"},
    "freeze-updates-on": {"FRZ-MOD-02": "FREEZE_UPDATES"},
    "cron-job-enabled": {"FRZ-JOB-01": "revision_queue_regen"},
    "job-running": {"FRZ-JOB-01": "revision_queue_regen"},
    # both stop Redis: the operator's sign-in then waits on it (no breaker), the report cannot be read
    "ready-degraded": {"FRZ-EPT-02": "degraded", "FRZ-MOD-01": None},
    # the operator's sign-in waits on Redis (no breaker): the app's own report cannot be read
    "redis-down": {"FRZ-EPT-02": "redis", "FRZ-MOD-01": None},
}


# -- freeze ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def freeze_sandbox(sandbox: Sandbox) -> Iterator[Sandbox]:
    yield from at_stage(sandbox, "freeze")


def test_freeze_passes_on_a_healthy_sandbox(freeze_sandbox, tmp_path, baseline_dir):
    run = checklist("freeze", tmp_path, baseline_dir)
    assert failed_ids(run) == set(), run.stdout[-3000:]
    assert len(run.ids_with("passed")) == 9


@pytest.mark.parametrize("fault", sorted(FREEZE_FAULTS))
def test_freeze_fault_fails_exactly_its_items(fault, freeze_sandbox, tmp_path, baseline_dir):
    inject(freeze_sandbox, fault)
    try:
        run = checklist("freeze", tmp_path, baseline_dir)
    finally:
        clear(freeze_sandbox, fault)
    fails_exactly(run, FREEZE_FAULTS[fault])


def test_exam_mode_off_at_the_freeze_names_the_flag_row(sandbox, tmp_path, baseline_dir):
    """With no exam scheduled (stage normal) the freeze item fails naming the flag and the app's report."""
    for _ in at_stage(sandbox, "normal"):
        run = checklist("freeze", tmp_path, baseline_dir)
        [result] = run.by_id("FRZ-MOD-01")
        assert result.outcome == "failed"
        assert "system_flags row EXAM_MODE is false" in result.message
        assert "the application reports exam mode false" in result.message


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
    assert len(run.ids_with("passed")) == 10  # with FRZ-MOD-02 and FRZ-JOB-01, which hold while live too


@pytest.mark.parametrize("fault, fails", [
    ("exam-mode-off", {"DUR-DRF-01": "changed since the freeze"}),
    ("exam-mode-flag-off", {"DUR-DRF-01": "changed since the freeze"}),
    ("freeze-updates-on", {"FRZ-MOD-02": "FREEZE_UPDATES", "DUR-DRF-01": "changed since the freeze"}),
    ("cron-job-enabled", {"FRZ-JOB-01": "revision_queue_regen"}),
    ("job-running", {"FRZ-JOB-01": "revision_queue_regen"}),
    ("redis-down", {"DUR-RED-01": "redis"}),
])
def test_during_fault_fails_exactly_its_items(fault, fails, during_sandbox, tmp_path, own_baseline):
    inject(during_sandbox, fault)
    try:
        run = checklist("during", tmp_path, own_baseline, window_minutes=WINDOW_SECONDS / 60)
    finally:
        clear(during_sandbox, fault)
    fails_exactly(run, fails)
    if fault == "redis-down":  # the triage names the cause first, with the runbook's action
        triage = triaged(run, "DUR-RED-01", "Redis Failure")
        assert triage["issue"] == "Redis Failure" and "auto-recover" in triage["issues"][0]["action"]


@pytest.fixture
def own_baseline(during_sandbox: Sandbox, tmp_path: Path) -> Path:
    """A freeze baseline of the test's own: clearing an earlier flag fault set the flag again, which
    DUR-DRF-01 rightly reports as drift against the module's baseline."""
    baseline = tmp_path / "baseline"
    (tmp_path / "freeze").mkdir()
    assert failed_ids(checklist("freeze", tmp_path / "freeze", baseline)) == set()
    return baseline


def during_a_window_of(sandbox, fault: str, tmp_path, baseline_dir):
    """The during phase after a window's worth of `fault` under load; the window is left to pass after."""
    inject(sandbox, fault)
    try:
        time.sleep(WINDOW_SECONDS + 5)
        return checklist("during", tmp_path, baseline_dir, window_minutes=WINDOW_SECONDS / 60)
    finally:
        clear(sandbox, fault)
        time.sleep(WINDOW_SECONDS + 5)  # so the next test judges a window without it


def test_handler_crashes_fail_the_error_rate_naming_the_crashes(during_sandbox, tmp_path, own_baseline):
    run = during_a_window_of(during_sandbox, "handler-crashes", tmp_path, own_baseline)
    # the fault recreates the backend with its switch in the environment: a change since the freeze
    fails_exactly(run, {"DUR-ERR-01": "crashed (status_code null)", "DUR-DRF-01": "SANDBOX_FAULT_CRASH_SHARE"})
    triage = triaged(run, "DUR-ERR-01", "High Error Rate")
    logs = found_by(triage, "logs")
    assert logs["crashed"] > 0 and any(sample["request_id"] for sample in logs["server_error_samples"])
    assert "request IDs" in issue(triage, "High Error Rate")["because"][0]
    assert found_by(triage, "redis")["ping_ms"] >= 0 and found_by(triage, "database")["exit_code"] == 0


def test_a_slow_endpoint_under_load_fails_the_latency_item(during_sandbox, tmp_path, own_baseline):
    run = during_a_window_of(during_sandbox, "slow-endpoint", tmp_path, own_baseline)
    # the overall p95 and the answer route's own target both see it
    fails_exactly(run, {"DUR-LAT-01": "p95 is", "DUR-LAT-03": "POST /v1/sessions/{session_id}/answer"})
    # High Latency's steps: the pool against its capacity, the slow statements, the containers' resources
    triage = triaged(run, "DUR-LAT-01", "High Latency")
    assert found_by(triage, "pool")["capacity"] > 0
    assert found_by(triage, "logs")["slowest_sql"], "no slow_sql statement found by the triage"
    assert "exam_platform_backend" in found_by(triage, "resources")["containers"]
    assert any("slow_sql" in why for why in issue(triage, "High Latency")["because"])


def test_requests_over_the_very_slow_limit_fail_the_slow_request_item(during_sandbox, tmp_path, baseline_dir):
    # The students' real requests, judged against a limit every one of them breaks.
    config = sandbox_config(tmp_path, baseline={"dir": str(baseline_dir)},
                            logs={"window_minutes": WINDOW_SECONDS / 60, "slow_ms": 0.5, "very_slow_ms": 1},
                            thresholds={"very_slow_fraction": 0})
    run = run_checklist("during", tmp_path, f"--target={config}", "-k", "very_slow")
    fails_for(run, "DUR-LAT-02", "requests took over 1 ms")


def test_pool_pressure_fails_the_pool_item(during_sandbox, tmp_path, own_baseline):
    inject(during_sandbox, "pool-pressure")
    try:
        deadline = time.monotonic() + 20
        while backend_connections() < 55 and time.monotonic() < deadline:
            time.sleep(0.5)
        # The burst's own logins (CPU-bound, all at once) leave the window before the check;
        # the requests stuck on the lock have not ended, and the pool's 30 s timeout is not reached.
        time.sleep(WINDOW_SECONDS + 1)
        run = checklist("during", tmp_path, own_baseline, window_minutes=WINDOW_SECONDS / 60)
    finally:
        clear(during_sandbox, "pool-pressure")
    # While every pooled connection waits on the lock, few or no requests end: during the live exam the
    # traffic items may see the silence the students see (knock-ons; a request or two that ended in the
    # window, seen in CI, lets them pass). The pool item names the cause either way.
    fails_exactly(run, {"DUR-SYS-01": "pooled connections"},
                  may_also_fail=frozenset({"DUR-LAT-01", "DUR-ERR-01", "DUR-LAT-02", "DUR-LAT-03"}))
    # whichever latency item failed, its triage shows the pool used up, naming High Latency
    for item_id in {"DUR-SYS-01", "DUR-LAT-01"} & failed_ids(run):
        triage = triaged(run, item_id, "High Latency")
        assert any(why.startswith("pool ") for why in issue(triage, "High Latency")["because"]), triage["issues"]
        assert found_by(triage, "pool")["pool_usage"] >= 0.8 and found_by(triage, "resources")["containers"]


def triaged(run, item_id: str, issue_name: str) -> dict:
    """The failed item's triage, which names `issue_name` among the Common Issues it points to."""
    [result] = [r for r in run.by_id(item_id) if r.outcome == "failed"]
    assert result.triage is not None, f"{item_id} failed without a triage"
    assert issue_name in [match["name"] for match in result.triage["issues"]], result.triage["issues"]
    assert result.triage["seconds"] <= result.triage["budget_seconds"] + 15  # a step past the budget ends on its own timeout
    return result.triage


def found_by(triage: dict, step: str) -> dict:
    [found] = [s for s in triage["steps"] if s["name"] == step]
    assert found["problem"] is None, found
    return found["found"]


def issue(triage: dict, name: str) -> dict:
    return next(match for match in triage["issues"] if match["name"] == name)
