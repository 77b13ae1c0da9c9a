"""Reading Prometheus text: only declared counters are summed, other lines are counted as samples."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from examday.facts.metrics import parse_counters, search_for_marker
from examday.probes.http import HttpProbe

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


class _WorkerRegistriesStandIn(BaseHTTPRequestHandler):
    """Stands in for uvicorn workers that each keep their own registry: successive scrapes show
    registry 0, 1, 2, 3, 0, ..., and only the last one counted the marker."""

    scrapes = 0

    def do_GET(self) -> None:
        worker = type(self).scrapes % 4
        type(self).scrapes += 1
        marker_line = 'http_requests_total{path="/examday-trace-x"} 6\n' if worker == 3 else ""
        body = f"# TYPE http_requests_total counter\n{marker_line}http_requests_total{{path=\"/\"}} 1\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def worker_registries():
    _WorkerRegistriesStandIn.scrapes = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WorkerRegistriesStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    probe = HttpProbe(f"http://127.0.0.1:{server.server_address[1]}", keep_alive=False)
    yield probe
    probe.close()
    server.shutdown()


def test_the_search_scrapes_past_the_workers_that_did_not_count_us(worker_registries):
    search = search_for_marker(worker_registries, "/metrics", "/examday-trace-x")
    assert (search.scrapes, search.counted, search.samples) == (4, 6.0, 2)


def test_a_marker_no_worker_counted_ends_at_the_scrape_limit(worker_registries):
    search = search_for_marker(worker_registries, "/metrics", "/examday-trace-never", max_scrapes=9)
    assert (search.scrapes, search.counted) == (9, 0.0)
