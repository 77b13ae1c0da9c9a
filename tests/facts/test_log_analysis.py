"""The streaming log analyzer: realistic lines, hostile lines, and invariants over arbitrary input."""

from __future__ import annotations

import dataclasses
import io
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from examday.config import LogsConfig, ThresholdsConfig
from examday.facts.logs import judge_routes, route_targets
from examday.facts.log_analysis import (
    SKIP_REASONS,
    LogAnalyzer,
    LogSettings,
    LogSummary,
    RouteLatency,
    SlowQuery,
    analyze_lines,
    normalize_sql,
)
from examday.probes.line_framing import split_lines

T0 = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)


def end(status: int = 200, ms: Any = 10, path: str = "/v1/sessions", **fields: Any) -> str:
    event = {
        "request_id": fields.pop("request_id", "9738d342-0000-4000-8000-000000000000"),
        "method": "GET",
        "path": path,
        "route": fields.pop("route", path),
        "status_code": status,
        "duration_ms": ms,
        "db_query_count": 1,
        "event": "request.end",
        "level": "info",
        "timestamp": fields.pop("timestamp", "2026-11-28T20:13:17.169850Z"),
    }
    event.update(fields)
    return json.dumps(event)


ANSWER = "/v1/sessions/{session_id}/answer"
SESSION_ID = "5f0c2a9e-7d1b-4c3e-9a51-2b8e0f6d4c17"


def platform_end(method: str, path: str, route: str | None, status: int | None, ms: int, *,
                 request_id: str = "9738d342-1c1f-4c0e-8f5e-7a0e2d6b9c41",
                 timestamp: str = "2026-11-28T20:13:17.169850Z", **fields: Any) -> str:
    """A request.end line as the platform writes it (docs/platform.md, Logs), field for field and in its order."""
    event: dict[str, Any] = {"request_id": request_id, "method": method, "path": path, "route": route,
                             "status_code": status, "duration_ms": ms, "db_query_count": 1, "db_total_ms": 0}
    event.update(fields)  # user_id, user_role, severity
    event.update({"event": "request.end", "level": "info", "timestamp": timestamp})
    return json.dumps(event)


def answer_end(status: int | None, ms: int, **fields: Any) -> str:
    return platform_end("POST", f"/v1/sessions/{SESSION_ID}/answer", ANSWER, status, ms,
                        user_id="0b6f4c1e-2a3d-4e5f-8a9b-1c2d3e4f5a6b", user_role="STUDENT", **fields)


def slow_sql_line(query_ms: float, sql: str, request_id: str = "9738d342-1c1f-4c0e-8f5e-7a0e2d6b9c41",
                  timestamp: str = "2026-11-28T20:13:17.170001Z") -> str:
    """slow_sql as the platform logs it: its fields nested under "extra"."""
    return json.dumps({"extra": {"event": "slow_sql", "severity": "error" if query_ms > 300 else "warn",
                                 "request_id": request_id, "query_ms": query_ms, "rowcount": 1, "sql": sql},
                       "event": "slow_sql", "level": "warning", "timestamp": timestamp})


def start(path: str = "/v1/sessions") -> str:
    return json.dumps({"request_id": "r", "method": "GET", "path": path, "route": None, "event": "request.start"})


def balanced(summary: LogSummary) -> bool:
    """Every line lands in exactly one bucket."""
    buckets = summary.requests + summary.sampled_requests + summary.slow_sql + summary.outside_window
    return summary.lines == buckets + summary.other_lines + summary.skipped_total


# --- realistic logs --------------------------------------------------------------------------------


def test_request_end_events_give_counts_percentiles_and_rates() -> None:
    lines = [start(), *(end(ms=ms) for ms in range(1, 101)), end(status=500, ms=5), end(status=404, ms=5)]
    summary = analyze_lines(lines)
    assert summary.requests == 102
    assert summary.other_lines == 1
    assert summary.status_classes == {"2xx": 100, "3xx": 0, "4xx": 1, "5xx": 1}
    assert summary.error_rate == 1 / 102
    assert summary.latency is not None
    assert 49 <= summary.latency.p50_ms <= 51
    assert 94 <= summary.latency.p95_ms <= 96
    assert summary.latency.max_ms == 100
    assert summary.with_request_id == 102
    assert balanced(summary)


