"""Request ID, timing headers, per-request DB counters, request logs and metrics.

A plain ASGI middleware rather than BaseHTTPMiddleware: it sees the route
FastAPI matched (scope["route"]), keeps contextvars intact for the endpoint,
and can put the headers on every response, including errors and 404s.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.context import RequestStats, start_request
from app.logs import get_logger

SAMPLE_RATE = 0.10
WARN_MS = 500
ERROR_MS = 1500
MAX_REQUEST_ID_CHARS = 128

_log = get_logger()


def _request_id(scope: Scope) -> str:
    incoming = Headers(scope=scope).get("x-request-id", "").strip()
    if incoming and len(incoming) <= MAX_REQUEST_ID_CHARS and incoming.isprintable():
        return incoming
    return str(uuid.uuid4())


def _route_template(scope: Scope) -> str | None:
    route = scope.get("route")
    return getattr(route, "path", None)


def _severity(duration_ms: float) -> str | None:
    if duration_ms > ERROR_MS:
        return "error"
    if duration_ms > WARN_MS:
        return "warn"
    return None


def _timing_headers(stats: RequestStats, started: float) -> dict[str, str]:
    return {
        "X-Request-ID": stats.request_id,
        "X-Response-Time-ms": f"{(time.perf_counter() - started) * 1000:.2f}",
        "X-DB-Queries": str(stats.db_queries),
        "X-DB-Time-ms": f"{stats.db_time_ms:.2f}",
    }


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, sampled_paths: Iterable[str]) -> None:
        self.app = app
        # Health probes and scrapes would otherwise drown the request logs.
        self.sampled_paths = frozenset(sampled_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stats = start_request(_request_id(scope))
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]
        # Decided once, so a sampled request keeps both its start and end lines.
        logged = path not in self.sampled_paths or random.random() < SAMPLE_RATE
        if logged:
            _log.info("request.start", request_id=stats.request_id, method=method, path=path, route=None)

        response: dict[str, int | bool] = {"status": 500, "started": False}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"], response["started"] = message["status"], True
                headers = MutableHeaders(scope=message)
                for name, value in _timing_headers(stats, started).items():
                    headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            _log.error("request.exception", request_id=stats.request_id, method=method, path=path, exc_info=True)
            response["status"] = 500
            if not response["started"]:
                await _send_500(send_with_headers)
        finally:
            self._finish(scope, stats, started, int(response["status"]), logged)

    def _finish(self, scope: Scope, stats: RequestStats, started: float, status: int, logged: bool) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        route = _route_template(scope)
        metrics.observe_request(scope["method"], route, status, duration_ms / 1000)
        if not logged:
            return
        fields: dict[str, object] = {
            "request_id": stats.request_id,
            "method": scope["method"],
            "path": scope["path"],
            "route": route,
            "status_code": status,
            "duration_ms": int(duration_ms),
            "db_query_count": stats.db_queries,
            "db_total_ms": int(stats.db_time_ms),
        }
        severity = _severity(duration_ms)
        if severity:
            fields["severity"] = severity
        # level follows the outcome (5xx), severity follows the latency.
        (_log.error if status >= 500 else _log.info)("request.end", **fields)


async def _send_500(send: Send) -> None:
    body = json.dumps({"detail": "internal server error"}, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
