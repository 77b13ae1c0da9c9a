"""Log streams as a broken backend or a full disk leaves them: every line counted in one bucket, nothing fatal.

tests/facts/test_log_analysis.py holds the analyzer's own cases and its line-level
properties; here the lines come from a real file in real chunks (binary data,
invalid UTF-8, a multi-megabyte line, JSON cut at the end of the stream), the
docker probe's line reader meets a huge line, and latencies go past what a
histogram of microseconds can hold.
"""

from __future__ import annotations

import json
import math
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from examday.probes.docker import DockerProbe
from examday.facts.log_analysis import OTHER_ROUTES, LogAnalyzer, analyze_lines
from examday.probes.line_framing import decoded_lines, split_lines
from tests.facts.test_log_analysis import ANSWER, answer_end, balanced, end, platform_end, slow_sql_line

CHUNK = 4096
HOUR_MS = 3_600_000


def chunks_of(path: Path, size: int = CHUNK) -> Iterator[bytes]:
    """The file as a stream of fixed-size chunks, the way bytes arrive from docker or a pipe."""
    with path.open("rb") as stream:
        while chunk := stream.read(size):
            yield chunk


def hostile_log(path: Path) -> Path:
    """Four good requests among every kind of damage, the last line cut mid-object without a newline."""
    good = end().encode()
    lines = [
        good,
        b"\x00\x01 core dumped \x00\x7f",              # binary, but valid UTF-8: not JSON
        b"\xff\xfe\x00garbage\x80",                     # not UTF-8 at all
        end(path="/v1/cafe").encode().replace(b"cafe", b"caf\xe9"),  # a Latin-1 byte inside JSON
        end(padding="x" * 3_000_000).encode(),          # 3 MB: one line, many chunks
        b"",
        good + b"\r",                                   # CRLF
        good,
        good,
        end().encode()[:37],                            # the write the crash cut short
    ]
    path.write_bytes(b"\n".join(lines))
    return path


def test_a_hostile_log_file_read_in_chunks_is_counted_line_by_line(tmp_path: Path) -> None:
    summary = analyze_lines(split_lines(chunks_of(hostile_log(tmp_path / "backend.log"))))
    assert summary.lines == 10 and summary.requests == 4
    assert {reason: count for reason, count in summary.skipped.items() if count} == {
        "non_json": 1, "invalid_utf8": 2, "oversized": 1, "empty": 1, "truncated_json": 1}
    assert balanced(summary)


def test_the_docker_probes_text_lines_replace_bad_bytes_and_keep_the_request(tmp_path: Path) -> None:
    """What DockerProbe.logs yields: text, so a stray Latin-1 byte in a path costs a character, not the request."""
    lines = list(decoded_lines(chunks_of(hostile_log(tmp_path / "backend.log"))))
    summary = analyze_lines(lines)
    assert summary.requests == 5 and summary.skipped["invalid_utf8"] == 0
    assert summary.skipped["non_json"] == 2 and summary.skipped["oversized"] == 1
    assert balanced(summary)


def test_one_huge_line_costs_the_docker_probe_neither_memory_nor_time() -> None:
    """32 MiB without a newline: the reader keeps at most one bounded line (it used to re-scan and hold it all)."""
    line = b'{"event": "request.end", "padding": "' + b"x" * (32 << 20)

    def stream() -> Iterator[bytes]:
        for start in range(0, len(line), 16384):
            yield line[start:start + 16384]
        yield b'"}\n' + end().encode() + b"\n"

    tracemalloc.start()
    try:
        lines = list(DockerProbe()._lines(stream(), max_line_bytes=65536))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [len(text) for text in lines] == [65537, len(end())]
    assert peak < 2 << 20, f"peak {peak} bytes"
    assert analyze_lines(lines).skipped["oversized"] == 1


def test_latencies_past_an_hour_are_capped_in_the_percentiles_not_fatal() -> None:
    lines = [end(ms=1e308), end(ms="1e308"), end(ms=1.7e305), end(ms=10**400), end(ms=5)]
    fast = analyze_lines(lines)
    assert fast == LogAnalyzer()._feed_careful(lines).summary()
    assert fast.requests == 5 and fast.latency is not None
    assert HOUR_MS <= fast.latency.p99_ms < HOUR_MS * 1.01
    assert fast.latency.p50_ms >= HOUR_MS and fast.very_slow_requests == 4
    json.dumps(fast.as_evidence())


def test_a_scanner_burst_of_unmatched_paths_cannot_crowd_out_the_route_templates() -> None:
    """Route null (no route matched): keyed by raw path, but with a share of their own, bounded."""
    scanner = [platform_end("GET", f"/wp-admin/{n}.php", None, 404, n % 7) for n in range(5000)]
    templates = [platform_end("GET", f"/v1/t{n}/{{item_id}}", f"/v1/t{n}/{{item_id}}", 200, n % 900)
                 for n in range(300)]
    lines = scanner + templates + [answer_end(200, 250) for _ in range(10)]
    tracemalloc.start()
    try:
        summary = analyze_lines(lines)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    names = [route.route for route in summary.routes]
    assert len(names) == 100 + 20 + 1 and OTHER_ROUTES in names
    assert sum(route.count for route in summary.routes) == len(lines)
    assert "GET /v1/t0/{item_id}" in names and "GET /wp-admin/0.php" in names
    assert summary.route(f"POST {ANSWER}") is None  # past the 100 templates: folded into "(other)", not lost
    assert summary.route(OTHER_ROUTES).count == (5000 - 20) + (300 - 100) + 10  # type: ignore[union-attr]
    assert peak < 8 << 20, f"peak {peak} bytes"
    assert summary == LogAnalyzer()._feed_careful(lines).summary()


