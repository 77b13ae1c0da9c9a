"""Sandbox extensions that faults switch on (env SANDBOX_FAULT_*, all off by default).
Nothing here exists on the real platform; see sandbox/README.md."""

from __future__ import annotations

import random
import time
from typing import Any

from fastapi import Request

from app.context import current_stats
from app.settings import get_settings

NOT_CRASHED = ("/health", "/metrics", "/")


class SandboxInjectedCrash(RuntimeError):
    """Raised by a handler on purpose (SANDBOX_FAULT_CRASH_SHARE / SANDBOX_FAULT_SESSIONS_500)."""


def maybe_crash(request: Request) -> None:
    """A global dependency: SANDBOX_FAULT_CRASH_SHARE of the non-health API requests raise."""
    share = get_settings().fault_crash_share
    if share <= 0:
        return
    path = request.url.path
    prefix = get_settings().api_prefix
    if path in NOT_CRASHED or path in (f"{prefix}/health", f"{prefix}/ready"):
        return
    if random.random() < share:
        raise SandboxInjectedCrash(f"SANDBOX_FAULT_CRASH_SHARE={share}: this handler raises")


def sessions_500(what: str) -> None:
    """What the platform's current commit does: creating a session and reading a timed one fail."""
    if get_settings().fault_sessions_500:
        raise SandboxInjectedCrash(f"SANDBOX_FAULT_SESSIONS_500: {what} raises")



_leaked: list[Any] = []  # sessions never closed: a strong reference keeps their connections checked out


def checkout_timed(session: Any) -> None:
    """With SANDBOX_FAULT_LEAK_CONNECTIONS_AFTER_MS on, take the request's connection up front and time
    it: the pool's pre-ping is where a stalled database makes a request wait, not in a query."""
    stats = current_stats()
    if get_settings().fault_leak_connections_after_ms > 0 and stats is not None:
        started = time.perf_counter()
        session.connection()
        stats.waited_for_db((time.perf_counter() - started) * 1000)


def leaked_after_stall(session: Any) -> bool:
    """SANDBOX_FAULT_LEAK_CONNECTIONS_AFTER_MS: a request that waited longer for the database keeps a
    connection checked out for good, as code that abandons its session on a slow path does. After
    the database stalls, each worker's pool stays used up and every request waits for pool_timeout."""
    after_ms = get_settings().fault_leak_connections_after_ms
    stats = current_stats()
    if after_ms > 0 and stats is not None and stats.slowest_db_wait_ms > after_ms:
        session.connection()  # checked out again if the endpoint's commit gave it back
        _leaked.append(session)  # never closed: its connection stays out of the pool
        return True
    return False