def test_a_crashed_request_status_null_is_a_server_error() -> None:
    """DUR-ERR-01 passed with 10 of 101 requests answered 500: the handler raised, so status_code is null."""
    lines = [*(answer_end(200, 12) for _ in range(91)), *(answer_end(None, 40) for _ in range(10))]
    summary = analyze_lines(lines)
    assert (summary.requests, summary.server_errors, summary.error_rate) == (101, 10, 10 / 101)
    assert summary.status_classes["5xx"] == 10 and summary.skipped["missing_fields"] == 0
    assert summary.crashed == 10
    assert summary.rate_limited == 0
    assert summary.as_evidence()["crashed_status_null"] == 10
    assert summary == LogAnalyzer()._feed_careful(lines).summary()
    assert balanced(summary)


def test_a_crash_is_told_apart_from_an_answered_500_and_from_a_line_without_status() -> None:
    answered_500 = answer_end(500, 30)
    absent = json.dumps({key: value for key, value in json.loads(answer_end(200, 12)).items() if key != "status_code"})
    crashed_without_latency = json.dumps({**json.loads(answer_end(None, 40)), "duration_ms": None})
    summary = analyze_lines([answered_500, answer_end(None, 40), absent, crashed_without_latency, answer_end(200, 12)])
    assert (summary.requests, summary.server_errors, summary.crashed) == (3, 2, 1)
    assert summary.skipped["missing_fields"] == 2  # no status at all; and a crash without a latency cannot be placed
    assert balanced(summary)


def test_slow_sql_nested_under_extra_as_the_platform_logs_it() -> None:
    lines = [
        slow_sql_line(150.2, "SELECT * FROM session_answers WHERE session_id = 'a1' AND question_id = 7",
                      request_id="req-1"),
        slow_sql_line(420.0, "UPDATE test_sessions SET status = 'SUBMITTED' WHERE id = 'b2'", request_id="req-2"),
        slow_sql_line(101.0, "SELECT * FROM session_answers WHERE session_id = 'c3' AND question_id = 9"),
        # Another platform's flat shape still counts: the fields at the top level.
        json.dumps({"event": "slow_sql", "statement": "SELECT 1", "query_ms": 130, "request_id": "req-4"}),
    ]
    summary = analyze_lines(lines)
    assert summary.slow_sql == 4
    assert summary.slow_sql_statements[0] == ("SELECT * FROM session_answers WHERE session_id = ? AND question_id = ?", 2)
    assert summary.slowest_sql[:2] == [
        SlowQuery(420.0, "UPDATE test_sessions SET status = ? WHERE id = ?", "req-2"),
        SlowQuery(150.2, "SELECT * FROM session_answers WHERE session_id = ? AND question_id = ?", "req-1")]
    assert [query.query_ms for query in summary.slowest_sql] == [420.0, 150.2, 130.0, 101.0]
    assert "'a1'" not in json.dumps(summary.as_evidence())
    assert balanced(summary)


def test_slow_sql_named_only_inside_extra_and_windowed_by_its_timestamp() -> None:
    only_nested = json.dumps({"extra": {"event": "slow_sql", "query_ms": 200, "sql": "SELECT 2"},
                              "event": "SELECT 2 took long", "level": "warning", "timestamp": "2026-11-28T20:30:00Z"})
    old = slow_sql_line(300.5, "SELECT 3", timestamp=(T0 - timedelta(hours=1)).isoformat())
    summary = analyze_lines([only_nested, old], since=T0)
    assert (summary.slow_sql, summary.outside_window) == (1, 1)
    assert summary.slowest_sql == [SlowQuery(200.0, "SELECT ?", None)]


