"""The process's Redis client, or None when Redis is disabled by configuration.

A breaker keeps a dead Redis from costing every request its timeout: after a
failure, callers skip Redis (failing open or closed, as configured) for a few
seconds, then one request tries it again.
"""

from __future__ import annotations

import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.settings import get_settings

# Same budget as the real platform: a dead Redis costs at most about a second per call.
SOCKET_TIMEOUT_SECONDS = 1

BREAKER_SECONDS = 5.0

_client: redis.Redis | None = None
_failed_at: float | None = None


class RedisSkipped(redis.ConnectionError):
    """Not tried: Redis failed less than BREAKER_SECONDS ago."""


def note_failure(exc: redis.RedisError) -> None:
    """Open the breaker on a real failure (a skipped call is not one)."""
    global _failed_at
    if not isinstance(exc, RedisSkipped):
        _failed_at = time.monotonic()


def skip_if_recently_failed() -> None:
    """Raise RedisSkipped while the breaker is open (callers treat it like any Redis error)."""
    if _failed_at is not None and time.monotonic() - _failed_at < BREAKER_SECONDS:
        raise RedisSkipped(f"Redis failed less than {BREAKER_SECONDS:g} s ago: not tried")


def get_redis() -> redis.Redis | None:
    global _client
    settings = get_settings()
    if not settings.redis_enabled:
        return None
    if _client is None:
        _client = redis.Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            # redis-py's default retries with backoff would turn one 1 s timeout
            # into several seconds per request while Redis is down.
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
    return _client
