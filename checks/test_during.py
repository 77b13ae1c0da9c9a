"""During Exam: the key metrics to watch, asserted (`examday watch` runs this phase on a loop)."""

from __future__ import annotations

from typing import NoReturn

import pytest

from examday.checklist import Impact, item, not_applicable
from examday.facts.baseline import configuration_now, drift, load_baseline
from examday.facts.connections import connection_use
from examday.facts.key_metrics import Reading, from_prometheus_or
from examday.facts.logs import judge_routes, recent_log_summary, route_targets
from examday.facts.redis_rejections import keep_reading, previous_reading, read_rejections, rejections_since
from examday.facts.resources import over_thresholds, resource_evidence, sample_running_containers
from examday.facts.traffic import judge_silence

pytestmark = pytest.mark.during
RUNBOOK = "During Exam / Monitoring"
LOGS = "backend logs (request.end)"


def no_traffic(examday_config, what: str = "requests") -> NoReturn:
    """Silent logs fail a live exam, do not apply outside it, and are not checked without a window."""
    silence = judge_silence(examday_config, what)
    if silence.live:
        pytest.fail(silence.message)
    if silence.live is False:
        not_applicable(silence.message)
    pytest.skip(silence.message)


@pytest.fixture(scope="module")
def log_window(docker_engine, examday_config):
    """The backend's request logs over the window, read once for every item that needs them."""
    return recent_log_summary(docker_engine, examday_config)


@item("DUR-LAT-01", "Request latency (p95 should be < {p95_ms}ms)", runbook=RUNBOOK,
      remediation="Check the database pool and slow queries (`slow_sql` in the backend's logs) and container "
                  "CPU; the evidence names the slowest routes.",
      references=("docs/platform.md#logs", "docs/platform.md#latency-targets"),
      triage="High Latency")
def test_p95_latency_under_threshold(log_window, prometheus_or_none, examday_config, evidence):
    limit = examday_config.thresholds.p95_ms
    latency = log_window.latency
    p95 = from_prometheus_or(prometheus_or_none, examday_config, "p95_seconds_query", 1000.0,
                             lambda: Reading(latency.p95_ms if latency else None, LOGS))
    evidence.record(p95_ms=p95, p95_limit_ms=limit, window_minutes=examday_config.logs.window_minutes,
                    logged_requests=log_window.requests, logged_latency_ms=latency,
                    slowest_routes=log_window.slow_routes[:5])
    if p95.value is None:
        no_traffic(examday_config)
    assert p95.value < limit, f"p95 is {p95.value:.0f} ms (limit {limit:g} ms; from {p95.source})"


@item("DUR-ERR-01", "Error rates (should be < {error_rate})", runbook=RUNBOOK,
      remediation="Read the 5xx lines (`docker logs <backend> --tail=200 | grep -E 'error|ERROR'`), then the "
                  "proxy, Redis and the database (runbook: High Error Rate).",
      references=("docs/platform.md#logs", "docs/platform.md#traps"),
      triage="High Error Rate")
def test_error_rate_under_threshold(log_window, prometheus_or_none, examday_config, evidence):
    limit = examday_config.thresholds.error_rate
    rate = from_prometheus_or(prometheus_or_none, examday_config, "error_rate_query", 1.0,
                              lambda: Reading(log_window.error_rate, LOGS))
    evidence.record(error_rate=rate, limit=limit, logged_requests=log_window.requests,
                    logged_status_classes=log_window.status_classes, logged_429=log_window.rate_limited,
                    logged_crashed_status_null=log_window.crashed)
    if rate.value is None:
        no_traffic(examday_config)
    crashed = f", {log_window.crashed} crashed (status_code null)" if log_window.crashed else ""
    assert rate.value < limit, (f"{rate.value:.2%} of requests answered 5xx (limit {limit:.0%}; from {rate.source}); "
                                f"the logs show {log_window.server_errors} of {log_window.requests}{crashed}")


@item("DUR-LAT-02", "Slow requests and slow queries (> {slow_ms} ms, > {very_slow_ms} ms, slow_sql)",
      runbook=RUNBOOK, impact=Impact.HIGH,
      remediation="The routes and statements named in the evidence are the ones to look at first.",
      references=("docs/platform.md#logs",),
      triage="High Latency")
def test_very_slow_requests_rare(log_window, examday_config, evidence):
    limit = examday_config.thresholds.very_slow_fraction
    evidence.record(slow_requests=log_window.slow_requests, very_slow_requests=log_window.very_slow_requests,
                    slow_ms=log_window.slow_ms, very_slow_ms=log_window.very_slow_ms,
                    top_slow_routes=log_window.slow_routes[:5], slow_sql=log_window.slow_sql,
                    top_slow_sql=log_window.slow_sql_statements[:5])
    if not log_window.requests:
        no_traffic(examday_config)
    share = log_window.very_slow_requests / log_window.requests
    assert share <= limit, (f"{log_window.very_slow_requests} requests took over {log_window.very_slow_ms:g} ms "
                            f"({share:.1%} of all, limit {limit:.0%}); worst routes {log_window.slow_routes[:3]}")


