"""Sandbox extensions that faults switch on (env SANDBOX_FAULT_*, all off by default).
Nothing here exists on the real platform; see sandbox/README.md."""

from __future__ import annotations

import random

from fastapi import Request

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
