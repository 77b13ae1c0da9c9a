"""Forget the sandbox's rate-limit counters: for examday's own tests and benches, never a target.

The platform allows 5 sign-ins a minute per address and 10 per email, counted in Redis
(``rl:*`` keys, docs/platform.md), and every checklist run signs in (the canary, the operator,
the staging student) from this host's one address. Runs one after another would then depend on
how fast the ones before them went; forgetting the counters of the sandbox and of its staging
twin (each has its own Redis) makes every run start as an exam-day run does.
"""

from __future__ import annotations

from examday.sandbox.lifecycle import Sandbox

REDIS_SERVICES = ("redis", "redis_staging")


def forget_sign_in_limits(sandbox: Sandbox) -> None:
    platform = sandbox.platform()
    for redis in REDIS_SERVICES:
        keys = platform.exec_checked(redis, ["redis-cli", "--scan", "--pattern", "rl:*"]).split()
        if keys:
            platform.exec_checked(redis, ["redis-cli", "DEL", *keys])
