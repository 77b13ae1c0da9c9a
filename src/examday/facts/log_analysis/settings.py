"""Names of the events and fields in the log lines, and what counts as slow: `[logs]` of the config.

Not re-declared here: every value, default included, comes from `LogsConfig`; only the shapes
change (tuples and a frozenset: read once per line on the hot path).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the config (pydantic models, 0.3 s and 20 MiB to import) only when one is read
    from examday.config import LogsConfig

TOP_N = 10  # slow routes, slow statements and slowest queries kept for the evidence


@dataclass(frozen=True)
class LogSettings:
    latency_fields: tuple[str, ...]
    status_field: str
    event_field: str
    route_field: str
    path_field: str
    method_field: str
    request_id_field: str
    timestamp_field: str
    sampled_field: str  # a line the backend marks as one of a sample ("sampled": true)
    extra_field: str  # structlog's stdlib bridge nests an event's own fields here (slow_sql does)
    sql_fields: tuple[str, ...]
    sql_latency_fields: tuple[str, ...]
    end_event: str
    slow_sql_event: str
    sampled_paths: frozenset[str]
    slow_ms: float
    very_slow_ms: float
    max_line_bytes: int
    top_n: int = TOP_N

    @classmethod
    def from_config(cls, logs: LogsConfig | None = None) -> LogSettings:
        """From the target's `[logs]`; without one, from its defaults."""
        if logs is None:
            from examday.config import LogsConfig

            logs = LogsConfig()
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