def test_latency_per_route_template_with_sampled_routes_marked() -> None:
    lines = [
        *(answer_end(200, ms) for ms in range(1, 101)),
        platform_end("POST", "/v1/sessions", "/v1/sessions", 201, 150),
        platform_end("GET", f"/v1/sessions/{SESSION_ID}", "/v1/sessions/{session_id}", 200, 8),
        platform_end("GET", "/v1/nope?x=1", None, 404, 3),  # no route matched: the raw path, query cut
        *(platform_end("GET", "/health", "/health", 200, 70) for _ in range(3)),
        platform_end("GET", "/v1/ready", "/v1/ready", 200, 9, sampled=True),  # marked by the backend
    ]
    summary = analyze_lines(lines)
    answer = summary.route(f"POST {ANSWER}")
    assert answer == RouteLatency(f"POST {ANSWER}", 100, 50, 95, 100, False)
    assert summary.route("POST /v1/sessions") == RouteLatency("POST /v1/sessions", 1, 150, 150, 150, False)
    assert summary.route("GET /v1/nope") is not None
    assert summary.route("GET /health") == RouteLatency("GET /health", 3, 70, 70, 70, True)
    assert summary.route("GET /v1/ready") == RouteLatency("GET /v1/ready", 1, 9, 9, 9, True)
    assert summary.routes[0].route == f"POST {ANSWER}"  # the busiest first
    # The overall view still leaves the sampled ones out.
    assert (summary.requests, summary.sampled_requests) == (103, 4)
    assert summary.latency is not None and summary.latency.max_ms == 150
    assert summary == LogAnalyzer()._feed_careful(lines).summary()
    assert balanced(summary)


def test_route_targets_default_to_the_platforms_own_with_the_prefix_substituted() -> None:
    targets = route_targets(ThresholdsConfig().route_p95_ms, "/v1")
    assert targets == {f"POST {ANSWER}": 100, "POST /v1/sessions/{session_id}/submit": 300,
                       "POST /v1/sessions": 200, "GET /health": 50}
    assert "POST /api/v1/sessions" in route_targets(ThresholdsConfig().route_p95_ms, "/api/v1")


def test_a_login_burst_and_a_slow_answer_save_are_told_apart() -> None:
    """Password hashing makes logins slow on purpose: no target, shown only; a slow answer save fails."""
    login = [platform_end("POST", "/v1/auth/login", "/v1/auth/login", 200, 900) for _ in range(50)]
    answers_fast = [answer_end(200, 40) for _ in range(200)]
    targets = route_targets(ThresholdsConfig().route_p95_ms, "/v1")

    burst = judge_routes(analyze_lines(login + answers_fast).routes, targets)
    assert burst.over == []
    assert [route.route for route in burst.untargeted] == ["POST /v1/auth/login"]
    assert {verdict.route: verdict.outcome for verdict in burst.verdicts} == {
        f"POST {ANSWER}": "within target", "POST /v1/sessions/{session_id}/submit": "no requests",
        "POST /v1/sessions": "no requests", "GET /health": "no requests"}

    slow_answers = [answer_end(200, 40) for _ in range(90)] + [answer_end(200, 250) for _ in range(10)]
    slow = judge_routes(analyze_lines(login + slow_answers).routes, targets)
    assert [verdict.route for verdict in slow.over] == [f"POST {ANSWER}"]
    assert slow.over[0].problem() == (f"POST {ANSWER}: p95 250 ms over its 100 ms target "
                                      "(100 requests; p50 40 ms, max 250 ms)")
    evidence = json.loads(json.dumps(slow.as_evidence()))
    assert evidence["routes_without_target"][0]["route"] == "POST /v1/auth/login"


def test_a_route_at_exactly_its_target_is_within_it_and_a_sampled_one_says_so() -> None:
    health = [platform_end("GET", "/health", "/health", 200, 50) for _ in range(4)]
    answers = [answer_end(200, 100) for _ in range(20)]
    judged = judge_routes(analyze_lines(health + answers).routes, route_targets(ThresholdsConfig().route_p95_ms, "/v1"))
    assert judged.over == [] and len(judged.measured) == 2
    health_evidence = next(v for v in judged.as_evidence()["targeted_routes"] if v["route"] == "GET /health")
    assert health_evidence["count"] == 4 and "sampled" in health_evidence


def test_uvicorn_plain_lines_and_tracebacks_are_counted_as_non_json() -> None:
    lines = [
        "INFO:     Started server process [1]",
        'INFO:     127.0.0.1:51234 - "GET /health HTTP/1.1" 200 OK',
        "Traceback (most recent call last):",
        '  File "/app/main.py", line 3, in <module>',
        "",
        end(),
    ]
    summary = analyze_lines(lines)
    assert summary.skipped["non_json"] == 4
    assert summary.skipped["empty"] == 1
    assert summary.requests == 1
    assert balanced(summary)


