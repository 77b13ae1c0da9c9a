"""Names of the events and fields in the log lines, and what counts as slow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from examday.config import LogsConfig


@dataclass(frozen=True)
class LogSettings:
    """Names of the events and fields in the log lines, and what counts as slow."""

    latency_fields: tuple[str, ...] = ("duration_ms", "total_ms")
    status_field: str = "status_code"
    event_field: str = "event"
    route_field: str = "route"
    path_field: str = "path"
    method_field: str = "method"
    request_id_field: str = "request_id"
    timestamp_field: str = "timestamp"
    # A line the backend marks as one of a sample ("sampled": true), whatever its path.
    sampled_field: str = "sampled"
    # structlog's stdlib bridge nests an event's own fields under "extra" (slow_sql does).
    extra_field: str = "extra"
    sql_fields: tuple[str, ...] = ("statement", "sql", "query")
    sql_latency_fields: tuple[str, ...] = ("query_ms", "duration_ms")
    end_event: str = "request.end"
    slow_sql_event: str = "slow_sql"
    sampled_paths: frozenset[str] = frozenset({"/health", "/metrics", "/v1/health", "/"})
    slow_ms: float = 500.0
    very_slow_ms: float = 1500.0
    max_line_bytes: int = 65536
    top_n: int = 10

    @classmethod
    def from_config(cls, logs: LogsConfig) -> LogSettings:
        return cls(
            latency_fields=tuple(logs.latency_fields),
            status_field=logs.status_field,
            event_field=logs.event_field,
            route_field=logs.route_field,
            path_field=logs.path_field,
            method_field=logs.method_field,
            request_id_field=logs.request_id_field,
            timestamp_field=logs.timestamp_field,
            sampled_field=logs.sampled_field,
            extra_field=logs.extra_field,
            sql_fields=tuple(logs.sql_fields),
            sql_latency_fields=tuple(logs.sql_latency_fields),
            end_event=logs.end_event,
            slow_sql_event=logs.slow_sql_event,
            sampled_paths=frozenset(logs.sampled_paths),
            slow_ms=logs.slow_ms,
            very_slow_ms=logs.very_slow_ms,
            max_line_bytes=logs.max_line_bytes,
        )
