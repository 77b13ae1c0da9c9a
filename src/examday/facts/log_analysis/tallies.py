"""The analyser's running counts: bounded counters, per-route latencies, the line tallies."""

from __future__ import annotations

from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

from examday.facts.log_analysis.limits import (
    _HISTOGRAM_MAX_US, _HOUR_MS, _MAX_DISTINCT_KEYS, _ROUTE_EXACT_VALUES, _ROUTE_PENDING_FLUSH_AT, SKIP_REASONS,
)
from examday.facts.log_analysis.model import LatencySummary, RouteLatency


class _BoundedCounter:
    """A Counter that stops growing at ``max_keys``: the rest is counted as "(other)"."""

    def __init__(self, max_keys: int = _MAX_DISTINCT_KEYS) -> None:
        self.counts: dict[str, int] = {}
        self.max_keys = max_keys
        self.overflow = 0

    def add(self, key: str) -> None:
        counts = self.counts
        if key in counts:
            counts[key] += 1
        elif len(counts) < self.max_keys:
            counts[key] = 1
        else:
            self.overflow += 1

    def top(self, n: int) -> list[tuple[str, int]]:
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))[:n]
        if self.overflow:
            ranked.append(("(other)", self.overflow))
        return ranked


class _RouteLatencies:
    """One route's latencies: exact counts while they are few distinct values, then a histogram.

    Exact counts give the platform's whole milliseconds back as they were logged, so a p95
    of exactly the target is not read as over it (a histogram rounds up by up to 0.1%).
    """

    __slots__ = ("pending", "flush_at", "histogram", "max_ms", "sampled")

    def __init__(self) -> None:
        self.pending: dict[float, int] = {}  # latency (ms, as logged) -> count
        self.flush_at = _ROUTE_EXACT_VALUES
        self.histogram: HdrHistogram | None = None
        self.max_ms: float | None = None
        self.sampled = False

    def flush(self) -> None:
        pending = self.pending
        if not pending:
            return
        if self.histogram is None:
            self.histogram = HdrHistogram(1, _HISTOGRAM_MAX_US, 3, word_size=4)
            self.flush_at = _ROUTE_PENDING_FLUSH_AT
        self._take_max()
        record = self.histogram.record_value
        for latency_ms, count in pending.items():
            record(int(min(latency_ms * 1000, _HISTOGRAM_MAX_US)) or 1, count)
        pending.clear()

    def _take_max(self) -> None:
        if not self.pending:
            return
        top = max(self.pending)
        if self.max_ms is None or top > self.max_ms:  # on a tie, the earlier one stays
            self.max_ms = top

    def summary(self, route: str) -> RouteLatency:
        if self.histogram is not None:
            self.flush()
            histogram = self.histogram
            count = histogram.total_count
            values = [histogram.get_value_at_percentile(percentile) / 1000 for percentile in (50, 95)]
        else:
            self._take_max()
            count = sum(self.pending.values())
            values = _exact_percentiles(self.pending, count, (50, 95))
        top = self.max_ms if self.max_ms is not None else 0.0
        # Never above the largest latency seen, nor above the hour the histogram holds.
        p50, p95 = (round(min(value, top, _HOUR_MS), 3) for value in values)
        return RouteLatency(route, count, p50, p95, round(top, 3), self.sampled)


def _exact_percentiles(counts: dict[float, int], total: int, percentiles: tuple[float, ...]) -> list[float]:
    """Nearest-rank percentiles of value -> count, the rank taken as HdrHistogram takes it."""
    ranked = sorted(counts.items())
    values = []
    for percentile in percentiles:
        wanted, seen = max(int(percentile * total / 100 + 0.5), 1), 0
        for value, count in ranked:
            seen += count
            if seen >= wanted:
                values.append(value)
                break
    return values


@dataclass
class _Tallies:
    lines: int = 0
    requests: int = 0
    crashed: int = 0
    sampled_requests: int = 0
    rate_limited: int = 0
    slow: int = 0
    very_slow: int = 0
    slow_sql: int = 0
    with_request_id: int = 0
    outside_window: int = 0
    other_lines: int = 0
    status_classes: dict[str, int] = field(default_factory=lambda: {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0})
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))


class OverallLatency:
    """Every counted request's latency. Latencies (ms, as logged) wait in ``pending`` as value ->
    count and reach the histogram in bulk: logged latencies repeat a lot, and a dict increment is
    far cheaper than record_value."""

    __slots__ = ("pending", "histogram", "max_ms")

    def __init__(self) -> None:
        self.pending: dict[float, int] = {}
        self.histogram = HdrHistogram(1, _HISTOGRAM_MAX_US, 3)
        self.max_ms = 0.0

    def flush(self) -> None:
        # Keys are the latencies as logged (ms, int or float; equal numbers share the first one's
        # key), recorded in us. The maximum is taken here too: the first of the largest, as a
        # running "if latency > max" over the lines in their order would keep.
        pending = self.pending
        if not pending:
            return
        self.max_ms = max(self.max_ms, max(pending))  # on a tie, max() keeps the earlier
        record = self.histogram.record_value
        for latency_ms, count in pending.items():
            # Capped before int(): a logged 1e306 ms is inf in microseconds, and int(inf) raises.
            record(int(min(latency_ms * 1000, _HISTOGRAM_MAX_US)) or 1, count)
        pending.clear()

    def summary(self, requests: int) -> LatencySummary | None:
        """None when no request was counted; flushed first."""
        if requests == 0:
            return None
        self.flush()
        histogram = self.histogram

        def at(percentile: float) -> float:
            return round(histogram.get_value_at_percentile(percentile) / 1000, 3)

        return LatencySummary(p50_ms=at(50), p95_ms=at(95), p99_ms=at(99), max_ms=round(self.max_ms, 3))
