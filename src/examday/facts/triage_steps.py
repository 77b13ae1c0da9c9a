"""The Common Issues' diagnostic steps, each a read-only stand-in for one of the runbook's commands.

A step returns what it found (plain data for the record) and the signs it saw: Common Issue -> what
points to it ("pool 97% used (58 of 60)"). A step that cannot read raises; the triage records why
(facts/triage.py), and a database or Redis that cannot be read is itself a sign.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from examday.config import ExamdayConfig
from examday.facts.common_issues import (
    BACKEND_WORKER_FAILURE, DATABASE_UNRESPONSIVE, HIGH_ERROR_RATE, HIGH_LATENCY, REDIS_FAILURE, CommonIssue,
)
from examday.facts.connections import connection_use
from examday.facts.log_analysis import LogSummary
from examday.facts.ports import DatabaseReads, DockerReads
from examday.facts.proxy import proxy_log_errors
from examday.facts.resources import over_thresholds, resource_evidence, sample_running_containers

Signs = dict[CommonIssue, list[str]]
SHOWN = 5  # slowest statements, routes, samples kept per step
SLOW_PING_MS = 1000.0  # redis-py's own timeouts are 1 s: a PING slower than that is failing calls
PG_ISREADY_ANSWERS = {0: "accepting connections", 1: "rejecting connections", 2: "no response",
                      3: "no attempt (bad parameters)"}


class Pings(Protocol):
    def ping(self) -> float: ...


@dataclass
class TriageReads:
    """What the steps read through: the run's own probes, and the window's log summary (the failed
    item's when it read one, else read here)."""

    docker: DockerReads
    postgres: DatabaseReads
    redis: Pings
    config: ExamdayConfig
    log_summary: Callable[[], LogSummary]


@dataclass(frozen=True)
class Step:
    name: str
    stands_for: str  # the runbook's command this step answers
    read: Callable[[TriageReads], tuple[dict[str, Any], Signs]]
    unreadable_sign: CommonIssue | None = None  # what a failure to read points to: a datastore down


def pool_step(reads: TriageReads) -> tuple[dict[str, Any], Signs]:
    use = connection_use(reads.docker, reads.postgres, reads.config)
    capacity = use.capacity
    found = {"backend_connections": use.backend_connections, "capacity": capacity.capacity,
             "pool_usage": round(use.pool_usage, 3), "workers_running": capacity.workers,
             "workers_configured": capacity.configured_workers}
    signs: Signs = {}
    if use.pool_usage >= reads.config.thresholds.pool_usage:
        signs[HIGH_LATENCY] = [f"pool {use.pool_usage:.0%} used ({use.backend_connections} of {capacity.capacity} "
                               "pooled connections)"]
    configured = capacity.configured_workers
    if configured and configured.isdigit() and capacity.workers < int(configured):
        signs[BACKEND_WORKER_FAILURE] = [f"{capacity.workers} of {configured} uvicorn workers running"]
    return found, signs


def logs_step(reads: TriageReads) -> tuple[dict[str, Any], Signs]:
    summary = reads.log_summary()
    found = {"requests": summary.requests, "p95_ms": summary.latency.p95_ms if summary.latency else None,
             "error_rate": summary.error_rate, "server_errors": summary.server_errors, "crashed": summary.crashed,
             "slow_sql": summary.slow_sql, "slowest_sql": [vars(q).copy() for q in summary.slowest_sql[:SHOWN]],
             "slow_sql_statements": [list(s) for s in summary.slow_sql_statements[:SHOWN]],
             "slow_routes": [list(r) for r in summary.slow_routes[:SHOWN]],
             "server_error_samples": [e.as_evidence() for e in summary.server_error_samples[-SHOWN:]],
             "error_lines": summary.error_lines, "tracebacks": summary.tracebacks,
             "error_line_samples": [e.as_evidence() for e in summary.error_line_samples[-SHOWN:]]}
    limits = reads.config.thresholds
    signs: Signs = {}
    latency = []
    if summary.latency and summary.latency.p95_ms > limits.p95_ms:
        latency.append(f"p95 {summary.latency.p95_ms:.0f} ms over {limits.p95_ms:g} ms")
    if summary.slowest_sql:
        latency.append(f"{summary.slow_sql} slow_sql line(s), the slowest {summary.slowest_sql[0].query_ms:g} ms: "
                       f"{summary.slowest_sql[0].statement[:120]}")
    if latency:
        signs[HIGH_LATENCY] = latency
    if summary.error_rate is not None and summary.error_rate >= limits.error_rate:
        ids = [e.request_id for e in summary.server_error_samples[-3:] if e.request_id]
        signs[HIGH_ERROR_RATE] = [f"{summary.error_rate:.1%} of requests answered 5xx ({summary.server_errors} of "
                                  f"{summary.requests}, {summary.crashed} crashed)"
                                  + (f"; latest request IDs {', '.join(ids)}" if ids else "")]
    return found, signs


def resources_step(reads: TriageReads) -> tuple[dict[str, Any], Signs]:
    samples = sample_running_containers(reads.docker, reads.config)
    limits = reads.config.thresholds
    over = over_thresholds(samples, limits.cpu_pct, limits.mem_pct)
    return {"containers": resource_evidence(samples), "over": over}, ({HIGH_LATENCY: over} if over else {})


def proxy_step(reads: TriageReads) -> tuple[dict[str, Any], Signs]:
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=reads.config.logs.window_minutes)
    errors = proxy_log_errors(reads.docker, reads.config, since)
    found = {"container": reads.config.docker.containers.proxy, "error_lines": len(errors), "latest": errors[-SHOWN:]}
    return found, ({HIGH_ERROR_RATE: [f"the proxy logged {len(errors)} error line(s) in the window"]} if errors else {})


def redis_step(reads: TriageReads) -> tuple[dict[str, Any], Signs]:
    ping_ms = reads.redis.ping()
    slow = {REDIS_FAILURE: [f"PING took {ping_ms:.0f} ms"]} if ping_ms > SLOW_PING_MS else {}
    return {"ping_ms": round(ping_ms, 2)}, slow


def database_step(reads: TriageReads) -> tuple[dict[str, Any], Signs]:
    """pg_isready in the database's container; without one (a managed database), SELECT 1 over examday's session."""
    cfg = reads.config
    container = cfg.docker.containers.postgres
    if not container:
        reads.postgres.scalar("SELECT 1")
        return {"select_1": "answered"}, {}
    argv = ["pg_isready", "-U", cfg.postgres.user, "-d", cfg.postgres.dbname, "-t", "3"]
    exit_code, output = reads.docker.exec(container, argv, timeout=6.0)
    answer = PG_ISREADY_ANSWERS.get(exit_code, f"exit {exit_code}")
    found = {"container": container, "exit_code": exit_code, "answer": answer, "output": output.strip()[:200]}
    return found, ({DATABASE_UNRESPONSIVE: [f"pg_isready in {container}: {answer}"]} if exit_code else {})


STEPS = (
    Step("database", "docker exec <postgres> pg_isready -U <user>", database_step, DATABASE_UNRESPONSIVE),
    Step("redis", "docker exec <redis> redis-cli ping", redis_step, REDIS_FAILURE),
    Step("pool", "psql -c \"SELECT count(*) FROM pg_stat_activity ...\" against workers x (pool_size + max_overflow)",
         pool_step),
    Step("logs", "docker logs <backend> | grep slow_sql; grep -E \"error|ERROR\" (the window)", logs_step),
    Step("resources", "docker stats --no-stream", resources_step),
    Step("proxy", "docker logs <proxy> --tail=100 (its error lines in the window)", proxy_step),
)