def test_sampled_paths_are_counted_apart_and_left_out_of_rates() -> None:
    lines = [end(path="/health", ms=9000, status=500), end(path="/health?full=1"), end(path="/"), end(path="/v1/sessions", ms=20)]
    summary = analyze_lines(lines)
    assert summary.sampled_requests == 3
    assert summary.sampled_by_path == {"/health": 2, "/": 1}
    assert summary.requests == 1
    assert summary.error_rate == 0
    assert summary.latency is not None and summary.latency.max_ms == 20
    assert summary.slow_requests == 0


def test_both_latency_field_names_are_understood_first_present_wins() -> None:
    old_era = json.dumps({"event": "request.end", "path": "/v1/x", "status_code": 200, "total_ms": 700})
    both = json.dumps({"event": "request.end", "path": "/v1/x", "status_code": 200, "duration_ms": 30, "total_ms": 900})
    numeric_string = end(ms="1600.5")
    summary = analyze_lines([old_era, both, numeric_string])
    assert summary.requests == 3
    assert summary.slow_requests == 2  # 700 and 1600.5; the 900 lost to duration_ms
    assert summary.very_slow_requests == 1
    assert summary.latency is not None and summary.latency.max_ms == 1600.5


def test_missing_or_unusable_fields_are_skipped_by_reason() -> None:
    lines = [
        json.dumps({"event": "request.end", "path": "/v1/x", "status_code": 200}),
        json.dumps({"event": "request.end", "path": "/v1/x", "duration_ms": 5}),
        end(ms="fast"),
        end(ms=-1),
        end(status="OK"),
        end(ms=True),
    ]
    summary = analyze_lines(lines)
    assert summary.skipped["missing_fields"] == 6
    assert summary.requests == 0 and summary.latency is None and summary.error_rate is None
    assert balanced(summary)


def test_truncated_non_object_and_broken_lines() -> None:
    full = end()
    marker_kept = full[: full.index('"request.end"') + 20]
    lines = [full[:40], marker_kept, '"request.end"', '["request.end"]', full.replace(":", "=", 1), '{"event": "request.end"} trailing']
    summary = analyze_lines(lines)
    assert summary.skipped["truncated_json"] == 2
    assert summary.skipped["non_object"] == 2
    assert summary.skipped["non_json"] == 2
    assert balanced(summary)


def test_invalid_utf8_and_huge_lines_are_skipped_without_parsing() -> None:
    bad_utf8 = end().encode()[:-3] + b"\xff\xfe}"
    huge = end(padding="x" * 200_000)
    summary = analyze_lines([bad_utf8, huge, end().encode()])
    assert summary.skipped["invalid_utf8"] == 1
    assert summary.skipped["oversized"] == 1
    assert summary.requests == 1
    assert balanced(summary)


def test_429_is_counted_apart_and_within_4xx() -> None:
    summary = analyze_lines([end(status=429), end(status=429), end(status=404), end(status=200)])
    assert summary.rate_limited == 2
    assert summary.status_classes["4xx"] == 3
    assert summary.error_rate == 0


def test_slow_requests_by_threshold_with_top_routes() -> None:
    lines = [
        *(end(ms=600, route="/v1/sessions/{id}/answer") for _ in range(3)),
        end(ms=2000, route="/v1/sessions/{id}/submit"),
        end(ms=499, route="/v1/fast"),
        end(ms=501, route=None, path="/v1/raw?x=1"),
    ]
    summary = analyze_lines(lines)
    assert summary.slow_requests == 5
    assert summary.very_slow_requests == 1
    assert summary.slow_routes[0] == ("/v1/sessions/{id}/answer", 3)
    assert ("/v1/raw", 1) in summary.slow_routes


def test_slow_sql_is_counted_with_top_statements_without_literals() -> None:
    sql = [
        json.dumps({"event": "slow_sql", "statement": "SELECT * FROM users WHERE email = 'a@b.c' AND id = 42", "duration_ms": 150}),
        json.dumps({"event": "slow_sql", "sql": "SELECT *  FROM users WHERE email = 'x@y.z' AND id = 7"}),
        json.dumps({"event": "slow_sql"}),
    ]
    summary = analyze_lines(sql)
    assert summary.slow_sql == 3
    assert summary.slow_sql_statements[0] == ("SELECT * FROM users WHERE email = ? AND id = ?", 2)
    assert "a@b.c" not in json.dumps(summary.as_evidence())
    assert normalize_sql("UPDATE t SET v = 'it''s' WHERE n = 1.5") == "UPDATE t SET v = ? WHERE n = ?"


