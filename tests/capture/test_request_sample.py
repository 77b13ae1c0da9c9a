"""The request-ID sample: the slowest requests and the server errors, bounded, malformed lines ignored."""

from __future__ import annotations

import json

from examday.facts.request_sample import sample_requests
from examday.facts.log_analysis import LogSettings


def end_line(request_id: str, ms: float, status: int = 200, field: str = "duration_ms") -> str:
    return json.dumps({"event": "request.end", "request_id": request_id, "path": "/v1/sessions",
                       "status_code": status, field: ms, "timestamp": "2026-11-28T09:00:00Z"})


def test_keeps_the_slowest_in_order_and_the_server_errors():
    lines = [end_line(f"r{i}", i) for i in range(100)] + [end_line("boom", 3, status=503)]
    sample = sample_requests(lines, LogSettings.from_config(), size=3)
    assert [r.request_id for r in sample.slowest] == ["r99", "r98", "r97"]
    assert [(r.request_id, r.status) for r in sample.server_errors] == [("boom", 503)]


def test_understands_the_older_latency_field_and_a_prefix_before_the_json():
    lines = ["2026-11-28T09:00:00Z stdout " + end_line("old", 750, field="total_ms")]
    assert [r.duration_ms for r in sample_requests(lines, LogSettings.from_config()).slowest] == [750.0]


def test_malformed_and_foreign_lines_are_ignored():
    lines = ["INFO: uvicorn started", '{"event": "request.end", "request_id": "x"', "{not json",
             json.dumps({"event": "request.start", "request_id": "s"}), end_line("ok", 5)]
    sample = sample_requests(lines, LogSettings.from_config())
    assert [r.request_id for r in sample.slowest] == ["ok"] and sample.server_errors == []


def test_a_crashed_request_is_sampled_as_a_5xx():
    from examday.facts.request_sample import _request
    from examday.facts.log_analysis import LogSettings

    line = ('{"request_id": "r-1", "method": "POST", "path": "/v1/sessions", "route": "/v1/sessions", '
            '"status_code": null, "duration_ms": 12, "event": "request.end", "level": "info", '
            '"timestamp": "2026-11-28T20:13:17Z"}')
    sampled = _request(line, LogSettings.from_config())
    assert sampled is not None and sampled.status == 500 and sampled.request_id == "r-1"
