"""Items no fault table reaches, each made to fail for its own cause on the running sandbox.

A state of the target, not a fault of the sandbox: a limit the measured value breaks (the
measurement is real), a reading pointed where the thing it looks for is absent (a database
without the platform's schema, a proxy API nobody serves), a wrong password, a corrupt newest
dump, a stopped staging backend. Each item runs alone (`-k`), and
its message must name the cause (tests/seen_failing.py notes it for the coverage test).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from examday.sandbox.lifecycle import Sandbox
from tests.checks.runner import ChecklistRun, fails_for, run_checklist, sandbox_config

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
STATE = Path(__file__).resolve().parents[2] / "sandbox" / ".state"


def run_item(tmp_path: Path, phase: str, test_name: str, **overrides: dict) -> ChecklistRun:
    config = sandbox_config(tmp_path, baseline={"dir": str(tmp_path / "baselines")}, **overrides)
    return run_checklist(phase, tmp_path, f"--target={config}", "-k", test_name)


# item, phase, the check's test, the state (config overrides), what the message must name
STATES = [
    ("PRE-CAP-01", "preexam", "test_connection_capacity_fits_max_connections",
     {"thresholds": {"connection_headroom": 0.99}}, "with 99% headroom"),
    ("PRE-CAP-02", "preexam", "test_database_volume_has_free_space",
     {"thresholds": {"disk_free_pct": 100}}, "free on the volume"),
    ("FRZ-SYS-01", "freeze", "test_database_connections_under_capacity",
     {"thresholds": {"connection_headroom": 0.99}}, "does not fit max_connections"),
    ("FRZ-SYS-02", "freeze", "test_container_resources_within_limits",
     {"thresholds": {"mem_pct": 0.001}}, "of its limit >"),
    ("DUR-SYS-02", "during", "test_container_cpu_and_memory_under_thresholds",
     {"thresholds": {"mem_pct": 0.001}}, "of its limit >"),
    ("FRZ-SYS-03", "freeze", "test_proxy_routes_healthy",
     {"proxy": {"expected_routers": ["exam_platform_nowhere:8000"]}}, "expected upstreams missing"),
    ("PRE-MON-06", "preexam", "test_alert_rules_loaded",
     {"prometheus": {"expected_alerts": ["HighRequestLatencyP95", "ExamdayNoSuchRule"]}},
     "alert rules not loaded: ExamdayNoSuchRule"),
    # the backend's logs read from a container that logs no request: our request is not traced
    ("PRE-MON-01", "preexam", "test_backend_logs_structured_requests_with_ids",
     {"logs": {"container": "frontend"}}, "did not appear in the backend's logs"),
    ("REC-OBS-01", "recovery", "test_request_id_traceable_in_logs",
     {"logs": {"container": "frontend"}}, "did not appear in the backend's logs"),
    # the baseline read from a database without the platform's schema (a wrong [postgres] dbname)
    ("FRZ-SYS-04", "freeze", "test_freeze_baseline_taken", {"postgres": {"dbname": "postgres"}},
     "alembic_version"),
    # the proxy's admin API where nothing listens: the bundle's proxy section cannot be captured
    ("POST-MET-01", "postexam", "test_final_metrics_captured", {"proxy": {"admin_url": "http://127.0.0.1:9"}},
     "not captured: proxy"),
    # Prometheus' own /metrics: samples, but none counting requests to the backend
    ("REC-OBS-02", "recovery", "test_metrics_count_a_request_of_ours",
     {"api": {"metrics_base_url": "http://127.0.0.1:9090"}}, "the metrics do not count requests"),
]


@pytest.mark.parametrize("item_id, phase, test_name, overrides, cause", STATES, ids=[s[0] for s in STATES])
def test_the_item_fails_naming_its_cause(sandbox, tmp_path, item_id, phase, test_name, overrides, cause):
    run = run_item(tmp_path, phase, test_name, **overrides)
    fails_for(run, item_id, cause)
    assert {r.item_id for r in run.items} == {item_id}, run.stdout[-2000:]


def test_a_wrong_dashboard_password_fails_the_dashboard_item(sandbox, tmp_path):
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-the-password\n")
    run = run_item(tmp_path, "preexam", "test_dashboard_reachable", dashboard={"password_file": str(wrong)})
    fails_for(run, "PRE-MON-05", "answered 401")


@pytest.fixture
def corrupt_newest_dump(sandbox: Sandbox) -> Iterator[str]:
    """A newest dump that pg_restore cannot read (what a backup killed mid-write leaves)."""
    path = "/backups/backup_29991231_235959.dump"
    platform = sandbox.platform()
    platform.exec_checked("ops", ["sh", "-c", f"printf 'PGDMP-not-really' > {path}"])
    try:
        yield path
    finally:
        platform.exec_checked("ops", ["rm", "-f", path])


def test_a_corrupt_newest_dump_fails_the_readable_backup_item(corrupt_newest_dump, tmp_path):
    run = run_item(tmp_path, "preexam", "test_newest_backup_is_readable_by_pg_restore")
    fails_for(run, "PRE-INF-04", f"pg_restore --list cannot read {corrupt_newest_dump}")


def test_a_stopped_staging_backend_fails_the_staging_item(sandbox, tmp_path):
    sandbox.compose.stop("backend_staging")
    try:
        run = run_item(tmp_path, "preexam", "test_staging_runs_a_students_whole_flow")
    finally:
        sandbox.compose.start("backend_staging")
        sandbox.wait_healthy(sandbox.platform(), services=("backend_staging",))
    fails_for(run, "PRE-INF-07", "staging")
