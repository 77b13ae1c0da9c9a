"""The process's Redis client, or None when Redis is disabled by configuration."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.settings import get_settings

# Same budget as the real platform: a dead Redis costs at most about a second per call.
SOCKET_TIMEOUT_SECONDS = 1

_client: redis.Redis | None = None


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
