"""The platform's hard-coded rate-limit policies, counted in Redis.

Keys `rl:{route}:{ip|user|email}:{id}:{window}`, INCR + EXPIRE, 429 RATE_LIMITED.
The client IP is the socket's address (request.client.host): behind a proxy, unless
uvicorn trusts its forwarded headers, every student has the proxy's address and one
bucket. Redis failing: every limiter fails open, except refresh, which fails closed
when REDIS_REQUIRED. SANDBOX_FAULT_RATE_LIMIT_FAILS_CLOSED (off by default) makes
every limiter fail closed (a sandbox fault, not a platform setting).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from fastapi import Request, status

from app.errors import CodedError
from app.logs import Throttle, get_logger
from app.redis_client import get_redis
from app.settings import get_settings

_log = get_logger()
_throttle = Throttle(10)


@dataclass(frozen=True)
class Policy:
    route: str
    kind: str  # ip | user | email
    limit: int
    window_seconds: int
    fails_closed_when_required: bool = False


LOGIN_PER_IP = Policy("login", "ip", 5, 60)
LOGIN_PER_EMAIL = Policy("login", "email", 10, 60)
SIGNUP_PER_IP = Policy("signup", "ip", 3, 60)
SESSION_CREATE_PER_USER = Policy("session_create", "user", 10, 60)
SUBMIT_PER_USER = Policy("submit", "user", 10, 60)


def refresh_policy() -> Policy:
    # The only limit the RL_* settings drive.
    return Policy("refresh", "user", get_settings().rl_refresh_per_hour, 3600, fails_closed_when_required=True)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _rate_limited(retry_after: int) -> CodedError:
    return CodedError(status.HTTP_429_TOO_MANY_REQUESTS, "RATE_LIMITED", "Too many requests",
                      {"Retry-After": str(max(1, retry_after))})


def note_redis_failure(component: str, exc: Exception, outcome: str) -> None:
    if _throttle.allow(component + outcome):
        _log.warning(f"{component}.{outcome}", reason=f"{type(exc).__name__}: {str(exc)[:160]}")


def enforce(policy: Policy, subject: str) -> None:
    now = int(time.time())
    window = now // policy.window_seconds
    key = f"rl:{policy.route}:{policy.kind}:{subject}:{window}"
    settings = get_settings()
    try:
        client = get_redis()
        count = int(client.incr(key))
        if count == 1:
            client.expire(key, policy.window_seconds)
    except redis.RedisError as exc:
        closed = settings.fault_rate_limit_fails_closed or (
            policy.fails_closed_when_required and settings.redis_required)
        note_redis_failure("rate_limit", exc, "failed_closed" if closed else "bypassed")
        if closed:
            raise _rate_limited(60) from exc
        return
    if count > policy.limit:
        raise _rate_limited(policy.window_seconds - now % policy.window_seconds)
