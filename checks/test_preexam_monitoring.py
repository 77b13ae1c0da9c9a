"""Pre-Exam Checklist (24 hours before) / Monitoring."""

from __future__ import annotations

import datetime as dt

import pytest

from examday.checklist import Impact, item
from examday.facts.containers import find_containers, log_handling
from examday.facts.logs import recent_log_summary, request_id_logged

pytestmark = pytest.mark.preexam
RUNBOOK = "Pre-Exam Checklist / Monitoring"


@item("PRE-MON-01", "Confirm log aggregation is functioning", runbook=RUNBOOK,
      remediation="The backend must write JSON request.end lines with request IDs to stdout: check its "
                  "logging configuration (structlog JSON renderer) and that the log driver keeps them.")
def test_backend_logs_structured_requests_with_ids(api, docker_engine, examday_config, evidence):
    sent_at = dt.datetime.now(dt.timezone.utc)
    traced = api.ready()  # a request of our own, to trace end to end
    delay = request_id_logged(docker_engine, examday_config, traced.request_id, sent_at)
    summary = recent_log_summary(docker_engine, examday_config)
    evidence.record(traced_request_id=traced.request_id, seconds_to_appear=delay,
                    window_minutes=examday_config.logs.window_minutes,
                    request_end_lines=summary.requests + summary.sampled_requests,
                    with_request_id=summary.with_request_id, skipped_lines=summary.skipped)
    assert delay is not None, f"our request {traced.request_id} did not appear in the backend's logs within 10 s"
    assert summary.requests + summary.sampled_requests > 0, (
        f"no {examday_config.logs.end_event} lines in the last {examday_config.logs.window_minutes:g} minutes")
    assert summary.with_request_id >= summary.requests, "request.end lines without a request ID"


@item("PRE-MON-02", "Confirm log aggregation is functioning: logs rotated or shipped", runbook=RUNBOOK,
      impact=Impact.HIGH,
      remediation="Give the container a log driver that ships logs, or json-file with max-size/max-file, so "
                  "a busy exam cannot fill the disk with logs.")
def test_every_container_rotates_or_ships_its_logs(docker_engine, examday_config, evidence):
    containers = {role: c for role, c in find_containers(docker_engine, examday_config).items() if c}
    handling = {c.name: log_handling(c) for c in containers.values()}
    evidence.record(log_handling=handling)
    unbounded = [f"{name} ({containers_driver})" for name, containers_driver in
                 ((c.name, c.log_driver) for c in containers.values()) if handling[name] is None]
    assert not unbounded, f"logs neither rotated nor shipped: {', '.join(unbounded)}"


@item("PRE-MON-03", "Verify observability tools are working", runbook=RUNBOOK, impact=Impact.HIGH,
      remediation="Fix the Prometheus targets that are down (see their lastError).")
def test_prometheus_targets_up(examday_config, evidence):
    if examday_config.prometheus is None:
        pytest.skip("no Prometheus configured ([prometheus] url)")
    import httpx

    answer = httpx.get(f"{examday_config.prometheus.url.rstrip('/')}/api/v1/targets",
                       timeout=examday_config.prometheus.timeout_seconds)
    targets = answer.json()["data"]["activeTargets"]
    down = [f"{t['labels'].get('job')}@{t['scrapeUrl']}: {t.get('lastError')}" for t in targets if t["health"] != "up"]
    evidence.record(targets=len(targets), down=down)
    assert targets and not down, f"Prometheus targets down: {down}" if down else "Prometheus has no targets"


@item("PRE-MON-04", "Test alerting (if configured)", runbook=RUNBOOK, impact=Impact.HIGH,
      remediation="Make Alertmanager healthy with a receiver configured.")
def test_alertmanager_healthy_with_a_receiver(examday_config, evidence):
    if examday_config.alertmanager is None:
        pytest.skip("no Alertmanager configured ([alertmanager] url)")
    import httpx

    base = examday_config.alertmanager.url.rstrip("/")
    timeout = examday_config.alertmanager.timeout_seconds
    health = httpx.get(f"{base}/-/healthy", timeout=timeout)
    receivers = httpx.get(f"{base}/api/v2/receivers", timeout=timeout).json()
    evidence.record(healthy=health.status_code, receivers=[r.get("name") for r in receivers])
    assert health.status_code == 200, f"Alertmanager /-/healthy answered {health.status_code}"
    assert receivers, "Alertmanager has no receiver: alerts would go nowhere"


@item("PRE-MON-05", "Check dashboard access (Traefik, if needed)", runbook=RUNBOOK, impact=Impact.MEDIUM,
      remediation="Make the dashboard reachable for the on-call team (route, credentials, VPN).")
def test_dashboard_reachable(examday_config, evidence):
    if examday_config.dashboard is None:
        pytest.skip("no dashboard configured ([dashboard] url)")
    import httpx

    answer = httpx.get(examday_config.dashboard.url, timeout=examday_config.dashboard.timeout_seconds,
                       follow_redirects=True)
    evidence.record(url=examday_config.dashboard.url, status=answer.status_code)
    assert answer.status_code < 400, f"dashboard answered {answer.status_code}"
