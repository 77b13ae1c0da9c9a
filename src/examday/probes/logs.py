"""Streaming analysis of the backend's JSON-lines logs, in constant memory.

Feed it lines (str or bytes, docker's stream framing already removed: use
``split_lines`` on raw chunks) and get a ``LogSummary``: request counts,
latency percentiles (HdrHistogram), status classes, 429s, error rate, slow
requests and slow SQL with their top routes and statements, and latency per
route ("METHOD route template", sampled routes included and marked).

A ``request.end`` whose status is null is a request whose handler raised: the
platform answered it 500 and logs nothing else for it, so it counts as a 5xx
(and apart, as ``crashed``). A status that is absent altogether is a
malformed line ("missing_fields").

Bad input never raises: every line lands in exactly one bucket, so that

    lines == requests + sampled_requests + slow_sql + outside_window + other_lines + sum(skipped)

Speed matters (a day of logs is millions of lines): lines that cannot be a
``request.end`` or ``slow_sql`` event are classified by a substring test
without parsing, and only the rest go through the JSON parser (pydantic-core's,
where it agrees with the stdlib's). ``feed_all`` decides the common shapes
inline and hands everything else to the careful per-line methods;
``_feed_careful`` is that careful path alone, the reference the tests hold
``feed_all`` to. bench/bench_logs.py measures it against jq.
"""

from __future__ import annotations

import heapq
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hdrh.histogram import HdrHistogram
from pydantic_core import from_json

if TYPE_CHECKING:
    from examday.config import LogsConfig

# Latencies are recorded in microseconds, from 1 us to 1 hour, to 3 significant digits.
_HISTOGRAM_MAX_US = 3_600_000_000
_PENDING_FLUSH_AT = 4096
_MAX_KEY_CHARS = 200
_MAX_DISTINCT_KEYS = 1000
# Per route: exact counts of the logged latencies (the platform logs whole milliseconds, so
# they repeat) until a route has this many distinct values, then a histogram of its own.
_ROUTE_EXACT_VALUES = 1024
_ROUTE_PENDING_FLUSH_AT = 256
# A route's histogram is 94 KiB (3 digits, 4-byte counts): the number of routes is bounded,
# with a smaller share for the raw paths of unmatched requests (route null: scanners, 404s),
# so that a burst of those cannot crowd the route templates out.
_MAX_ROUTES = 100
_MAX_PATH_ROUTES = 20
OTHER_ROUTES = "(other)"
_HOUR_MS = _HISTOGRAM_MAX_US / 1000
_EVIDENCE_ROUTES = 50

SKIP_REASONS = ("empty", "oversized", "invalid_utf8", "non_json", "truncated_json", "non_object", "missing_fields")

# `docker logs --timestamps` puts an RFC 3339 time and a space before each line.
_DOCKER_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d) (?=\{)")
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
_SQL_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_WHITESPACE = re.compile(r"\s+")
_INFINITY = float("inf")
_STATUS_CLASSES = {1: "other", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}
_scan_json = json.JSONDecoder().scan_once
_DEFAULT_INT_DIGITS = 4300  # sys.int_info.default_max_str_digits


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
            "since": None if self.since is None else self.since.isoformat(),
        }


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
    max_ms: float = 0.0
    status_classes: dict[str, int] = field(default_factory=lambda: {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0})
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))


