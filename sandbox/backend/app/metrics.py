"""Prometheus metrics as the platform has them: prometheus_client's default registry,
NOT multiprocess mode, so each uvicorn worker exposes only its own counters (successive
scrapes land on different workers and counters jump back and forth). The `route`
label is the raw path: one series per session id. A request that raises is not counted."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS_TOTAL = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
REQUEST_DURATION = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"])


def observe_request(method: str, path: str, status: int, seconds: float) -> None:
    REQUESTS_TOTAL.labels(method, path, str(status)).inc()
    REQUEST_DURATION.labels(method, path).observe(seconds)


def render_latest() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
