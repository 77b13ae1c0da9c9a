"""The process's Redis client: redis-py, 1 s connect and socket timeouts, redis-py's
default retries, and NO circuit breaker (the platform has none): while Redis is down
every call that touches it pays the timeouts, retries and name resolution again."""

from __future__ import annotations

import redis

from app.settings import get_settings

SOCKET_TIMEOUT_SECONDS = 1

_client: redis.Redis | None = None


def get_redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            get_settings().redis_url,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
        )
    return _client