def test_time_window_keeps_only_recent_events() -> None:
    lines = [
        end(timestamp=(T0 - timedelta(minutes=30)).isoformat()),
        end(timestamp=(T0 + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")),
        end(timestamp="2026-11-28T21:05:00+01:00"),  # 20:05 UTC
        end(timestamp="not a time"),
        json.dumps({"event": "slow_sql", "statement": "SELECT 1", "timestamp": (T0 - timedelta(hours=1)).isoformat()}),
    ]
    summary = analyze_lines(lines, since=T0)
    assert summary.requests == 2
    assert summary.outside_window == 2
    assert summary.skipped["missing_fields"] == 1
    assert summary.since == T0
    assert balanced(summary)


def test_request_ids_are_counted() -> None:
    summary = analyze_lines([end(), end(request_id=""), end(request_id=None)])
    assert (summary.requests, summary.with_request_id) == (3, 1)


def test_docker_timestamps_and_crlf_are_understood() -> None:
    lines = [f"2026-11-28T20:13:17.169850123Z {end()}", end() + "\r", "  " + end()]
    summary = analyze_lines(lines)
    assert summary.requests == 3


def test_settings_follow_the_config() -> None:
    config = LogsConfig(end_event="http.done", latency_fields=["elapsed"], sampled_paths=["/ping"], slow_ms=100)
    line = json.dumps({"event": "http.done", "path": "/v1/x", "status_code": 200, "elapsed": 150})
    ping = json.dumps({"event": "http.done", "path": "/ping", "status_code": 200, "elapsed": 1})
    summary = LogAnalyzer(LogSettings.from_config(config)).feed_all([line, ping, end()]).summary()
    assert (summary.requests, summary.slow_requests, summary.sampled_requests, summary.other_lines) == (1, 1, 1, 1)


def test_evidence_is_json_serialisable() -> None:
    summary = analyze_lines([end(), end(ms=900), "INFO: x"], since=T0 - timedelta(days=1))
    evidence = json.loads(json.dumps(summary.as_evidence()))
    assert evidence["requests"] == 2
    assert evidence["skipped"]["non_json"] == 1
    assert set(evidence["skipped"]) == set(SKIP_REASONS)


def test_split_lines_rejoins_chunks_and_bounds_long_lines() -> None:
    chunks = [b'{"a":', b' 1}\nsecond\r\n', b"x" * 50, b"y" * 50 + b"\nlast"]
    lines = list(split_lines(chunks, max_line_bytes=64))
    assert lines == [b'{"a": 1}', b"second", b"x" * 50 + b"y" * 15, b"last"]
    summary = analyze_lines(lines, dataclasses.replace(LogSettings.from_config(), max_line_bytes=64))
    assert summary.skipped["oversized"] == 1


# --- properties ------------------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
_events = st.fixed_dictionaries(
    {"event": st.sampled_from(["request.end", "slow_sql", "request.start"])},
    optional={
        "duration_ms": _json_values,
        "total_ms": _json_values,
        "status_code": st.integers(0, 700) | _json_values,
        "path": st.sampled_from(["/health", "/v1/x", "/"]) | _json_values,
        "timestamp": st.sampled_from(["2026-11-28T20:00:00Z", "bad"]) | _json_values,
        "statement": _json_values,
        "method": st.sampled_from(["GET", "POST"]) | _json_values,
        "route": st.sampled_from(["/v1/x", "/health", None]) | _json_values,
        "sampled": _json_values,
        "extra": _json_values | st.fixed_dictionaries(
            {"event": st.sampled_from(["slow_sql", "other"])},
            optional={"query_ms": _json_values, "sql": _json_values, "request_id": _json_values,
                      "timestamp": st.sampled_from(["2026-11-28T20:30:00Z", "bad"])}),
    },
)
_lines = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200),
    _events.map(json.dumps),
    _events.map(lambda event: json.dumps(event)[: len(json.dumps(event)) // 2]),
    _events.map(lambda event: json.dumps(event).encode()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_lines, max_size=30), st.booleans())
def test_never_raises_and_counts_add_up(lines: list[str | bytes], windowed: bool) -> None:
    summary = analyze_lines(lines, since=T0 if windowed else None)
    assert balanced(summary)
    assert sum(summary.status_classes.values()) == summary.requests
    assert summary.slow_requests <= summary.requests and summary.very_slow_requests <= summary.slow_requests
    assert summary.with_request_id <= summary.requests
    json.dumps(summary.as_evidence())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20), st.integers(min_value=1, max_value=40))