def test_hostile_slow_sql_extra_and_null_statuses_are_counted_not_fatal() -> None:
    lines = [
        json.dumps({"extra": "slow_sql", "event": "slow_sql", "timestamp": "2026-11-28T20:13:17Z"}),
        json.dumps({"extra": ["slow_sql"], "event": "slow_sql"}),
        json.dumps({"extra": None, "event": "slow_sql", "query_ms": "nan"}),
        json.dumps({"extra": {"event": "slow_sql", "query_ms": True, "sql": 42, "request_id": ["x"]}, "event": "slow_sql"}),
        json.dumps({"extra": {"event": "slow_sql", "query_ms": 10**400, "sql": "x" * 5000}, "event": "slow_sql"}),
        json.dumps({"extra": {"extra": {"event": "slow_sql"}}, "event": "other"}),  # only one level is read
        slow_sql_line(1e308, "SELECT 1"),
        answer_end(None, 5)[:60],  # a crash cut short
        json.dumps({**json.loads(answer_end(None, 5)), "duration_ms": "12"}),
        json.dumps({**json.loads(answer_end(None, 5)), "method": None, "route": None, "path": None}),
    ]
    summary = analyze_lines(lines)
    assert summary.slow_sql == 6 and summary.other_lines == 1
    assert [query.query_ms for query in summary.slowest_sql] == [1e308]
    assert summary.skipped["truncated_json"] == 1
    assert (summary.requests, summary.crashed, summary.server_errors) == (2, 2, 2)
    assert summary.route("? (unknown)") is not None
    assert balanced(summary)
    json.dumps(summary.as_evidence())


# --- properties ------------------------------------------------------------------------------------------------

# Next to arbitrary numbers, the edges: the largest float, the first whose microseconds overflow, an hour, -0.0.
_numbers = st.floats() | st.integers(-(10**30), 10**400) | st.sampled_from([1.7976931348623157e308, 1.8e305, 3.6e6, -0.0])
_latencies = _numbers | _numbers.map(str) | st.floats().map(repr)


def _usable(latency: Any) -> bool:
    """What the analyzer takes as a latency: an int >= 0 (however large), a finite float >= 0, or a string of one."""
    if isinstance(latency, int):
        return latency >= 0
    try:
        value = float(latency)
    except (OverflowError, ValueError):
        return False
    return math.isfinite(value) and value >= 0


@settings(max_examples=200, deadline=None)
@given(st.lists(_latencies, min_size=1, max_size=20))
def test_any_latency_is_a_request_or_a_counted_skip(latencies: list[Any]) -> None:
    lines = [end(ms=latency) for latency in latencies]
    fast = analyze_lines(lines)
    assert fast == LogAnalyzer()._feed_careful(lines).summary()
    assert fast.requests == sum(_usable(latency) for latency in latencies)
    assert fast.requests + fast.skipped["missing_fields"] == len(lines)
    if fast.latency is not None:
        assert 0 <= fast.latency.p50_ms <= fast.latency.p99_ms < HOUR_MS * 1.01
    json.dumps(fast.as_evidence())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=64) | st.sampled_from([b"\n", b"\r\n", b"\xff", b"{", end().encode()]), max_size=40),
       st.integers(256, 2048))
def test_a_byte_stream_cut_anywhere_gives_the_same_lines(pieces: list[bytes], max_line: int) -> None:
    """Where the chunk boundaries fall never changes the lines, in bytes or as the docker probe's text."""
    raw = b"".join(pieces)
    whole = list(split_lines([raw], max_line))
    assert list(split_lines(iter(pieces), max_line)) == whole
    assert list(decoded_lines(iter(pieces), max_line)) == [line.decode("utf-8", "replace") for line in whole]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([None, 200, 201, 404, 429, 500, 503]) | st.integers(0, 700) | st.just("null"), max_size=40))
def test_every_null_status_is_a_crash_and_a_5xx(statuses: list[Any]) -> None:
    """Null (JSON null) is a crash; an absent status (here: the string "null" stands for leaving it out) is not."""
    lines = []
    for status in statuses:
        line = answer_end(status if status != "null" else 200, 10)
        if status == "null":
            line = json.dumps({key: value for key, value in json.loads(line).items() if key != "status_code"})
        lines.append(line)
    summary = analyze_lines(lines)
    usable = [status for status in statuses if status is None or (isinstance(status, int) and 100 <= status <= 599)]
    assert summary.crashed == statuses.count(None)
    assert summary.server_errors == sum(status is None or status >= 500 for status in usable)
    assert summary.requests == len(usable)
    assert summary.skipped["missing_fields"] == len(statuses) - len(usable)
    assert summary == LogAnalyzer()._feed_careful(lines).summary()


def test_endless_long_route_templates_share_one_bounded_route() -> None:
    """Routes cut to the same 200-character key: one route, and nothing remembered per distinct template."""
    lines = [platform_end("GET", f"/v1/{'a' * 300}/{n}", f"/v1/{'a' * 300}/{n}", 200, 5) for n in range(2000)]
    analyzer = LogAnalyzer().feed_all(lines)
    summary = analyzer.summary()
    assert [(route.route, route.count) for route in summary.routes] == [(("GET /v1/" + "a" * 300)[:200], 2000)]
    assert analyzer._routes.by_template == {}
    assert summary == LogAnalyzer()._feed_careful(lines).summary()
