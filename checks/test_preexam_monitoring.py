"""Pre-Exam Checklist (24 hours before) / Monitoring."""

from __future__ import annotations

import datetime as dt

import pytest

from examday.checklist import Impact, item
from examday.facts.alerting import NotFired
from examday.facts.containers import find_containers, log_handling
from examday.facts.scrape_targets import persistently_down
from examday.facts.logs import recent_log_summary, request_id_logged

pytestmark = pytest.mark.preexam
RUNBOOK = "Pre-Exam Checklist / Monitoring"


@item("PRE-MON-01", "Confirm log aggregation is functioning", runbook=RUNBOOK,
      remediation="The backend must write JSON request.end lines with request IDs to stdout: check its "
                  "logging configuration (structlog JSON renderer) and that the log driver keeps them.",
      references=("docs/platform.md#logs",))
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
                  "a busy exam cannot fill the disk with logs.",
      references=("docs/platform.md#containers-and-deployment", "docs/platform.md#traps"))
def test_every_container_rotates_or_ships_its_logs(docker_engine, examday_config, evidence):
    containers = {role: c for role, c in find_containers(docker_engine, examday_config).items() if c}
    handling = {c.name: log_handling(c) for c in containers.values()}
    evidence.record(log_handling=handling)
    unbounded = [f"{name} ({containers_driver})" for name, containers_driver in
                 ((c.name, c.log_driver) for c in containers.values()) if handling[name] is None]
    assert not unbounded, f"logs neither rotated nor shipped: {', '.join(unbounded)}"


@item("PRE-MON-03", "Verify observability tools are working: every Prometheus target up", runbook=RUNBOOK,
      impact=Impact.HIGH,
      remediation="Bring back the targets named (their lastError says why the scrape fails): a target that is "
                  "down is a blind spot during the exam.",
      references=("docs/platform.md#metrics-and-monitoring",))
def test_prometheus_targets_up(prometheus, evidence):
    targets, still_down = persistently_down(prometheus)
    down = [f"{t.job} {t.url}: {t.last_error or t.health}" for t in still_down]
    evidence.record(targets={t.job: t.health for t in targets}, down=down)
    assert targets, "Prometheus has no active targets: it scrapes nothing"
    assert not down, f"Prometheus targets down: {'; '.join(down)}"


@item("PRE-MON-06", "Verify observability tools are working: the alert rules are loaded and evaluate",
      runbook=RUNBOOK, impact=Impact.HIGH,
      remediation="Load the missing rules into Prometheus (rule_files, then reload) and fix those whose "
                  "evaluation fails: an alert that is not evaluated never fires.",
      references=("docs/platform.md#metrics-and-monitoring",))
def test_alert_rules_loaded(prometheus, examday_config, evidence):
    rules = prometheus.alert_rules()
    expected = examday_config.prometheus.expected_alerts
    missing = sorted(set(expected) - {r.name for r in rules})
    broken = [f"{r.name}: {r.last_error}" for r in rules if r.health == "err"]
    evidence.record(rules={r.name: {"health": r.health, "state": r.state} for r in rules}, expected=expected,
                    missing=missing, broken=broken)
    assert rules, "Prometheus has no alert rules loaded"
    assert not missing, f"alert rules not loaded: {', '.join(missing)}"
    assert not broken, f"alert rules failing to evaluate: {'; '.join(broken)}"


@item("PRE-MON-04", "Test alerting (if configured): Alertmanager ready, every receiver with an integration",
      runbook=RUNBOOK, impact=Impact.HIGH,
      remediation="Give each receiver a working integration (webhook, email, Slack, PagerDuty...) and reload "
                  "Alertmanager: a receiver without one swallows every alert routed to it.",
      references=("docs/platform.md#metrics-and-monitoring",))
def test_alertmanager_ready_with_receivers(alertmanager, evidence):
    alertmanager.ready()
    receivers = alertmanager.receivers()
    evidence.record(receivers={r.name: r.integrations for r in receivers})
    assert receivers, "Alertmanager has no receiver: alerts would go nowhere"
    silent = [r.name for r in receivers if not r.integrations]
    assert not silent, f"receiver(s) without any integration, alerts routed there go nowhere: {', '.join(silent)}"


@item("PRE-MON-07", "Test alerting: a test alert reaches the receiver through Alertmanager, then resolves",
      runbook=RUNBOOK, impact=Impact.HIGH,
      remediation="Follow the alert's path: Alertmanager's log (`docker logs <alertmanager>`) names failed "
                  "notifications; check the receiver's URL, credentials and the route that matches "
                  "alertname=ExamdayTestAlert.",
      references=("docs/platform.md#metrics-and-monitoring",))
def test_test_alert_delivered_and_resolved(alertmanager, alert_round_trip, examday_config, evidence):
    cfg = examday_config.alertmanager  # the `alertmanager` fixture skips the item when there is none
    # Fired (started as the run begins) unasked only on examday's own sandbox, told by its containers.
    delivery = alert_round_trip.result()
    if isinstance(delivery, NotFired):
        pytest.skip(delivery.reason)
    evidence.record(**delivery.as_evidence())
    assert delivery.delivered_after_s is not None, (
        f"the test alert {delivery.test_id} was not delivered within {cfg.delivery_timeout_seconds:g}s "
        f"(checked by {delivery.confirmed_by})")
    assert not delivery.failed_notifications, f"notifications failed meanwhile: {delivery.failed_notifications}"
    assert delivery.resolved_after_s is not None, (
        f"the test alert {delivery.test_id} was delivered but its resolution was not, within "
        f"{cfg.delivery_timeout_seconds:g}s: it may page on-call until it times out")


@item("PRE-MON-05", "Check dashboard access (Traefik, if needed)", runbook=RUNBOOK, impact=Impact.MEDIUM,
      remediation="Make the dashboard reachable for the on-call team (route, credentials, VPN); on Traefik "
                  "the dashboard and its API are on the `traefik` entrypoint (127.0.0.1:8080, api.dashboard "
                  "= true): an answering page with no /api/version behind it shows no live routers.",
      references=("docs/platform.md#the-tls-edge-and-the-proxy", "docs/platform.md#metrics-and-monitoring"))
def test_dashboard_reachable(examday_config, dashboard_reading, evidence):
    if examday_config.dashboard is None:
        pytest.skip("no dashboard configured ([dashboard] url)")
    access = dashboard_reading.result()
    evidence.record(**access.as_evidence())
    assert not access.problems, "; ".join(access.problems)
