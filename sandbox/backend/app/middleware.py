"""Request ID, request logs and metrics, the platform's way.

- Every response carries X-Request-ID (an incoming one echoed verbatim), except a 500
  from an unhandled exception: the exception passes through here unanswered and
  Starlette's ServerErrorMiddleware (outside this one) sends a bare 500.
- request.start / request.end JSON lines (always level info); when the handler raises,
  request.end has "status_code": null and nothing else is logged as JSON (uvicorn prints
  the traceback as plain text).
- /health, /metrics, {prefix}/health and / are logged at a 10% sample, marked "sampled".
"""

from __future__ import annotations

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

_log = get_logger()


def _severity(duration_ms: float) -> str | None:
    if duration_ms > ERROR_MS:
        return "error"
    if duration_ms > WARN_MS:
        return "warn"
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, sampled_paths: Iterable[str]) -> None:
        self.app = app
        self.sampled_paths = frozenset(sampled_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id")
        stats = start_request(incoming if incoming else str(uuid.uuid4()))
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]
        sampled = path in self.sampled_paths
        logged = not sampled or random.random() < SAMPLE_RATE
        extra = {"sampled": True} if sampled else {}
        if logged:
            _log.info("request.start", request_id=stats.request_id, method=method, path=path, route=None, **extra)
        status: dict[str, int] = {}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = stats.request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            if logged:
                self._log_end(scope, stats, started, None, extra)
            raise
        code = status.get("code", 500)
        metrics.observe_request(method, path, code, time.perf_counter() - started)
        if logged:
            self._log_end(scope, stats, started, code, extra)

    @staticmethod
    def _log_end(scope: Scope, stats: RequestStats, started: float, code: int | None,
                 extra: dict[str, bool]) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        route = getattr(scope.get("route"), "path", None)
        fields: dict[str, object] = {
            "request_id": stats.request_id,
            "method": scope["method"],
            "path": scope["path"],
            "route": route,
            "status_code": code,
            "duration_ms": int(duration_ms),
            "db_query_count": stats.db_queries,
            "db_total_ms": int(stats.db_time_ms),
        }
        if stats.user_id is not None:
            fields["user_id"], fields["user_role"] = stats.user_id, stats.user_role
        severity = _severity(duration_ms)
        if severity:
            fields["severity"] = severity
        _log.info("request.end", **fields, **extra)