class LogAnalyzer:
    """Feed lines, then ask for ``summary()``. Memory stays bounded whatever the input."""

    def __init__(self, settings: LogSettings | None = None, *, since: datetime | None = None) -> None:
        self.settings = settings or LogSettings()
        self.since = _as_utc(since) if since else None
        self._tallies = _Tallies()
        self._histogram = HdrHistogram(1, _HISTOGRAM_MAX_US, 3)
        # Latencies (ms, as logged) wait here as value -> count and reach the histogram in bulk:
        # logged latencies repeat a lot, and a dict increment is far cheaper than record_value.
        self._pending_ms: dict[float, int] = {}
        self._sampled = _BoundedCounter()
        self._slow_routes = _BoundedCounter()
        self._slow_statements = _BoundedCounter()
        self._slowest_sql: list[tuple[float, int, str, str | None]] = []  # a min-heap of the top_n slowest
        self._routes: dict[str, _RouteLatencies] = {}
        self._route_counts = {True: 0, False: 0}  # routes by template (True) and by raw path (False)
        self._other_route: _RouteLatencies | None = None
        # feed_all's shortcut to a route: template -> method -> its latencies, without building the key.
        self._by_template: dict[str, dict[str, _RouteLatencies]] = {}
        self._end_marker = f'"{self.settings.end_event}"'
        self._sql_marker = f'"{self.settings.slow_sql_event}"'
        # Settings copied to plain attributes: they are read once per event on the hot path.
        self._event_field = self.settings.event_field
        self._end_event = self.settings.end_event
        self._slow_sql_event = self.settings.slow_sql_event
        self._latency_fields = self.settings.latency_fields
        self._status_field = self.settings.status_field
        self._request_id_field = self.settings.request_id_field
        self._slow_ms = self.settings.slow_ms
        self._very_slow_ms = self.settings.very_slow_ms
        self._path_field = self.settings.path_field
        self._route_field = self.settings.route_field
        self._method_field = self.settings.method_field
        self._sampled_field = self.settings.sampled_field
        self._extra_field = self.settings.extra_field
        self._sampled_paths = self.settings.sampled_paths

    def feed(self, line: str | bytes) -> None:
        self.feed_all((line,))

    def feed_all(self, lines: Iterable[str | bytes]) -> LogAnalyzer:
        """Feed many lines. Each lands where ``_feed_careful`` would put it, only sooner."""
        # The hot loop. The common shapes are decided inline, with local counters: a line that
        # mentions neither event and is a whole object (another event), and a request.end that
        # parses as an object and has a plain latency (in the first latency field) and status,
        # a str path that is neither sampled nor carries a query string, a str method and route
        # template (no query string either), no sampled mark, and no time window.
        # Every other line or event goes to the careful methods, which decide as they always
        # have. Requests taken inline are tallied by status here and folded in at the end;
        # their latencies go to the same pending dict (whose flush also takes the maximum).
        tallies = self._tallies
        skipped = tallies.skipped
        max_len = self.settings.max_line_bytes
        end_marker, sql_marker = self._end_marker, self._sql_marker
        event_field, end_event = self._event_field, self._end_event
        latency_field = self._latency_fields[0] if self._latency_fields else None
        status_field, path_field, request_id_field = self._status_field, self._path_field, self._request_id_field
        route_field, method_field, sampled_field = self._route_field, self._method_field, self._sampled_field
        sampled_paths, slow_ms = self._sampled_paths, self._slow_ms
        by_template = self._by_template
        windowed = self.since is not None
        parse_candidate, classify_other = self._parse_candidate, self._classify_other
        request_end, other_event = self._request_end, self._event
        pending = self._pending_ms
        parse, infinity = _fast_json_parser(), _INFINITY
        keys_only = parse is from_json and _FROM_JSON_CACHES_KEYS  # the call spelled out: 0.1 us a line
        by_status: dict[int, int] = {}  # status -> count of the requests taken inline
        counted = other = with_request_id = 0
        try:
            for line in lines:
                counted += 1
                if len(line) > max_len:
                    skipped["oversized"] += 1
                    continue
                if type(line) is bytes:
                    try:
                        line = line.decode()
                    except UnicodeDecodeError:
                        skipped["invalid_utf8"] += 1
                        continue
                elif type(line) is not str:
                    try:
                        line = bytes(line).decode("utf-8")
                    except UnicodeDecodeError:
                        skipped["invalid_utf8"] += 1
                        continue
                if end_marker not in line:
                    if sql_marker in line:
                        parse_candidate(line)
                    elif line[:1] == "{" and (line[-1:] == "}" or line[-2:] == "}\n"):
                        other += 1  # what classify_other concludes for such a line
                    else:
                        classify_other(line)
                    continue
                if line[:1] != "{":
                    parse_candidate(line)
                    continue
                try:
                    event = from_json(line, cache_strings="keys") if keys_only else parse(line)
                except Exception:  # noqa: BLE001 - whatever it is, the careful path sees it the way it always has
                    parse_candidate(line)
                    continue
                get = event.get
                if get(event_field) != end_event:
                    other_event(event)
                    continue
                latency = get(latency_field)
                status = get(status_field)
                path = get(path_field)
                route = get(route_field)
                method = get(method_field)
                if (
                    windowed
                    or type(status) is not int
                    or not 100 <= status <= 599
                    or not ((type(latency) is int or type(latency) is float) and 0 <= latency < infinity)
                    or type(path) is not str
                    or path in sampled_paths
                    or "?" in path
                    or type(route) is not str
                    or not route
                    or "?" in route
                    or type(method) is not str
                    or not method
                    or get(sampled_field) is True
                ):
                    request_end(event)
                    continue
                try:
                    by_status[status] += 1
                except KeyError:
                    by_status[status] = 1
                request_id = get(request_id_field)
                if request_id and type(request_id) is str:
                    with_request_id += 1
                try:
                    pending[latency] += 1
                except KeyError:
                    pending[latency] = 1
                    if len(pending) >= _PENDING_FLUSH_AT:
                        self._flush_pending()
                try:
                    per_route = by_template[route][method]
                except KeyError:
                    per_route = self._template_route(route, method)
                exact = per_route.pending
                try:
                    exact[latency] += 1
                except KeyError:
                    exact[latency] = 1
                    if len(exact) >= per_route.flush_at:
                        per_route.flush()
                if latency > slow_ms:
                    self._count_slow(event, latency)
        finally:
            tallies.lines += counted
            tallies.other_lines += other
            tallies.with_request_id += with_request_id
            status_classes = tallies.status_classes
            for status, count in by_status.items():
                tallies.requests += count
                status_class = _STATUS_CLASSES[status // 100]
                status_classes[status_class] = status_classes.get(status_class, 0) + count
                if status == 429:
                    tallies.rate_limited += count
        return self

    def _feed_careful(self, lines: Iterable[str | bytes]) -> LogAnalyzer:
        """What ``feed_all`` does, line by line through the general path only: the reference it is tested against."""
        tallies = self._tallies
        skipped = tallies.skipped
        max_len = self.settings.max_line_bytes
        end_marker, sql_marker = self._end_marker, self._sql_marker
        for line in lines:
            tallies.lines += 1
            if len(line) > max_len:
                skipped["oversized"] += 1
                continue
            if type(line) is not str:
                try:
                    line = bytes(line).decode("utf-8")
                except UnicodeDecodeError:
                    skipped["invalid_utf8"] += 1
                    continue
            if end_marker in line or sql_marker in line:
                self._parse_candidate(line)
            else:
                self._classify_other(line)
        return self

    def summary(self) -> LogSummary:
        self._flush_pending()
        tallies, settings = self._tallies, self.settings
        return LogSummary(
            lines=tallies.lines,
            requests=tallies.requests,
            crashed=tallies.crashed,
            sampled_requests=tallies.sampled_requests,
            sampled_by_path=dict(self._sampled.top(len(self._sampled.counts))),
            latency=self._latency(),
            status_classes={key: count for key, count in tallies.status_classes.items() if count or key != "other"},
            rate_limited=tallies.rate_limited,
            error_rate=tallies.status_classes["5xx"] / tallies.requests if tallies.requests else None,
            slow_requests=tallies.slow,
            very_slow_requests=tallies.very_slow,
            slow_routes=self._slow_routes.top(settings.top_n),
            slow_sql=tallies.slow_sql,
            slow_sql_statements=self._slow_statements.top(settings.top_n),
            slowest_sql=[SlowQuery(ms, statement, request_id)
                         for ms, _, statement, request_id in sorted(self._slowest_sql, key=lambda q: (-q[0], -q[1]))],
            routes=self._route_summaries(),
            with_request_id=tallies.with_request_id,
            outside_window=tallies.outside_window,
            other_lines=tallies.other_lines,
            skipped=dict(tallies.skipped),
            since=self.since,
            slow_ms=settings.slow_ms,
            very_slow_ms=settings.very_slow_ms,
        )

    # -- classification -----------------------------------------------------------

    def _classify_other(self, line: str) -> None:
        """A line without either event's marker: another event, a cut line, or not JSON. Not parsed."""
        if _json_start(line) >= 0:
            # A cut line may have lost its marker: its missing "}" still gives it away.
            if line.rstrip().endswith("}"):
                self._tallies.other_lines += 1
            else:
                self._tallies.skipped["truncated_json"] += 1
        elif line.strip():
            self._tallies.skipped["non_json"] += 1
        else:
            self._tallies.skipped["empty"] += 1

    def _parse_candidate(self, line: str) -> None:
        event = _decode_object(line)
        if type(event) is not dict:
            self._tallies.skipped[event] += 1
            return
        self._event(event)

    def _event(self, event: dict[str, Any]) -> None:
        name = event.get(self._event_field)
        if name == self._end_event:
            self._request_end(event)
        elif name == self._slow_sql_event or self._extra(event).get(self._event_field) == self._slow_sql_event:
            self._slow_sql(event)
        else:
            self._tallies.other_lines += 1

    def _extra(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event's nested fields (structlog's "extra"), or an empty dict."""
        extra = event.get(self._extra_field)
        return extra if type(extra) is dict else {}

    def _in_window(self, event: dict[str, Any], extra: dict[str, Any] | None = None) -> bool | None:
        """True/False against ``since``; None when a window is set and the event has no usable time."""
        if self.since is None:
            return True
        moment = _timestamp(event.get(self.settings.timestamp_field))
        if moment is None and extra:
            moment = _timestamp(extra.get(self.settings.timestamp_field))
        if moment is None:
            return None
        return moment >= self.since

    # -- request.end ---------------------------------------------------------------------

    def _request_end(self, event: dict[str, Any]) -> None:
        # Every request.end that feed_all does not take inline comes here (and all of them
        # in _feed_careful): plain ints and floats are taken as they are, anything else goes
        # through the careful converters.
        tallies = self._tallies
        latency_ms: float | None = None
        for name in self._latency_fields:  # the first one present (and not null) wins
            value = event.get(name)
            if value is not None:
                plain = (type(value) is int or type(value) is float) and 0 <= value < _INFINITY
                latency_ms = value if plain else _milliseconds(value)
                break
        status = event.get(self._status_field)
        # Null, not absent: the handler raised and the client got a 500 (PLATFORM.md, Logs).
        crashed = status is None and self._status_field in event
        if type(status) is not int or not 100 <= status <= 599:
            status = 500 if crashed else _status_code(status)
        in_window = True if self.since is None else self._in_window(event)
        if latency_ms is None or status is None or in_window is None:
            tallies.skipped["missing_fields"] += 1
            return
        if not in_window:
            tallies.outside_window += 1
            return
        sampled_mark = event.get(self._sampled_field) is True
        path = event.get(self._path_field)
        if type(path) is not str:
            path = event.get(self._route_field)
        if type(path) is not str:
            path = None
        elif "?" in path:
            path = path.partition("?")[0]
        if sampled_mark or path in self._sampled_paths:
            # Out of the rates and the overall percentiles; in its route's view, marked.
            tallies.sampled_requests += 1
            self._sampled.add(path if path is not None else "(unknown)")
            self._record_route(event, latency_ms, sampled=True)
            return
        self._record_route(event, latency_ms, sampled=False)
        tallies.requests += 1
        status_classes = tallies.status_classes
        status_class = _STATUS_CLASSES[status // 100]
        status_classes[status_class] = status_classes.get(status_class, 0) + 1
        if crashed:
            tallies.crashed += 1
        elif status == 429:
            tallies.rate_limited += 1
        request_id = event.get(self._request_id_field)
        if request_id and type(request_id) is str:
            tallies.with_request_id += 1
        pending = self._pending_ms
        pending[latency_ms] = pending.get(latency_ms, 0) + 1
        if len(pending) >= _PENDING_FLUSH_AT:
            self._flush_pending()
        if latency_ms > self._slow_ms:
            self._count_slow(event, latency_ms)

    # -- per route --------------------------------------------------------------------------

    def _record_route(self, event: dict[str, Any], latency_ms: float, *, sampled: bool) -> None:
        route, method = event.get(self._route_field), event.get(self._method_field)
        try:
            per_route = self._by_template[route][method]
        except (KeyError, TypeError):  # TypeError: a list or an object where the route should be
            if type(route) is str and route and "?" not in route and type(method) is str and method:
                per_route = self._template_route(route, method)
            else:
                per_route = self._route_for(*self._route_name(event))
        if sampled:
            per_route.sampled = True
        exact = per_route.pending
        exact[latency_ms] = exact.get(latency_ms, 0) + 1
        if len(exact) >= per_route.flush_at:
            per_route.flush()

    def _route_name(self, event: dict[str, Any]) -> tuple[str, bool]:
        """"METHOD route template" and True, or "METHOD raw path" and False when the route is null."""
        method = event.get(self._method_field)
        if type(method) is not str or not method:
            method = "?"
        route = event.get(self._route_field)
        templated = type(route) is str and route != ""
        if not templated:
            route = event.get(self._path_field)
            if type(route) is not str or not route:
                route = "(unknown)"
        key = method + " " + route.partition("?")[0]
        return key[:_MAX_KEY_CHARS], templated

    def _template_route(self, route: str, method: str) -> _RouteLatencies:
        """``_route_for`` by template and method, remembered for feed_all unless it is "(other)"
        (whose keys are the unbounded rest)."""
        key = method + " " + route  # what _route_name gives for a route template
        per_route = self._route_for(key[:_MAX_KEY_CHARS], True)
        # Not remembered either when cut: endless long routes would share one key, each its own entry.
        if per_route is not self._other_route and len(key) <= _MAX_KEY_CHARS:
            self._by_template.setdefault(route, {})[method] = per_route
        return per_route

    def _route_for(self, key: str, templated: bool) -> _RouteLatencies:
        """The route's latencies, a new one while there is room, else the shared "(other)"."""
        per_route = self._routes.get(key)
        if per_route is not None:
            return per_route
        limit = _MAX_ROUTES if templated else _MAX_PATH_ROUTES
        if self._route_counts[templated] < limit:
            self._route_counts[templated] += 1
            per_route = self._routes[key] = _RouteLatencies()
            return per_route
        if self._other_route is None:
            self._other_route = _RouteLatencies()
        return self._other_route

    def _route_summaries(self) -> list[RouteLatency]:
        named = list(self._routes.items())
        if self._other_route is not None:
            named.append((OTHER_ROUTES, self._other_route))
        summaries = [per_route.summary(key) for key, per_route in named]
        return sorted(summaries, key=lambda route: (-route.count, route.route))

    def _count_slow(self, event: dict[str, Any], latency_ms: float) -> None:
        tallies = self._tallies
        tallies.slow += 1
        self._slow_routes.add(_route_key(event, self.settings))
        if latency_ms > self._very_slow_ms:
            tallies.very_slow += 1

    def _flush_pending(self) -> None:
        # Keys are the latencies as logged (ms, int or float; equal numbers share the first one's
        # key), recorded in us. The maximum is taken here too: the first of the largest, as a
        # running "if latency > max" over the lines in their order would keep.
        pending = self._pending_ms
        if not pending:
            return
        self._tallies.max_ms = max(self._tallies.max_ms, max(pending))  # on a tie, max() keeps the earlier
        record = self._histogram.record_value
        for latency_ms, count in pending.items():
            # Capped before int(): a logged 1e306 ms is inf in microseconds, and int(inf) raises.
            record(int(min(latency_ms * 1000, _HISTOGRAM_MAX_US)) or 1, count)
        pending.clear()

    def _latency(self) -> LatencySummary | None:
        if self._tallies.requests == 0:
            return None
        histogram = self._histogram

        def at(percentile: float) -> float:
            return round(histogram.get_value_at_percentile(percentile) / 1000, 3)

        return LatencySummary(p50_ms=at(50), p95_ms=at(95), p99_ms=at(99), max_ms=round(self._tallies.max_ms, 3))

    # -- slow_sql -------------------------------------------------------------------------

    def _slow_sql(self, event: dict[str, Any]) -> None:
        # The platform nests the fields under "extra"; other platforms log them at the top.
        extra = self._extra(event)
        in_window = self._in_window(event, extra)
        if in_window is None:
            self._tallies.skipped["missing_fields"] += 1
            return
        if not in_window:
            self._tallies.outside_window += 1
            return
        self._tallies.slow_sql += 1
        settings = self.settings
        statement = _first(extra, event, settings.sql_fields, _text)
        shape = normalize_sql(statement) if statement else "(no statement)"
        self._slow_statements.add(shape)
        query_ms = _first(extra, event, settings.sql_latency_fields, _milliseconds)
        if query_ms is not None:
            request_id = _first(extra, event, (settings.request_id_field,), _text)
            self._keep_slowest_sql(query_ms, shape, None if request_id is None else request_id[:_MAX_KEY_CHARS])

    def _keep_slowest_sql(self, query_ms: float, shape: str, request_id: str | None) -> None:
        # Ranked by time, then by arrival: on a tie the earlier query stays.
        heap = self._slowest_sql
        entry = (query_ms, -self._tallies.slow_sql, shape, request_id)
        if len(heap) < self.settings.top_n:
            heapq.heappush(heap, entry)
        elif entry[:2] > heap[0][:2]:
            heapq.heapreplace(heap, entry)


def analyze_lines(lines: Iterable[str | bytes], settings: LogSettings | None = None, *, since: datetime | None = None) -> LogSummary:
    """One pass over ``lines``; see LogAnalyzer."""
    return LogAnalyzer(settings, since=since).feed_all(lines).summary()


def split_lines(chunks: Iterable[bytes], max_line_bytes: int = 65536) -> Iterator[bytes]:
    """Lines from a stream of byte chunks (e.g. docker's log stream), holding at most one line.

    A line longer than ``max_line_bytes`` is cut to ``max_line_bytes + 1``
    bytes, which the analyzer counts as oversized, and the rest is dropped.
    """
    buffer = bytearray()
    overflowing = False
    for chunk in chunks:
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            piece = chunk[start:] if newline < 0 else chunk[start:newline]
            if not overflowing:
                buffer += piece
                if len(buffer) > max_line_bytes:
                    del buffer[max_line_bytes + 1 :]
                    overflowing = True
            if newline < 0:
                break
            yield bytes(buffer).rstrip(b"\r")
            buffer.clear()
            overflowing = False
            start = newline + 1
    if buffer:
        yield bytes(buffer).rstrip(b"\r")


def decoded_lines(chunks: Iterable[bytes], max_line_bytes: int = 65536) -> Iterator[str]:
    """``split_lines`` as text, for readers that search lines: an invalid UTF-8 byte becomes U+FFFD."""
    for line in split_lines(chunks, max_line_bytes):
        yield line.decode("utf-8", "replace")


def normalize_sql(statement: str) -> str:
    """Group statements by shape and keep literal values (possibly personal data) out of evidence."""
    shape = _SQL_STRING.sub("?", statement)
    shape = _SQL_NUMBER.sub("?", shape)
    shape = _WHITESPACE.sub(" ", shape).strip()
    return shape[:_MAX_KEY_CHARS]


def _decode_object(line: str) -> dict[str, Any] | str:
    """The JSON object on the line, or the skip reason (a str) when there is none."""
    start = 0 if line[:1] == "{" else _json_start(line)
    if start < 0:
        return "non_object" if _is_json(line) else "non_json"
    try:
        # The C scanner behind json.loads, called directly: a third faster on short lines.
        event, end = _scan_json(line, start)
    except (StopIteration, ValueError, RecursionError):
        return "non_json" if line.rstrip().endswith("}") else "truncated_json"
    if end != len(line) and line[end:].strip():
        return "non_json"
    return event


def _fast_json_parser() -> Callable[[str], Any]:
    """A JSON parser that gives what ``_decode_object`` gives for a line starting with "{",
    or raises, and the caller then takes the careful path.

    pydantic-core's ``from_json`` (pydantic's own parser, so already installed) parses a
    log line in about 60% of the stdlib's time. Where the two differ it raises instead
    (lone surrogates, deeper nesting than it allows, integers over 4300 digits). The one
    setting that would make the stdlib the stricter one, a lower
    ``sys.set_int_max_str_digits``, makes this the stdlib scanner itself.
    """
    limit = sys.get_int_max_str_digits()
    if limit and limit < _DEFAULT_INT_DIGITS:
        return _stdlib_json
    return from_json


def _stdlib_json(line: str) -> Any:
    try:
        event, end = _scan_json(line, 0)
    except StopIteration as error:
        raise ValueError("not JSON") from error
    if end != len(line) and line[end:].strip():
        raise ValueError("not JSON: data after the object")
    return event


def _from_json_caches_keys() -> bool:
    try:
        from_json("{}", cache_strings="keys")  # pydantic-core >= 2.18: keep only the keys, which repeat, cached
    except TypeError:
        return False
    return True


_FROM_JSON_CACHES_KEYS = _from_json_caches_keys()


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _json_start(line: str) -> int:
    """Where a JSON object starts in the line (after blanks or a docker timestamp), or -1."""
    if line[:1] == "{":
        return 0
    stripped = line.lstrip()
    if stripped[:1] == "{":
        return len(line) - len(stripped)
    if line[:1].isdigit():
        prefix = _DOCKER_TIMESTAMP.match(line)
        if prefix:
            return prefix.end()
    return -1


def _first(extra: dict[str, Any], event: dict[str, Any], names: Iterable[str],
           convert: Callable[[Any], Any]) -> Any:
    """The first usable value of ``names``, in the nested fields first, then at the top level."""
    for fields in (extra, event):
        for name in names:
            value = convert(fields.get(name))
            if value is not None:
                return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _milliseconds(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    try:
        number = float(number)
    except OverflowError:
        return None
    if math.isnan(number) or math.isinf(number) or number < 0:
        return None
    return number


def _status_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit() and len(value) == 3:
        value = int(value)
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    return None


def _timestamp(value: Any) -> datetime | None:
    try:
        if isinstance(value, str):
            return _as_utc(datetime.fromisoformat(value))
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _as_utc(moment: datetime) -> datetime:
    # Naive times in logs are UTC by the platform's convention (structlog's "Z" timestamps).
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _route_key(event: dict[str, Any], settings: LogSettings) -> str:
    for key in (settings.route_field, settings.path_field):
        value = event.get(key)
        if isinstance(value, str) and value:
            return value.partition("?")[0][:_MAX_KEY_CHARS]
    return "(unknown)"
