"""Prometheus metrics in multiprocess mode, so /metrics sums every uvicorn worker.

prometheus_client picks multiprocess mode from PROMETHEUS_MULTIPROC_DIR at
import time, so the variable is settled here before the library is imported.
The entrypoint empties the directory when the master starts.
"""

from __future__ import annotations

import os
import threading

from app.settings import get_settings

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", get_settings().prometheus_multiproc_dir)
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import Engine, event  # noqa: E402

# Finer than the defaults below 100 ms: the platform's targets are 50-300 ms.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0)
UNMATCHED_ROUTE = "unmatched"

REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS_TOTAL = Counter("http_requests_total", "HTTP requests by route template", ["method", "route", "status"])
# "liveall": one sample per live worker pid; a worker that exits removes its file.
DB_POOL_CHECKED_OUT = Gauge(
    "db_pool_checked_out_connections",
    "SQLAlchemy pool connections checked out, per worker process",
    multiprocess_mode="liveall",
)
DB_POOL_SIZE = Gauge(
    "db_pool_size", "Configured pool_size + max_overflow, per worker process", multiprocess_mode="liveall"
)


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    labels = (method, route or UNMATCHED_ROUTE, str(status))
    REQUEST_DURATION.labels(*labels).observe(seconds)
    REQUESTS_TOTAL.labels(*labels).inc()


def instrument_pool(engine: Engine) -> None:
    settings = get_settings()
    DB_POOL_SIZE.set(settings.db_pool_size + settings.db_max_overflow)
    # Counted here rather than read from pool.checkedout(): the checkin event
    # fires before the connection is back in the queue, so that would lag by one.
    lock = threading.Lock()
    checked_out = [0]

    def _move(delta: int) -> None:
        with lock:
            checked_out[0] = max(0, checked_out[0] + delta)
            DB_POOL_CHECKED_OUT.set(checked_out[0])

    event.listen(engine.pool, "checkout", lambda *_: _move(+1))
    event.listen(engine.pool, "checkin", lambda *_: _move(-1))


def mark_this_process_dead() -> None:
    multiprocess.mark_process_dead(os.getpid())


def render_latest() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry), CONTENT_TYPE_LATEST
