"""The recorder: latency from the scheduled time, outcome classes, the per-second series."""

from __future__ import annotations

import datetime as dt

import pytest

from examday.rehearsal.recorder import Recorder, status_class
from examday.rehearsal.wire import CONNECTION, TIMEOUT, Job

STARTED_AT = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def finished(scheduled: float, sent: float, done: float, status: int = 200, failure: str | None = None) -> Job:
    return Job(scheduled, b"", sent_at=sent, done_at=done, status=status, failure=failure, detail=failure or "")


@pytest.mark.parametrize("status, expected", [(200, "2xx"), (201, "2xx"), (304, "3xx"), (404, "4xx"),
                                              (429, "429"), (500, "5xx"), (503, "5xx"), (101, "3xx")])
def test_statuses_fall_into_their_class(status, expected):
    assert status_class(status) == expected


def test_latency_counts_from_the_scheduled_time_and_lateness_is_kept_apart():
    recorder = Recorder(100.0, STARTED_AT)
    # scheduled at 0.5 s, sent 2 s late (the generator was queued behind a stall), answered 10 ms later
    recorder.record(finished(100.5, 102.5, 102.51))
    result = recorder.result(planned=1, stopped_by=None, now=103.0)
    assert result.p50_ms == pytest.approx(2010, rel=1e-3)
    assert result.send_lag_max_ms == pytest.approx(2000, rel=1e-3)


def test_outcomes_are_counted_by_class_and_only_answers_and_timeouts_have_a_latency():
    recorder = Recorder(0.0, STARTED_AT)
    recorder.record(finished(0.1, 0.1, 0.2))
    recorder.record(finished(0.1, 0.1, 0.3, status=503))
    recorder.record(finished(0.1, 0.1, 0.4, status=429))
    recorder.record(finished(0.1, 0.1, 5.1, status=0, failure=TIMEOUT))
    recorder.record(finished(0.1, 0.1, 0.1, status=0, failure=CONNECTION))
    recorder.not_sent("capped", 7)
    result = recorder.result(planned=12, stopped_by="max_requests", now=6.0)
    assert result.errors == {"429": 1, "5xx": 1, "timeout": 1, "connection": 1}
    assert result.outcomes["2xx"] == 1 and result.outcomes["capped"] == 7
    assert result.histogram.get_total_count() == 4  # the connection failure has no latency
    assert result.max_ms == pytest.approx(5000, rel=1e-3)
    assert result.examples == {"timeout": "timeout", "connection": "connection"}


def test_the_series_holds_each_scheduled_second_with_exact_percentiles_and_errors():
    recorder = Recorder(0.0, STARTED_AT)
    for i in range(100):  # second 0: 1..100 ms; second 3: 2 s each, one of them a 500
        recorder.record(finished(0.001 * i, 0.001 * i, 0.001 * i + (i + 1) / 1000))
    for i in range(10):
        recorder.record(finished(3.0 + 0.01 * i, 3.0 + 0.01 * i, 5.0 + 0.01 * i, status=500 if i == 0 else 200))
    first, fourth = recorder.result(planned=110, stopped_by=None).seconds
    assert (first.second, first.requests, first.p50_ms, first.p95_ms, first.max_ms) == (0, 100, 50, 95, 100)
    assert (fourth.second, fourth.requests, fourth.errors) == (3, 10, 1)
    assert fourth.p50_ms == pytest.approx(2000, abs=0.01)


def test_throughput_is_answered_requests_over_the_run():
    recorder = Recorder(0.0, STARTED_AT)
    for i in range(50):
        recorder.record(finished(i * 0.1, i * 0.1, i * 0.1 + 0.05))
    assert recorder.result(planned=50, stopped_by=None, now=0.0).throughput_rps == pytest.approx(50 / 4.95)
