"""Reading Prometheus text: only declared counters are summed, other lines are counted as samples."""

from __future__ import annotations

from examday.facts.metrics import parse_counters

TEXT = """# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{method="GET",status="200"} 41
http_requests_total{method="POST",status="201"} 1.0
# TYPE db_pool_in_use gauge
db_pool_in_use 7
# TYPE process_restarts counter
process_restarts_total 2
broken line without value
nan_metric NaN
"""


def test_sums_counters_only():
    scrape = parse_counters(TEXT)
    assert scrape.counter_total == 44.0
    assert scrape.samples == 5  # the broken line is not a sample


def test_an_empty_or_html_answer_has_no_samples():
    assert parse_counters("").samples == 0
    assert parse_counters("<html><body>login</body></html>").counter_total == 0


PER_WORKER = """# HELP http_requests_total Total HTTP requests
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/v1/examday-trace-abc",status="404"} 2.0
http_requests_total{method="GET",route="/metrics",status="200"} 17.0
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1",method="GET",route="/v1/examday-trace-abc"} 2.0
"""


def test_our_own_request_is_found_by_its_raw_path_label():
    from examday.facts.metrics import counted_for

    assert counted_for(PER_WORKER, "/v1/examday-trace-abc") == 2.0
    # another worker's registry, which never saw it; a path that only starts the same is not it
    assert counted_for(PER_WORKER, "/v1/examday-trace-ab") == 0.0
    assert counted_for(PER_WORKER.replace("examday-trace-abc", "other"), "/v1/examday-trace-abc") == 0.0