@item("DUR-LAT-03", "Request latency per route against the platform's own targets", runbook=RUNBOOK,
      impact=Impact.HIGH,
      remediation="A route over its target is slow for every student using it: read its slow_sql lines and the "
                  "pool usage first. Routes without a target (login hashes passwords slowly on purpose) are "
                  "only shown; set targets in [thresholds] route_p95_ms.",
      references=("docs/platform.md#logs", "docs/platform.md#latency-targets"),
      triage="High Latency")
def test_route_p95_within_targets(log_window, examday_config, evidence):
    targets = route_targets(examday_config.thresholds.route_p95_ms, examday_config.api.prefix_at_backend)
    judged = judge_routes(log_window.routes, targets)
    evidence.record(window_minutes=examday_config.logs.window_minutes, **judged.as_evidence())
    if not judged.measured:
        no_traffic(examday_config, "requests on a route with a target")
    assert not judged.over, "; ".join(verdict.problem() for verdict in judged.over)


@item("DUR-SYS-01", "Database connection pool usage (should be < {pool_usage})", runbook=RUNBOOK,
      remediation="If the pool is exhausted: find the slow queries holding connections; raising pool_size "
                  "needs a restart (runbook: High Latency, step 4).",
      references=("docs/platform.md#processes-and-the-connection-pool",),
      triage="High Latency")
def test_pool_usage_under_threshold(docker_engine, postgres, prometheus_or_none, examday_config, evidence):
    use = connection_use(docker_engine, postgres, examday_config)
    limit = examday_config.thresholds.pool_usage
    usage = from_prometheus_or(prometheus_or_none, examday_config, "pool_usage_query", 1.0,
                               lambda: Reading(use.pool_usage, "pg_stat_activity, against workers x "
                                                               "(pool_size + max_overflow)"))
    evidence.record(usage=usage, limit=limit, pg_stat_activity=use.as_evidence())
    assert usage.value is not None and usage.value < limit, (
        f"the backend's pools are {usage.value or 0:.0%} used (limit {limit:.0%}; from {usage.source}); "
        f"pg_stat_activity shows {use.backend_connections} of its {use.capacity.capacity} pooled connections")


@item("DUR-SYS-02", "Container CPU/memory usage", runbook=RUNBOOK,
      remediation="Find the container named above in `docker stats`; scale or restart only per the runbook.",
      references=("docs/platform.md#containers-and-deployment",),
      triage="High Latency")
def test_container_cpu_and_memory_under_thresholds(docker_engine, examday_config, evidence):
    samples = sample_running_containers(docker_engine, examday_config)
    evidence.record(resources=resource_evidence(samples))
    over = over_thresholds(samples, examday_config.thresholds.cpu_pct, examday_config.thresholds.mem_pct)
    assert not over, "; ".join(over)


@item("DUR-RED-01", "Redis connection status", runbook=RUNBOOK,
      remediation="Runbook: Redis Failure. Rate limiting is bypassed while it is down; restart Redis if it "
                  "does not recover (`docker compose restart redis`).",
      references=("docs/platform.md#when-redis-is-down",),
      triage="Redis Failure")
def test_redis_answers_and_rejects_no_connections(redis_db, examday_config, evidence):
    latency_ms = redis_db.ping()
    reading = read_rejections(redis_db)
    rejected = rejections_since(reading, previous_reading(examday_config))
    keep_reading(reading, examday_config)  # the next round counts from here
    evidence.record(ping_ms=round(latency_ms, 2), rejected_connections_total=reading.rejected, **rejected.as_evidence())
    assert rejected.new == 0, (f"Redis rejected {rejected.new} connections since {rejected.since} "
                               "(maxclients reached?)")


@item("DUR-DRF-01", "Nothing changed since the freeze", runbook=RUNBOOK,
      remediation="Something was deployed or reconfigured mid-exam: find who and why before anything else; "
                  "roll back only per the runbook's Rollback Plan.",
      references=("docs/platform.md#containers-and-deployment", "docs/platform.md#exam-mode-and-freeze_updates"))
def test_no_drift_from_freeze_baseline(docker_engine, postgres, compose_config, examday_config, evidence):
    baseline = load_baseline(examday_config)
    if baseline is None:
        pytest.fail("no freeze baseline for this exam: run the freeze phase (`pytest -m freeze`) first")
    now = configuration_now(docker_engine, postgres, compose_config, examday_config)  # no data: rounds stay cheap
    changes = drift(baseline, now)
    evidence.record(baseline_taken_at=baseline.taken_at, changes=changes)
    assert not changes, "changed since the freeze: " + "; ".join(changes)
