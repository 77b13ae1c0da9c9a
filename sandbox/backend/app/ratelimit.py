"""Fixed-window rate limits in Redis that fail open (or closed, if configured).

Failing open is the platform's documented exam-day behaviour: losing Redis
must not lock students out, it only lifts the limits for a while.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import redis
from fastapi import HTTPException, status

from app.logs import Throttle, get_logger
from app.redis_client import get_redis, note_failure, skip_if_recently_failed
from app.settings import get_settings

WINDOW_SECONDS = 60
BYPASS_LOG_INTERVAL_SECONDS = 10

_log = get_logger()
_bypass_throttle = Throttle(BYPASS_LOG_INTERVAL_SECONDS)
# redis-py quotes the failing command (key included) in pipeline errors; keys
# hold usernames and token-hash prefixes, which have no place in the logs.
_PIPELINE_COMMAND = re.compile(r"Command # \d+ \(.*?\) of pipeline caused error: ")


class RateLimitExceeded(HTTPException):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail="rate limit exceeded",
            headers={"Retry-After": str(retry_after)},
        )


class RateLimiterUnavailable(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail="rate limiter unavailable")


@dataclass(frozen=True)
class WindowCount:
    count: int
    retry_after: int


def _count_in_window(client: redis.Redis, scope: str, subject: str) -> WindowCount:
    now = int(time.time())
    window = now // WINDOW_SECONDS
    key = f"rl:{scope}:{subject}:{window}"
    pipe = client.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, WINDOW_SECONDS + 1)
    count, _ = pipe.execute()
    return WindowCount(count=int(count), retry_after=WINDOW_SECONDS - now % WINDOW_SECONDS)


def note_redis_bypass(component: str, exc: Exception) -> None:
    """One JSON warning per component per 10 s while Redis is failing."""
    if _bypass_throttle.allow(component):
        _log.warning(
            f"{component}.bypassed",
            reason=f"{type(exc).__name__}: {_PIPELINE_COMMAND.sub('', str(exc))}"[:200],
            fail_mode=get_settings().rate_limit_fail_mode,
        )


def enforce(scope: str, subject: str, limit: int) -> None:
    """Raise 429 past the limit; on Redis errors serve (open) or raise 503 (closed)."""
    client = get_redis()
    if client is None:
        return  # REDIS_ENABLED=false: no limiter at all, by configuration.
    try:
        skip_if_recently_failed()
        counted = _count_in_window(client, scope, subject)
    except redis.RedisError as exc:
        note_failure(exc)
        if get_settings().rate_limit_fails_closed:
            raise RateLimiterUnavailable() from exc
        note_redis_bypass("rate_limit", exc)
        return
    if counted.count > limit:
        raise RateLimitExceeded(counted.retry_after)


def enforce_login(username: str) -> None:
    enforce("login", username.strip().lower(), get_settings().rate_limit_login_per_minute)


def enforce_api(token_hash: str) -> None:
    enforce("api", token_hash[:32], get_settings().rate_limit_api_per_minute)
