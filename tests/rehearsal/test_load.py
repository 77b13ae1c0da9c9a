"""The generator against a real HTTP server in its own process: outcomes, caps, and coordinated omission."""

from __future__ import annotations

import io
import os
import signal
import time

import pytest
from rich.console import Console

from examday.rehearsal import (
    FixedRequest,
    Limits,
    constant_rate,
    resolve_target,
    run_requests,
)
from tests.rehearsal.conftest import FixedServer

QUIET = {"progress": False}


def test_every_planned_request_is_sent_once_and_answered(fixed_server: FixedServer):
    result = run_requests(fixed_server.target, constant_rate(200, 1.0), limits=Limits(concurrency=8), **QUIET)
    assert (result.planned, result.sent, result.outcomes["2xx"], result.error_count) == (200, 200, 200, 0)
    assert fixed_server.count() == 200  # the server's own count: nothing sent twice, nothing lost
    assert sum(second.requests for second in result.seconds) == 200
    assert result.p50_ms is not None and result.p50_ms <= result.p95_ms <= result.p99_ms <= result.max_ms


@pytest.mark.parametrize("path, outcome", [("/status/503", "5xx"), ("/status/429", "429"),
                                           ("/status/404", "4xx"), ("/close", "connection")])
def test_each_failure_is_counted_under_its_class(fixed_server: FixedServer, path: str, outcome: str):
    result = run_requests(fixed_server.target, constant_rate(50, 0.4), FixedRequest(path=path),
                          limits=Limits(concurrency=4), **QUIET)
    assert result.errors == {outcome: 20}


def test_a_server_that_closes_after_every_answer_is_reconnected_to_without_errors(fixed_server: FixedServer):
    result = run_requests(fixed_server.target, constant_rate(100, 0.5), FixedRequest(path="/bye"),
                          limits=Limits(concurrency=4), **QUIET)
    assert result.outcomes["2xx"] == 50 and result.error_count == 0


def test_a_request_without_an_answer_times_out_and_its_wait_counts_as_latency(fixed_server: FixedServer):
    result = run_requests(fixed_server.target, constant_rate(20, 0.25), FixedRequest(path="/delay/5000"),
                          limits=Limits(concurrency=5, timeout_s=0.3), **QUIET)
    assert result.errors == {"timeout": 5}
    assert result.p50_ms is not None and result.p50_ms >= 300
    assert "no answer within 0.3 s" in result.examples["timeout"]


def test_a_refused_connection_is_a_connection_error_naming_the_address(closed_port: int):
    target = resolve_target(f"http://127.0.0.1:{closed_port}")
    result = run_requests(target, constant_rate(20, 0.25), limits=Limits(concurrency=2), **QUIET)
    assert result.errors == {"connection": 5} and result.p50_ms is None
    assert f"cannot connect to 127.0.0.1:{closed_port}" in result.examples["connection"]


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [1, 16])
def test_a_stalled_server_shows_as_latency_for_every_request_scheduled_during_the_stall(
        fixed_server: FixedServer, concurrency: int):
    """Coordinated omission: a tool that starts its clock at the send sees one slow request here."""
    target = fixed_server.target
    fixed_server.freeze(after_s=1.0, for_s=2.0)  # the server is stopped from ~1.0 s to ~3.0 s of the run
    result = run_requests(target, constant_rate(50, 5.0), limits=Limits(concurrency=concurrency), **QUIET)
    assert result.error_count == 0 and result.outcomes["2xx"] == 250
    second = {s.second: s for s in result.seconds}
    # scheduled in [1, 2): answered at ~3.0 s, so ~2.0 s down to ~1.0 s; in [2, 3): ~1.0 s down to 0
    assert second[1].max_ms >= 1800 and second[1].p50_ms >= 1300, second[1]
    assert second[2].p50_ms >= 300, second[2]
    # ~100 requests were scheduled during the stall and ~50 of them waited a second or more
    assert result.latency_ms_at(100 * (1 - 40 / 250)) >= 1000
    assert second[4].p95_ms < 1000, second[4]  # and afterwards it is fast again


def test_the_request_cap_is_never_exceeded(fixed_server: FixedServer):
    result = run_requests(fixed_server.target, constant_rate(2000, 1.0), limits=Limits(concurrency=16,
                          max_requests=150), **QUIET)
    assert result.sent == 150 and fixed_server.count() == 150
    assert result.outcomes["capped"] == 1850 and result.stopped_by == "max_requests"


def test_the_time_cap_ends_the_run_even_when_the_server_never_answers(fixed_server: FixedServer):
    target = fixed_server.target
    os.kill(fixed_server.process.pid, signal.SIGSTOP)  # the fixture lets it go again
    started = time.monotonic()
    result = run_requests(target, constant_rate(100, 10.0), limits=Limits(concurrency=4, max_duration_s=1.0,
                          timeout_s=60), **QUIET)
    assert time.monotonic() - started < 1.5  # the cap, plus the time to cut and count
    assert result.stopped_by == "max_duration"
    assert result.sent == 4 and result.outcomes["cut"] == 1000  # 4 in flight, the rest never sent


def test_an_unsorted_schedule_is_refused(fixed_server: FixedServer):
    with pytest.raises(ValueError, match="sorted"):
        run_requests(fixed_server.target, [0.0, 0.2, 0.1], **QUIET)


def test_progress_prints_plain_lines_where_there_is_no_terminal(fixed_server: FixedServer):
    out = io.StringIO()
    run_requests(fixed_server.target, constant_rate(100, 0.5), limits=Limits(concurrency=2),
                 progress=Console(file=out, force_terminal=False, width=200))
    text = out.getvalue()
    assert f"GET {fixed_server.url}/health: 50 requests planned" in text
    assert "50/50 done" in text and "0 errors" in text


def test_progress_draws_a_live_bar_on_a_terminal(fixed_server: FixedServer):
    out = io.StringIO()
    run_requests(fixed_server.target, constant_rate(100, 0.5), limits=Limits(concurrency=2),
                 progress=Console(file=out, force_terminal=True, width=200))
    assert "50/50" in out.getvalue() and "━" in out.getvalue()
