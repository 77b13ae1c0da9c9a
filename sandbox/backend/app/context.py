"""Per-request state shared between the middleware, the auth dependency and the DB hooks.

Mutable on purpose: sync endpoints run in a thread pool with a *copy* of the
request's context, so rebinding a contextvar there would be lost, while mutating
the object it points to is seen by the middleware.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestStats:
    request_id: str
    db_queries: int = 0
    db_time_ms: float = 0.0
    slowest_db_wait_ms: float = 0.0  # one query, or one connection checkout (its pre-ping)
    user_id: str | None = None
    user_role: str | None = None

    def add_query(self, duration_ms: float) -> None:
        self.db_queries += 1
        self.db_time_ms += duration_ms
        self.waited_for_db(duration_ms)

    def waited_for_db(self, duration_ms: float) -> None:
        self.slowest_db_wait_ms = max(self.slowest_db_wait_ms, duration_ms)


_current: ContextVar[RequestStats | None] = ContextVar("request_stats", default=None)


def start_request(request_id: str) -> RequestStats:
    stats = RequestStats(request_id=request_id)
    _current.set(stats)
    return stats


def current_stats() -> RequestStats | None:
    return _current.get()


def current_request_id() -> str | None:
    stats = _current.get()
    return stats.request_id if stats else None
