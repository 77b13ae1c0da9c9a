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

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic_core import from_json

from examday.facts.log_analysis.fields import (
    _FROM_JSON_CACHES_KEYS, _as_utc, _decode_object, _fast_json_parser, _json_start, _milliseconds, _route_key,
    _status_code, _timestamp,
)
from examday.facts.log_analysis.limits import _PENDING_FLUSH_AT
from examday.facts.log_analysis.model import LogSummary
from examday.facts.log_analysis.settings import LogSettings
from examday.facts.log_analysis.routes import RouteTable
from examday.facts.log_analysis.slow_sql import SlowSqlTable
from examday.facts.log_analysis.tallies import OverallLatency, _BoundedCounter, _Tallies

_INFINITY = float("inf")
_STATUS_CLASSES = {1: "other", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}


class LogAnalyzer:
    """Feed lines, then ask for ``summary()``. Memory stays bounded whatever the input."""

    def __init__(self, settings: LogSettings | None = None, *, since: datetime | None = None) -> None:
        self.settings = settings or LogSettings.from_config()
        self.since = _as_utc(since) if since else None
        self._tallies = _Tallies()
        self._overall = OverallLatency()
        self._sampled = _BoundedCounter()
        self._slow_routes = _BoundedCounter()
        self._slow_sql_table = SlowSqlTable(self.settings)
        self._routes = RouteTable(self.settings)
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
        by_template = self._routes.by_template
        windowed = self.since is not None
        parse_candidate, classify_other = self._parse_candidate, self._classify_other
        request_end, other_event = self._request_end, self._event
        pending = self._overall.pending
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
                        self._overall.flush()
                try:
                    per_route = by_template[route][method]
                except KeyError:
                    per_route = self._routes.for_template(route, method)
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
        self._overall.flush()
        tallies, settings = self._tallies, self.settings
        return LogSummary(
            lines=tallies.lines,
            requests=tallies.requests,
            crashed=tallies.crashed,
            sampled_requests=tallies.sampled_requests,
            sampled_by_path=dict(self._sampled.top(len(self._sampled.counts))),
            latency=self._overall.summary(tallies.requests),
            status_classes={key: count for key, count in tallies.status_classes.items() if count or key != "other"},
            rate_limited=tallies.rate_limited,
            error_rate=tallies.status_classes["5xx"] / tallies.requests if tallies.requests else None,
            slow_requests=tallies.slow,
            very_slow_requests=tallies.very_slow,
            slow_routes=self._slow_routes.top(settings.top_n),
            slow_sql=tallies.slow_sql,
            slow_sql_statements=self._slow_sql_table.top_statements(),
            slowest_sql=self._slow_sql_table.slowest(),
            routes=self._routes.summaries(),
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
        # Null, not absent: the handler raised and the client got a 500 (docs/platform.md, Logs).
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
            self._routes.record(event, latency_ms, sampled=True)
            return
        self._routes.record(event, latency_ms, sampled=False)
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
        pending = self._overall.pending
        pending[latency_ms] = pending.get(latency_ms, 0) + 1
        if len(pending) >= _PENDING_FLUSH_AT:
            self._overall.flush()
        if latency_ms > self._slow_ms:
            self._count_slow(event, latency_ms)

    def _count_slow(self, event: dict[str, Any], latency_ms: float) -> None:
        tallies = self._tallies
        tallies.slow += 1
        self._slow_routes.add(_route_key(event, self.settings))
        if latency_ms > self._very_slow_ms:
            tallies.very_slow += 1

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
        self._slow_sql_table.record(extra, event)


def analyze_lines(lines: Iterable[str | bytes], settings: LogSettings | None = None, *, since: datetime | None = None) -> LogSummary:
    """One pass over ``lines``; see LogAnalyzer."""
    return LogAnalyzer(settings, since=since).feed_all(lines).summary()
