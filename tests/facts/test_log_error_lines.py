"""What the log analyser counts as an error, and the samples it keeps (facts/log_analysis/error_log.py)."""

from __future__ import annotations

import json

from examday.facts.log_analysis import LogAnalyzer, analyze_lines
from examday.facts.log_analysis.error_log import SAMPLES_KEPT
from tests.facts.test_log_analysis import answer_end, end, platform_end, slow_sql_line, start

TRACEBACK = ["Traceback (most recent call last):", '  File "/app/app/main.py", line 12, in handler',
             "ZeroDivisionError: division by zero"]
UVICORN_ERROR = "ERROR:    Exception in ASGI application"


def structlog_line(level: str, event: str = "redis.unavailable", **fields: object) -> str:
    return json.dumps({"event": event, **fields, "level": level, "timestamp": "2026-11-28T20:13:18.000001Z"})


def test_a_5xx_and_a_crash_are_sampled_with_their_request_ids_and_routes() -> None:
    lines = [answer_end(200, 12), answer_end(503, 40, request_id="req-503"), answer_end(None, 7, request_id="req-null")]
    summary = analyze_lines(lines)
    assert [(s.kind, s.request_id) for s in summary.server_error_samples] == [("5xx", "req-503"),
                                                                              ("crashed", "req-null")]
    assert summary.server_error_samples[0].text == "POST /v1/sessions/{session_id}/answer -> 503 in 40 ms"
    assert "null (crashed)" in summary.server_error_samples[1].text
    assert summary.server_error_samples[0].at == "2026-11-28T20:13:17.169850Z"


def test_error_level_events_uvicorn_errors_and_tracebacks_are_counted_within_their_buckets() -> None:
    lines = [start(), end(), structlog_line("error", request_id="req-e"), structlog_line("warning"),
             structlog_line("exception"), UVICORN_ERROR, *TRACEBACK, "INFO:     Started"]
    summary = analyze_lines(lines)
    assert summary.error_lines == 3  # the error and exception events, uvicorn's ERROR
    assert summary.tracebacks == 1  # one traceback, however many lines it prints
    assert [s.kind for s in summary.error_line_samples] == ["error line", "error line", "error line", "traceback"]
    assert summary.error_line_samples[0].request_id == "req-e"
    assert summary.error_line_samples[-1].text == "ZeroDivisionError: division by zero"  # the exception, not "Traceback"
    # Still where the analyser always put them: the accounting of every line holds.
    assert summary.other_lines == 4 and summary.skipped["non_json"] == 5
    assert summary.lines == summary.requests + summary.other_lines + sum(summary.skipped.values())


def test_latency_severity_error_on_a_request_and_on_slow_sql_is_not_an_error() -> None:
    """The platform marks a request over 1.5 s (and a query over 300 ms) `severity` error, at level
    info (warning): slow, and judged as latency; the runbook's grep would count them as errors."""
    lines = [platform_end("GET", "/v1/x", "/v1/x", 200, 2000, severity="error"), slow_sql_line(900, "SELECT 1")]
    summary = analyze_lines(lines)
    assert summary.error_lines == 0 and summary.server_error_samples == []


def test_only_the_latest_samples_are_kept() -> None:
    lines = [answer_end(500, 1, request_id=f"r{i}") for i in range(SAMPLES_KEPT + 5)]
    lines += [structlog_line("error", request_id=f"e{i}") for i in range(SAMPLES_KEPT + 5)]
    summary = analyze_lines(lines)
    assert [s.request_id for s in summary.server_error_samples] == [f"r{i}" for i in range(5, SAMPLES_KEPT + 5)]
    assert len(summary.error_line_samples) == SAMPLES_KEPT and summary.error_lines == SAMPLES_KEPT + 5


def test_the_fast_loop_and_the_careful_path_agree_on_errors() -> None:
    lines = [start(), answer_end(500, 3), answer_end(None, 2), structlog_line("critical"),
             json.dumps({"event": "x", "level": "error"}).replace(" ", ""),  # a compact spelling
             UVICORN_ERROR, *TRACEBACK, end(status=502)]
    fast = analyze_lines(lines)
    assert fast == LogAnalyzer()._feed_careful(lines).summary()
    assert fast.error_lines == 3 and fast.tracebacks == 1 and len(fast.server_error_samples) == 3


def test_a_chained_traceback_is_one_sample_of_its_last_exception() -> None:
    chained = [*TRACEBACK[:2], "KeyError: 'x'", "", "During handling of the above exception, another exception occurred:",
               "", *TRACEBACK]
    summary = analyze_lines([*chained, answer_end(200, 3)])
    assert summary.tracebacks == 2
    assert [s.text for s in summary.error_line_samples] == ["KeyError: 'x'", "ZeroDivisionError: division by zero"]