def test_split_lines_loses_no_newline(chunks: list[bytes], max_line: int) -> None:
    lines = list(split_lines(chunks, max_line_bytes=max_line))
    joined = b"".join(chunks)
    expected_count = joined.count(b"\n") + (0 if not joined or joined.endswith(b"\n") else 1)
    # A trailing empty remainder yields nothing, so count only what split_lines promises.
    assert len(lines) == expected_count
    assert all(len(line) <= max_line + 1 for line in lines)


# --- the fast path (feed_all) lands every line where the careful one does -------------------------------

_good_latencies = st.one_of(st.integers(0, 5000), st.floats(0, 5000), st.sampled_from([500, 500.0, 1500, 1500.0, 3999, 3999.0, 0, -0.0]))
_latencies = st.one_of(
    _good_latencies,
    _good_latencies,
    _good_latencies,
    st.sampled_from([None, -1, "700", "1600.5", True, float("nan"), float("inf"), 10**30, [1]]),
)
_good_statuses = st.sampled_from([200, 201, 304, 404, 429, 500, 503, 100, 599, 199])
_statuses = st.one_of(_good_statuses, _good_statuses, _good_statuses, st.integers(0, 700),
                      st.sampled_from(["500", 200.0, None, None, True, 600, 99]))
_good_paths = st.sampled_from(["/v1/sessions", "/v1/sessions/{session_id}/answer", "/v1/é", "/healthz", "/v1/health/"])
_routes = st.one_of(_good_paths, _good_paths, _good_paths, st.sampled_from(["/health", "", "/v1/x?y=1", "x" * 250]),
                    st.none(), st.integers())
_methods = st.one_of(st.sampled_from(["GET", "POST", "POST", "GET"]), st.sampled_from(["", "get", None, 1, "M" * 199]))
_paths = st.one_of(
    _good_paths,
    _good_paths,
    _good_paths,
    _good_paths,
    st.sampled_from(["/health", "/health?full=1", "/", "/metrics", "/v1/x?y=1", "?", "\ud800"]),
    st.none(),
    st.integers(),
)
_request_events = st.fixed_dictionaries(
    {
        "event": st.sampled_from(["request.end"] * 6 + ["slow_sql", "request.start", "note"]),
        "duration_ms": _latencies,
        "status_code": _statuses,
        "path": _paths,
        "request_id": st.sampled_from(["9738d342-0000", "9738d342-0000", "", None, 7]),
        "method": _methods,
        "route": _routes,
    },
    optional={
        "total_ms": _latencies,
        "sampled": st.sampled_from([True, False, None, "true", 1]),
        "timestamp": st.sampled_from(["2026-11-28T20:30:00Z", "2026-11-28T19:00:00+00:00", "bad", 1700000000]),
        "statement": st.sampled_from(["SELECT 1 WHERE a = 'x'", None]),
        "extra": st.fixed_dictionaries({"event": st.just("slow_sql")}, optional={
            "query_ms": _latencies, "sql": st.sampled_from(["SELECT 2 WHERE b = 3", None, 4]),
            "request_id": st.sampled_from(["r1", "", None])}) | st.sampled_from([None, "x", []]),
        "message": st.sampled_from(['mentions "request.end" and "slow_sql"', "request.end"]),
    },
)


@st.composite
def _decorated_lines(draw: st.DrawFn) -> str | bytes:
    """A JSON line as a backend, docker or a cut write may leave it: prefixed, suffixed, cut, duplicated keys, bytes."""
    event = draw(_request_events)
    if draw(st.integers(0, 4)) == 0:
        del event[draw(st.sampled_from(sorted(event)))]
    text = json.dumps(event)
    if draw(st.booleans()):
        text = text.replace("{", '{"duration_ms": 1, "status_code": 200, ', 1)  # duplicate keys: the last one wins
    text += draw(st.sampled_from(["", "", "", "\n", "\r\n"]))
    if draw(st.integers(0, 3)) == 0:  # now and then: a prefix, something after the object, a cut
        text = draw(st.sampled_from(["", "  ", "2026-11-28T20:13:17.169850123Z "])) + text
        text += draw(st.sampled_from(["", "\r", " x", "}", "\x1c"]))
        if draw(st.booleans()):
            text = text[: draw(st.integers(0, len(text)))]
    return text.encode("utf-8", "surrogatepass") if draw(st.booleans()) else text


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_decorated_lines(), _decorated_lines(), _lines), min_size=1, max_size=60), st.booleans())
def test_feed_all_agrees_with_the_careful_path_line_by_line(lines: list[str | bytes], windowed: bool) -> None:
    since = T0 if windowed else None
    fast = LogAnalyzer(since=since).feed_all(lines).summary()
    careful = LogAnalyzer(since=since)._feed_careful(lines).summary()
    assert fast == careful
    assert json.dumps(fast.as_evidence()) == json.dumps(careful.as_evidence())  # 3999 and 3999.0 differ here


