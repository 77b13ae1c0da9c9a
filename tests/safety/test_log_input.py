"""Log streams as a broken backend or a full disk leaves them: every line counted in one bucket, nothing fatal.

tests/probes/test_logs.py holds the analyzer's own cases and its line-level
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
from examday.probes.logs import LogAnalyzer, analyze_lines, decoded_lines, split_lines
from tests.probes.test_logs import balanced, end

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
