"""What the analyser returns: the summary of a window of log lines, per route and overall."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from examday.facts.log_analysis.error_log import ErrorSample
from examday.facts.log_analysis.limits import _EVIDENCE_ROUTES


@dataclass(frozen=True)
class LatencySummary:
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True)
class RouteLatency:
    """One route's latency, by "METHOD route template" (the raw path when the route is null).

    ``sampled``: some of its lines were sampled ones (the platform logs /health and the like
    at 10%), so ``count`` is of the logged sample, not of the traffic.
    """

    route: str
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    sampled: bool

    def as_evidence(self) -> dict[str, Any]:
        return vars(self).copy()


@dataclass(frozen=True)
class SlowQuery:
    query_ms: float
    statement: str  # normalized: no literal values
    request_id: str | None


@dataclass(frozen=True)
class LogSummary:
    """What the logs say. Sampled paths are counted apart and left out of every rate and of the
    overall percentiles; ``routes`` has them, marked."""

    lines: int
    requests: int
    crashed: int
    sampled_requests: int
    sampled_by_path: dict[str, int]
    latency: LatencySummary | None
    status_classes: dict[str, int]
    rate_limited: int
    error_rate: float | None
    slow_requests: int
    very_slow_requests: int
    slow_routes: list[tuple[str, int]]
    slow_sql: int
    slow_sql_statements: list[tuple[str, int]]
    slowest_sql: list[SlowQuery]
    routes: list[RouteLatency]
    with_request_id: int
    outside_window: int
    other_lines: int
    skipped: dict[str, int]
    since: datetime | None
    slow_ms: float
    very_slow_ms: float
    server_error_samples: list[ErrorSample]  # the latest 5xx (crashed included), with request IDs
    error_lines: int  # events at level error/critical, uvicorn's ERROR lines (within other/non-JSON)
    tracebacks: int  # first lines of tracebacks (within non-JSON)
    error_line_samples: list[ErrorSample]  # the latest of both
    source: str | None = None  # how the lines were read, when not the one way (facts/log_window.py)

    @property
    def server_errors(self) -> int:
        """5xx answers, the crashed requests (status null) included."""
        return self.status_classes.get("5xx", 0)

    def route(self, name: str) -> RouteLatency | None:
        return next((route for route in self.routes if route.route == name), None)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def as_evidence(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "requests": self.requests,
            "sampled_requests": self.sampled_requests,
            "sampled_by_path": dict(self.sampled_by_path),
            "latency_ms": None if self.latency is None else vars(self.latency).copy(),
            "status_classes": dict(self.status_classes),
            "crashed_status_null": self.crashed,
            "rate_limited_429": self.rate_limited,
            "error_rate": self.error_rate,
            f"slow_over_{self.slow_ms:g}ms": self.slow_requests,
            f"slow_over_{self.very_slow_ms:g}ms": self.very_slow_requests,
            "slow_routes": [list(item) for item in self.slow_routes],
            "slow_sql": self.slow_sql,
            "slow_sql_statements": [list(item) for item in self.slow_sql_statements],
            "slowest_sql": [vars(query).copy() for query in self.slowest_sql],
            "routes": [route.as_evidence() for route in self.routes[:_EVIDENCE_ROUTES]],
            "with_request_id": self.with_request_id,
            "outside_window": self.outside_window,
            "other_lines": self.other_lines,
            "skipped": dict(self.skipped),
            "error_lines": self.error_lines,
            "tracebacks": self.tracebacks,
            "since": None if self.since is None else self.since.isoformat(),
            **({} if self.source is None else {"read_from": self.source}),
        }
