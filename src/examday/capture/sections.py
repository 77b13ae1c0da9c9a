"""The sections of a capture bundle: each reads its sources and returns JSON-ready data.

Done right where capture-metrics.sh was not (docs/platform.md): pool usage against
the backend's real capacity (workers x (pool_size + max_overflow)), slow
requests by a numeric latency threshold (not a grep for ">500"), errors by
status class, and every figure as data rather than a text dump.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.connections import connection_use
from examday.facts.logs import log_container
from examday.facts.proxy import proxy_log_errors, route_health
from examday.facts.request_sample import sample_requests
from examday.facts.resources import resource_evidence, sample_running_containers
from examday.facts.log_analysis import LogSettings, analyze_lines

REDIS_INFO_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "keyspace")
# Fields of INFO server worth keeping: the rest is paths and process details.
REDIS_SERVER_FIELDS = ("redis_version", "uptime_in_seconds", "process_id", "tcp_port")

SESSIONS_BY_STATUS_SQL = """
SELECT s.status, count(DISTINCT s.id) AS sessions, count(a.question_id) AS answer_rows,
       count(a.selected_index) AS answered, min(s.started_at) AS first_started, max(s.submitted_at) AS last_submitted
FROM test_sessions s LEFT JOIN session_answers a ON a.session_id = s.id
GROUP BY s.status ORDER BY s.status
"""


@dataclass
class Sources:
    """What a capture reads: the target's config, its probes, and the window it covers."""

    config: ExamdayConfig
    docker: Any
    postgres: Any
    redis: Any
    since: dt.datetime


def pool(sources: Sources) -> dict[str, Any]:
    return connection_use(sources.docker, sources.postgres, sources.config).as_evidence()


def requests(sources: Sources) -> dict[str, Any]:
    """Latency, slow requests by threshold, status classes, and a request-ID sample, over the window."""
    settings = LogSettings.from_config(sources.config.logs)
    lines = list(sources.docker.logs(log_container(sources.config), since=sources.since))
    summary = analyze_lines(lines, settings, since=sources.since)
    return {**summary.as_evidence(), "request_id_sample": sample_requests(lines, settings).as_evidence()}


def redis(sources: Sources) -> dict[str, Any]:
    info = {section: sources.redis.info(section) for section in REDIS_INFO_SECTIONS}
    info["server"] = {k: v for k, v in info["server"].items() if k in REDIS_SERVER_FIELDS}
    return info


def resources(sources: Sources) -> dict[str, Any]:
    return resource_evidence(sample_running_containers(sources.docker, sources.config))


def proxy(sources: Sources) -> dict[str, Any]:
    errors = proxy_log_errors(sources.docker, sources.config, sources.since)
    return {"routes": route_health(sources.docker, sources.config).as_evidence(),
            "log_error_lines": len(errors), "log_error_sample": errors[:20]}


def sessions(sources: Sources) -> dict[str, Any]:
    result = sources.postgres.query(SESSIONS_BY_STATUS_SQL)
    return {"by_status": [dict(zip(result.columns, map(_plain, row))) for row in result.rows]}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


SECTIONS: dict[str, Callable[[Sources], dict[str, Any]]] = {
    "pool": pool, "requests": requests, "redis": redis, "resources": resources, "proxy": proxy,
    "sessions": sessions,
}
