"""`pytest -m preexam` against the sandbox the day before: it passes healthy and each fault fails its item."""

from __future__ import annotations

from pathlib import Path

import pytest

from examday.sandbox.faults import clear, inject
from tests.checks.conftest import COMMUNICATION_ITEMS
from tests.checks.runner import fails_exactly, run_checklist

# Their runs sign in seconds apart: the platform allows 5 sign-ins a minute per address.
pytestmark = [pytest.mark.sandbox, pytest.mark.slow, pytest.mark.usefixtures("sign_in_limits_forgotten")]

# Every optional item has something to check on the sandbox: only the attested ones may skip.
NOT_CONFIGURED_ON_SANDBOX: set[str] = set()

# fault -> the items it must fail (and nothing else may fail), each with what its message must name
# (None: a knock-on failure, not the item's own cause).
FAULT_FAILS: dict[str, dict[str, str | None]] = {
    "exam-mode-off": {"PRE-CFG-01": "EXAM_MODE is false"},
    "cron-job-enabled": {"PRE-CFG-03": "revision_queue_regen"},
    # the operator's sign-in waits on Redis (no breaker): the app's own report cannot be read
    "redis-down": {"PRE-INF-01": "exam_platform_redis", "PRE-MON-03": "Prometheus targets down", "PRE-CFG-02": None},
    "stale-backup": {"PRE-INF-03": "h old"},
    "cert-expiring": {"PRE-INF-05": "certificate expires"},
    "dns-wrong": {"PRE-INF-06": "127.0.0.2"},
    "no-limits": {"PRE-CFG-06": "containers without limits"},
    "no-log-rotation": {"PRE-MON-02": "logs neither rotated nor shipped"},
    "no-proxy-headers": {"PRE-CFG-05": "bucket"},
    "job-in-backend": {"PRE-CFG-04": "revision_queue_regen"},
    "flag-cache-stuck": {"PRE-CFG-02": "reports exam mode false but its flag says true"},
    "frontend-crashed": {"PRE-INF-02": "exam_platform_frontend"},
    "previous-image-gone": {"PRE-CAP-03": "exam_platform_frontend"},
}  # the monitoring faults: tests/checks/test_monitoring_on_sandbox.py


def test_healthy_sandbox_passes_with_communication_attested(preexam_sandbox, all_attested: Path, tmp_path):
    run = run_checklist("preexam", tmp_path, "--attestations", str(all_attested))
    assert run.ids_with("failed") == set(), run.stdout[-3000:]
    assert run.ids_with("error") == set(), run.stdout[-3000:]
    assert run.ids_with("skipped") == NOT_CONFIGURED_ON_SANDBOX
    assert set(COMMUNICATION_ITEMS) <= run.ids_with("passed")
    assert run.exit_code == 0


def test_unattested_communication_items_are_skipped_saying_how_to_attest(preexam_sandbox, tmp_path):
    run = run_checklist("preexam", tmp_path, "--attestations", str(tmp_path / "none.toml"))
    for item_id in COMMUNICATION_ITEMS:
        [result] = run.by_id(item_id)
        assert result.outcome == "skipped"
        assert f"examday attest {item_id}" in result.message
    assert run.ids_with("failed") == set(), run.stdout[-3000:]


def test_strict_attestations_fail_unattested_items(preexam_sandbox, tmp_path):
    run = run_checklist("preexam and manual", tmp_path, "--attestations", str(tmp_path / "none.toml"),
                        "--strict-attestations")
    # pytest reports a failure raised while preparing an item (its attestation) as an error
    assert run.ids_with("failed") | run.ids_with("error") == set(COMMUNICATION_ITEMS)
    assert run.exit_code == 1


@pytest.mark.parametrize("fault", sorted(FAULT_FAILS))
def test_fault_fails_exactly_its_items(fault: str, preexam_sandbox, all_attested: Path, tmp_path):
    inject(preexam_sandbox, fault)
    try:
        run = run_checklist("preexam", tmp_path, "--attestations", str(all_attested))
    finally:
        clear(preexam_sandbox, fault)
    fails_exactly(run, FAULT_FAILS[fault])
    for item_id in FAULT_FAILS[fault]:
        failures = [r for r in run.by_id(item_id) if r.outcome == "failed"]
        assert failures and all("remediation:" in r.message for r in failures)
