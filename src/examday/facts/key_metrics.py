"""The runbook's key metrics (p95, 5xx share, pool usage) from Prometheus or from their fallbacks.

With `[prometheus] during_queries = true` the during items read the figures
from Prometheus; when a query fails or has no data they fall back to what
examday measures itself (the backend's request.end lines, pg_stat_activity
against the pool capacity). Every reading names its source, so a record shows
where each figure came from and why a fallback was taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from examday.config import ExamdayConfig
from examday.probes.errors import ProbeError


@dataclass(frozen=True)
class Reading:
    value: float | None  # None: no traffic to measure
    source: str
    fallback_because: str | None = None

    def as_evidence(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "fallback_because": self.fallback_because}


def window_of(config: ExamdayConfig) -> str:
    return f"{max(int(config.logs.window_minutes * 60), 10)}s"


def from_prometheus_or(prometheus: Any, config: ExamdayConfig, query_name: str, scale: float,
                       fallback: Callable[[], Reading]) -> Reading:
    """The query's value (times `scale`) when Prometheus is the configured source and answers; else `fallback`."""
    cfg = config.prometheus
    if cfg is None or not cfg.during_queries:
        return fallback()
    query = getattr(cfg, query_name).replace("{window}", window_of(config))
    try:
        value = prometheus.scalar(query)
    except ProbeError as error:
        return _fallback(fallback, f"Prometheus: {error}")
    if value is None:
        return _fallback(fallback, f"Prometheus has no data for {query}")
    return Reading(value * scale, f"prometheus: {query}")


def _fallback(fallback: Callable[[], Reading], reason: str) -> Reading:
    reading = fallback()
    return Reading(reading.value, reading.source, reason)
