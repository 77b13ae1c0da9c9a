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
``request.end`` or ``slow_sql`` event are classified by substring tests on
the text, without parsing, and a ``request.end`` of the common shape is read
by msgspec (end_fields.py), which decodes only the fields used. ``_fast_loop``
decides those shapes inline, on ASCII lines as str, and hands every other line,
whole, to ``_careful_line``; ``_feed_careful`` is that careful path alone, the
reference the tests hold ``feed_all`` and ``feed_blocks`` (a log read in blocks
of bytes, blocks.py) to. bench/bench_logs.py measures it against jq.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from msgspec.structs import astuple

from examday.facts.log_analysis.blocks import split_blocks
from examday.facts.log_analysis.careful import STATUS_CLASSES, CarefulAnalyzer
from examday.facts.log_analysis.end_fields import end_fields_reader, fast_line_limit
from examday.facts.log_analysis.error_log import INFO_MARK
from examday.facts.log_analysis.fields import _timestamp
from examday.facts.log_analysis.limits import _PENDING_FLUSH_AT
from examday.facts.log_analysis.model import LogSummary
from examday.facts.log_analysis.settings import LogSettings

# A whole object, as read from a file (newline kept, CRLF too: the careful path strips the end) or not.
_OBJECT_ENDS = ("}", "}\n", "}\r", "}\r\n")
_LEVEL_TAIL = -96  # structlog writes "level" second to last: looked for there first


class LogAnalyzer(CarefulAnalyzer):
    """Feed lines, then ask for ``summary()``. Memory stays bounded whatever the input."""

    def __init__(self, settings: LogSettings | None = None, *, since: datetime | None = None) -> None:
        super().__init__(settings, since=since)
        self._decode_end = end_fields_reader(self.settings)
        self._fast_limit = fast_line_limit(self.settings)

    def feed(self, line: str | bytes) -> None:
        self.feed_all((line,))

    def feed_all(self, lines: Iterable[str | bytes]) -> LogAnalyzer:
        """Feed many lines. Each lands where ``_feed_careful`` would put it, only sooner."""
        return self._fast_loop(self._ascii_texts(lines), "")

    def feed_blocks(self, blocks: Iterable[bytes]) -> LogAnalyzer:
        """Feed a log as blocks of bytes (e.g. ``read(BLOCK_BYTES)`` of a file): every line lands where
        ``_feed_careful`` over the file's lines (binary, each with its newline) would put it."""
        for ascii_lines, lines in split_blocks(blocks, self.settings.max_line_bytes):
            if ascii_lines:
                self._fast_loop(lines, "\n")  # type: ignore[arg-type]
            else:
                self.feed_all(lines)
        return self

    def _ascii_texts(self, lines: Iterable[str | bytes]) -> Iterator[str]:
        """The ASCII lines as str, in order; any other line straight to the careful path, in its turn."""
        # Substring tests on str cost half those on bytes (see blocks.py); ASCII decodes to the same text.
        careful = self._careful_line
        tallies = self._tallies
        for line in lines:
            if type(line) is bytes and line.isascii():
                yield line.decode("ascii")
            elif type(line) is str and line.isascii():
                yield line
            else:
                tallies.lines += 1
                careful(line)

    def _fast_loop(self, texts: Iterable[str], newline: str) -> LogAnalyzer:
        """The hot loop, on ASCII str lines in order; ``newline`` is what each line had after it in
        the input ("" when the lines came whole), given back with the line to the careful path."""
        # Decided inline, with local counters: a line that mentions neither event and is a whole
        # object at level info (another event: counted, not parsed), and a request.end whose fields
        # are plain. Any other line goes, as it came, to _careful_line, which decides it as it always
        # has (on an ASCII line, str and bytes read alike). Inline requests are tallied by status here
        # and folded in at the end.
        tallies = self._tallies
        careful = self._careful_line
        limit = self._fast_limit - len(newline)  # the line as the careful path sees it, newline included
        end_marker, sql_marker = self._end_marker, self._sql_marker
        decode = self._decode_end
        end_event, slow_ms, windowed = self._end_event, self._slow_ms, self.since is not None
        sampled_paths, add_sampled = self._sampled_paths, self._sampled.add
        by_template, for_template = self._routes.by_template, self._routes.for_template
        pending = self._overall.pending
        by_status: dict[int, int] = {}  # status -> count of the requests taken inline
        counted = other = with_request_id = sampled = 0
        try:
            for data in texts:
                counted += 1
                if len(data) > limit:  # long: decoded and judged with care
                    careful(data + newline)
                    continue
                if end_marker not in data:
                    if (sql_marker not in data and data[:1] == "{" and data.endswith(_OBJECT_ENDS)
                            and (data.find(INFO_MARK, _LEVEL_TAIL) >= 0 or INFO_MARK in data)):
                        other += 1  # what _classify_other concludes for such a line
                    else:
                        careful(data + newline)
                    continue
                try:
                    end = astuple(decode(data))
                    event, latency, status, path, route, method, request_id, sampled_mark, moment = end
                except Exception:  # noqa: BLE001 - not JSON, or not an object: the careful path says which
                    careful(data + newline)
                    continue
                # Types are checked by the decoder. Only what _request_end would merely count: no 5xx
                # to sample, not slow, a route template, no query string to cut off a sampled path.
                if (event != end_event or not 100 <= status <= 599 or not 0 <= latency <= slow_ms
                        or "?" in path or not route or "?" in route or not method or sampled_mark is True
                        or (status >= 500 and path not in sampled_paths)
                        or (windowed and not self._after_since(moment))):
                    careful(data + newline)
                    continue
                try:
                    per_route = by_template[route][method]
                except KeyError:
                    per_route = for_template(route, method)
                exact = per_route.pending
                try:
                    exact[latency] += 1
                except KeyError:
                    exact[latency] = 1
                    if len(exact) >= per_route.flush_at:
                        per_route.flush()
                if path in sampled_paths:  # out of the rates and the percentiles; in its route, marked
                    sampled += 1
                    add_sampled(path)
                    per_route.sampled = True
                    continue
                try:
                    by_status[status] += 1
                except KeyError:
                    by_status[status] = 1
                if request_id and type(request_id) is str:
                    with_request_id += 1
                try:
                    pending[latency] += 1
                except KeyError:
                    pending[latency] = 1
                    if len(pending) >= _PENDING_FLUSH_AT:
                        self._overall.flush()
        finally:
            tallies.lines += counted
            tallies.other_lines += other
            tallies.with_request_id += with_request_id
            tallies.sampled_requests += sampled
            self._fold_statuses(by_status)
        return self

    def _after_since(self, moment: Any) -> bool:
        stamp = _timestamp(moment)
        return stamp is not None and self.since is not None and stamp >= self.since

    def _fold_statuses(self, by_status: dict[int, int]) -> None:
        tallies = self._tallies
        status_classes = tallies.status_classes
        for status, count in by_status.items():
            tallies.requests += count
            status_class = STATUS_CLASSES[status // 100]
            status_classes[status_class] = status_classes.get(status_class, 0) + count
            if status == 429:
                tallies.rate_limited += count


def analyze_lines(lines: Iterable[str | bytes], settings: LogSettings | None = None, *, since: datetime | None = None) -> LogSummary:
    """One pass over ``lines``; see LogAnalyzer."""
    return LogAnalyzer(settings, since=since).feed_all(lines).summary()