def test_feed_all_agrees_with_the_careful_path_at_the_edges() -> None:
    latencies: list[Any] = [0, 0.0, -0.0, 0.0004, 499.999, 500, 500.0, 500.001, 1500, 1500.0, 1500.5, 3_600_000_001,
                            float("inf"), float("nan"), -1, 10**400, "500", None, True]
    statuses: list[Any] = [99, 100, 199, 200, 429, 499, 500, 599, 600, "503", 503.0, True, None]
    lines = [end(ms=ms, status=status, path=path) for ms in latencies for status in statuses
             for path in ("/v1/x", "/health", "/v1/x?q=1")]
    lines += [end(ms=5, request_id=request_id) for request_id in ("r", "", None, 0, 7, ["r"])]
    fast = analyze_lines(lines)
    careful = LogAnalyzer()._feed_careful(lines).summary()
    assert fast == careful
    assert json.dumps(fast.as_evidence()) == json.dumps(careful.as_evidence())
    assert fast.slow_requests > 0 and fast.very_slow_requests > 0 and fast.rate_limited > 0


def test_a_route_with_many_distinct_latencies_moves_to_a_histogram_and_agrees() -> None:
    """Past 1024 distinct values a route keeps a histogram (bounded memory); both paths agree, within 0.1%."""
    values: list[float] = [round(0.1 * i, 1) for i in range(1, 3001)]  # 0.1 .. 300.0 ms, all distinct
    lines = [answer_end(200, ms) for ms in values] + [answer_end(200, 5000.5)]  # type: ignore[arg-type]
    fast = analyze_lines(lines)
    assert fast == LogAnalyzer()._feed_careful(lines).summary()
    answer = fast.route(f"POST {ANSWER}")
    assert answer is not None and answer.count == 3001 and answer.max_ms == 5000.5
    assert abs(answer.p50_ms - 150.1) <= 0.151 and abs(answer.p95_ms - 285.1) <= 0.286


def test_many_distinct_latencies_flush_in_bulk_and_keep_the_first_maximum() -> None:
    values: list[float] = [round(0.001 * i, 3) for i in range(1, 12_000)]
    values[5000:5000] = [20_000, 20_000.0]  # equal maxima: the first one seen is the maximum reported
    lines = [end(ms=ms) for ms in values] + [end(ms=20_000.0, status=500)]
    fast = analyze_lines(lines)
    careful = LogAnalyzer()._feed_careful(lines).summary()
    assert fast == careful
    assert fast.latency is not None and fast.latency.max_ms == 20_000 and type(fast.latency.max_ms) is int
    assert fast.requests == len(lines) and fast.server_errors == 1


def test_lines_read_from_a_file_keep_their_newline_and_count_the_same() -> None:
    lines = [start(), end(), end(path="/health"), "INFO:     Started server process [1]", end(ms=900), "", json.dumps({"event": "x"})]
    raw = ("\n".join(lines) + "\n").encode()
    from_file = analyze_lines(io.BytesIO(raw))
    assert from_file == analyze_lines(lines)
    assert from_file == analyze_lines(split_lines([raw]))


def test_a_lower_integer_digit_limit_is_the_stdlib_s() -> None:
    line = '{"event": "request.end", "path": "/v1/x", "status_code": 200, "duration_ms": ' + "1" * 700 + "}"
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        summary = analyze_lines([line, end()])
    finally:
        sys.set_int_max_str_digits(previous)
    assert summary.skipped["non_json"] == 1  # what the stdlib says of an integer over the limit
    assert summary.requests == 1
