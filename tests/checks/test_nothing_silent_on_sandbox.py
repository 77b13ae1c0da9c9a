"""Nothing left out silently: defaults that used to skip find what they need, or the run is not GO.

- Without [docker] compose_files, the files come from the compose labels of the backend.
- Without [dns] resolver, the host's own resolver is asked (as the config says).
- Silent logs during the exam's window fail the traffic items; outside it they do not apply.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dns.resolver
import pytest

from tests.checks.conftest import at_stage
from tests.checks.runner import failed_ids, run_checklist, sandbox_config, verdict_of_run

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
COMPOSE_ITEMS = {"PRE-CFG-01", "PRE-CFG-03", "PRE-CFG-05", "PRE-CFG-06"}
TRAFFIC_TESTS = "p95_latency or error_rate or very_slow or route_p95"
TRAFFIC_ITEMS = {"DUR-LAT-01", "DUR-ERR-01", "DUR-LAT-02", "DUR-LAT-03"}


def test_without_compose_files_the_backends_compose_labels_name_them(sandbox, all_attested: Path, tmp_path):
    config = sandbox_config(tmp_path, docker={"compose_files": None})
    for _ in at_stage(sandbox, "preexam"):
        run = run_checklist("preexam", tmp_path, f"--target={config}", "--attestations", str(all_attested))
    assert failed_ids(run) == set() and run.ids_with("skipped") == set(), run.stdout[-3000:]
    assert COMPOSE_ITEMS <= run.ids_with("passed")
    assert verdict_of_run(run) == "GO" and run.exit_code == 0


def test_without_a_resolver_the_hosts_own_resolver_is_asked(sandbox, tmp_path):
    config = sandbox_config(tmp_path, dns={"resolver": None})
    run = run_checklist("preexam", tmp_path, f"--target={config}", "-k", "dns_record")
    results = run.by_id("PRE-INF-06")
    host_resolver = dns.resolver.get_default_resolver().nameservers[0]
    assert results, run.stdout[-3000:]
    for result in results:  # checked, whatever the host's resolver answers
        assert result.outcome in ("passed", "failed", "error"), result
        assert host_resolver in f"{result.message} {result.evidence}", result


def live_exam(now: dt.datetime) -> dict[str, object]:
    return {"window_file": None, "starts_at": now - dt.timedelta(minutes=30), "ends_at": now + dt.timedelta(hours=2)}


def test_silent_logs_fail_the_traffic_items_during_the_exam_and_do_not_apply_outside_it(sandbox, tmp_path):
    # The frontend writes no request.end line: the backend's logs as they look when they are lost.
    now = dt.datetime.now(dt.timezone.utc)
    during = sandbox_config(tmp_path / "live", exam=live_exam(now), logs={"container": "frontend"})
    run = run_checklist("during", tmp_path, f"--target={during}", "-k", TRAFFIC_TESTS)
    assert failed_ids(run) == TRAFFIC_ITEMS, run.stdout[-3000:]
    for result in run.items:
        assert "during the live exam" in result.message and "lost" in result.message, result
    assert verdict_of_run(run) == "NO-GO"

    before = {"window_file": None, "starts_at": now + dt.timedelta(days=1),
              "ends_at": now + dt.timedelta(days=1, hours=3)}
    outside = sandbox_config(tmp_path / "before", exam=before, logs={"container": "frontend"})
    run = run_checklist("during", tmp_path, f"--target={outside}", "-k", TRAFFIC_TESTS)
    assert run.ids_with("not_applicable") == TRAFFIC_ITEMS, run.stdout[-3000:]
    assert all("is not live" in result.message for result in run.items)
    assert verdict_of_run(run) == "GO" and run.exit_code == 0

    unknown = sandbox_config(tmp_path / "unknown", exam=None, logs={"container": "frontend"})
    run = run_checklist("during", tmp_path, f"--target={unknown}", "-k", TRAFFIC_TESTS)
    assert run.ids_with("skipped") == TRAFFIC_ITEMS and verdict_of_run(run) == "INCOMPLETE", run.stdout[-3000:]
