"""The analyser's state and its careful path: every line and event decided by the general rules.

``CarefulAnalyzer`` holds what the pass counts (tallies, histograms, the bounded tables) and the
per-line and per-event methods that decide where a line lands; ``_feed_careful`` runs every
line through them alone, and is the reference the fast loop of ``LogAnalyzer.feed_all``
(analyzer.py) is tested against: the fast loop decides the common shapes inline and hands
everything else to these methods.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from examday.facts.log_analysis.error_log import INFO_MARK, ErrorLog
from examday.facts.log_analysis.fields import _as_utc, _decode_object, _json_start, _milliseconds, _route_key, _status_code, _timestamp
from examday.facts.log_analysis.limits import _PENDING_FLUSH_AT
from examday.facts.log_analysis.model import LogSummary
from examday.facts.log_analysis.routes import RouteTable
from examday.facts.log_analysis.settings import LogSettings
from examday.facts.log_analysis.slow_sql import SlowSqlTable
from examday.facts.log_analysis.tallies import OverallLatency, _BoundedCounter, _Tallies

INFINITY = float("inf")
STATUS_CLASSES = {1: "other", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}
Self = TypeVar("Self", bound="CarefulAnalyzer")


class CarefulAnalyzer:
    """The pass's state, the general per-line rules, and ``summary()``."""

    def __init__(self, settings: LogSettings | None = None, *, since: datetime | None = None) -> None:
        self.settings = settings or LogSettings.from_config()
        self.since = _as_utc(since) if since else None
        self._tallies = _Tallies()
        self._overall = OverallLatency()
        self._sampled = _BoundedCounter()
        self._slow_routes = _BoundedCounter()
        self._slow_sql_table = SlowSqlTable(self.settings)
        self._routes = RouteTable(self.settings)
        self._errors = ErrorLog(self.settings)
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


    def _feed_careful(self: Self, lines: Iterable[str | bytes]) -> Self:
        """What ``feed_all`` does, line by line through the general path only: the reference it is tested against."""
        for line in lines:
            self._tallies.lines += 1
            self._careful_line(line)
        return self

    def _careful_line(self, line: str | bytes) -> None:
        """One line (already counted in ``lines``) by the general rules alone."""
        skipped = self._tallies.skipped
        if len(line) > self.settings.max_line_bytes:
            skipped["oversized"] += 1
            return
        if type(line) is not str:
            try:
                line = bytes(line).decode("utf-8")
            except UnicodeDecodeError:
                skipped["invalid_utf8"] += 1
                return
        if self._end_marker in line or self._sql_marker in line:
            self._parse_candidate(line)
        else:
            self._classify_other(line)

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
            server_error_samples=list(self._errors.request_samples),
            error_lines=self._errors.error_lines,
            tracebacks=self._errors.tracebacks,
            error_line_samples=list(self._errors.line_samples),
        )

    # -- classification -----------------------------------------------------------

    def _classify_other(self, line: str) -> None:
        """A line without either event's marker: another event, a cut line, or not JSON. Not parsed."""
        if _json_start(line) >= 0:
            # A cut line may have lost its marker: its missing "}" still gives it away.
            if line.rstrip().endswith("}"):
                self._other_object_line(line)
            else:
                self._tallies.skipped["truncated_json"] += 1
        elif line.strip():
            self._tallies.skipped["non_json"] += 1
            self._errors.plain_line(line)  # uvicorn's ERROR lines, tracebacks
        else:
            self._tallies.skipped["empty"] += 1

    def _other_object_line(self, line: str) -> None:
        """A whole object that is neither event: another event, counted unparsed unless it may be an error."""
        self._tallies.other_lines += 1
        if INFO_MARK not in line:
            event = _decode_object(line)
            if type(event) is dict:
                self._errors.event(event, line)

    def _parse_candidate(self, line: str) -> None:
        event = _decode_object(line)
        if type(event) is not dict:
            self._tallies.skipped[event] += 1
            return
        self._event(event, line)

    def _event(self, event: dict[str, Any], line: str) -> None:
        name = event.get(self._event_field)
        if name == self._end_event:
            self._request_end(event)
        elif name == self._slow_sql_event or self._extra(event).get(self._event_field) == self._slow_sql_event:
            self._slow_sql(event)
        else:
            self._tallies.other_lines += 1
            self._errors.event(event, line)

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
                plain = (type(value) is int or type(value) is float) and 0 <= value < INFINITY
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
        status_class = STATUS_CLASSES[status // 100]
        status_classes[status_class] = status_classes.get(status_class, 0) + 1
        if status >= 500:
            self._errors.server_error(event, status, crashed, latency_ms)
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


