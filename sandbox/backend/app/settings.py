"""Configuration read from the environment, as the platform's backend reads it.

Only variables the real platform has are read here, plus the sandbox's own fault
knobs (`SANDBOX_FAULT_*`, every one off by default; see sandbox/README.md).
Note what is NOT here: EXAM_MODE (the system_flags row is the truth; an EXAM_MODE
in the env file is read by nothing), per-route rate limits (hard-coded policies,
see ratelimit.py), pool sizes (constants in db.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(RuntimeError):
    """A required variable is missing or a value cannot be parsed."""


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc


def env_str(name: str, default: str) -> str:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else raw


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    redis_url: str
    redis_required: bool
    api_prefix: str
    jwt_secret: str
    access_token_minutes: int
    refresh_token_days: int
    rl_refresh_per_hour: int
    system_flags_cache_ttl_seconds: float
    log_level: str
    # -- sandbox extensions, off by default (faults switch them on) --
    fault_crash_share: float
    fault_sessions_500: bool
    fault_rate_limit_fails_closed: bool
    fault_job_hold_seconds: int
    fault_leak_connections_after_ms: int  # 0: off


def _container_start() -> str:
    """When this container's main process started (clock ticks since boot, /proc/1/stat field 22):
    the same in every worker, new at each restart of the container."""
    with open("/proc/1/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[19]


def _normalise_prefix(prefix: str) -> str:
    prefix = "/" + prefix.strip("/")
    return "" if prefix == "/" else prefix


def load_settings() -> Settings:
    secret = env_str("JWT_SECRET", "")
    if not secret:
        raise SettingsError("JWT_SECRET is required")
    environment = env_str("ENVIRONMENT", "development").lower()
    if env_bool("SANDBOX_FAULT_SIGN_INS_LOST_ON_RESTART", False):
        # A platform that keeps its sign-ins in process memory: a restart signs every student out.
        secret = f"{secret}:{_container_start()}"
    crash_share = env_float("SANDBOX_FAULT_CRASH_SHARE", 0.0)
    if not 0.0 <= crash_share <= 1.0:
        raise SettingsError(f"SANDBOX_FAULT_CRASH_SHARE must be between 0 and 1, got {crash_share}")
    return Settings(
        environment=environment,
        database_url=env_str("DATABASE_URL", "postgresql+psycopg://exam_user@exam_platform_postgres:5432/exam_platform"),
        redis_url=env_str("REDIS_URL", "redis://exam_platform_redis:6379/0"),
        # The platform forces it on in production; the sandbox sets REDIS_REQUIRED=true in its
        # platform.env (the ready-degraded fault switches it off).
        redis_required=env_bool("REDIS_REQUIRED", False),
        api_prefix=_normalise_prefix(env_str("API_PREFIX", "/api/v1")),
        jwt_secret=secret,
        access_token_minutes=env_int("ACCESS_TOKEN_EXPIRE_MINUTES", 15),
        refresh_token_days=env_int("REFRESH_TOKEN_EXPIRE_DAYS", 7),
        rl_refresh_per_hour=env_int("RL_REFRESH_PER_HOUR", 60),
        system_flags_cache_ttl_seconds=env_float("SYSTEM_FLAGS_CACHE_TTL_SECONDS", 10.0),
        log_level=env_str("LOG_LEVEL", "INFO").upper(),
        fault_crash_share=crash_share,
        fault_sessions_500=env_bool("SANDBOX_FAULT_SESSIONS_500", False),
        fault_rate_limit_fails_closed=env_bool("SANDBOX_FAULT_RATE_LIMIT_FAILS_CLOSED", False),
        fault_job_hold_seconds=env_int("SANDBOX_FAULT_JOB_HOLD_SECONDS", 0),
        fault_leak_connections_after_ms=env_int("SANDBOX_FAULT_LEAK_CONNECTIONS_AFTER_MS", 0),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
