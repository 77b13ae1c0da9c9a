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

from pydantic_core import from_json

from examday.facts.log_analysis.careful import INFINITY, STATUS_CLASSES, CarefulAnalyzer
from examday.facts.log_analysis.error_log import INFO_MARK
from examday.facts.log_analysis.fields import _FROM_JSON_CACHES_KEYS, _fast_json_parser
from examday.facts.log_analysis.limits import _PENDING_FLUSH_AT
from examday.facts.log_analysis.model import LogSummary
from examday.facts.log_analysis.settings import LogSettings


class LogAnalyzer(CarefulAnalyzer):
    """Feed lines, then ask for ``summary()``. Memory stays bounded whatever the input."""

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
        request_end, other_event, other_object = self._request_end, self._event, self._other_object_line
        server_error = self._errors.server_error
        pending = self._overall.pending
        parse, infinity = _fast_json_parser(), INFINITY
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
                        if INFO_MARK in line:
                            other += 1  # what classify_other concludes for such a line
                        else:
                            other_object(line)  # maybe an error: looked at closer
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
                    other_event(event, line)
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
                if status >= 500:
                    server_error(event, status, False, latency)
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
                status_class = STATUS_CLASSES[status // 100]
                status_classes[status_class] = status_classes.get(status_class, 0) + count
                if status == 429:
                    tallies.rate_limited += count
        return self



def analyze_lines(lines: Iterable[str | bytes], settings: LogSettings | None = None, *, since: datetime | None = None) -> LogSummary:
    """One pass over ``lines``; see LogAnalyzer."""
    return LogAnalyzer(settings, since=since).feed_all(lines).summary()
