"""Configuration read from the environment, the way the real platform is configured.

Every knob is an env var so the sandbox's compose file (and examday's fault
injection) can change behaviour without rebuilding the image.
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


def env_str(name: str, default: str) -> str:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else raw


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    redis_enabled: bool
    redis_required: bool
    api_prefix: str
    exam_mode_env: bool
    uvicorn_workers: int
    db_pool_size: int
    db_max_overflow: int
    db_pool_timeout: int
    rate_limit_fail_mode: str
    rate_limit_login_per_minute: int
    rate_limit_api_per_minute: int
    auth_token_pepper: str
    auth_token_ttl_seconds: int
    jwt_secret: str
    scheduled_jobs_enabled: bool
    scheduler_interval_seconds: int
    prometheus_multiproc_dir: str
    slow_sql_warn_ms: int
    slow_sql_error_ms: int
    log_level: str

    @property
    def rate_limit_fails_closed(self) -> bool:
        return self.rate_limit_fail_mode == "closed"


def _normalise_prefix(prefix: str) -> str:
    # "/v1/" and "v1" both mean "/v1": route templates must not get "//".
    prefix = "/" + prefix.strip("/")
    return "" if prefix == "/" else prefix


def load_settings() -> Settings:
    pepper = os.environ.get("AUTH_TOKEN_PEPPER", "")
    if not pepper:
        raise SettingsError("AUTH_TOKEN_PEPPER is required (tokens are stored as sha256(pepper + token))")
    fail_mode = env_str("RATE_LIMIT_FAIL_MODE", "open").strip().lower()
    if fail_mode not in {"open", "closed"}:
        raise SettingsError(f"RATE_LIMIT_FAIL_MODE must be open or closed, got {fail_mode!r}")
    return Settings(
        database_url=env_str(
            "DATABASE_URL", "postgresql+psycopg://exam_user@exam_platform_postgres:5432/exam_platform"
        ),
        redis_url=env_str("REDIS_URL", "redis://exam_platform_redis:6379/0"),
        redis_enabled=env_bool("REDIS_ENABLED", True),
        redis_required=env_bool("REDIS_REQUIRED", False),
        api_prefix=_normalise_prefix(env_str("API_PREFIX", "/api/v1")),
        exam_mode_env=env_bool("EXAM_MODE", False),
        uvicorn_workers=env_int("UVICORN_WORKERS", 3),
        db_pool_size=env_int("DB_POOL_SIZE", 10),
        db_max_overflow=env_int("DB_MAX_OVERFLOW", 10),
        db_pool_timeout=env_int("DB_POOL_TIMEOUT", 30),
        rate_limit_fail_mode=fail_mode,
        rate_limit_login_per_minute=env_int("RATE_LIMIT_LOGIN_PER_MINUTE", 10),
        rate_limit_api_per_minute=env_int("RATE_LIMIT_API_PER_MINUTE", 600),
        auth_token_pepper=pepper,
        auth_token_ttl_seconds=env_int("AUTH_TOKEN_TTL_SECONDS", 12 * 3600),
        jwt_secret=env_str("JWT_SECRET", ""),
        scheduled_jobs_enabled=env_bool("SCHEDULED_JOBS_ENABLED", True),
        scheduler_interval_seconds=max(1, env_int("SCHEDULER_INTERVAL_SECONDS", 20)),
        prometheus_multiproc_dir=env_str("PROMETHEUS_MULTIPROC_DIR", "/tmp/prometheus-multiproc"),
        slow_sql_warn_ms=env_int("SLOW_SQL_WARN_MS", 100),
        slow_sql_error_ms=env_int("SLOW_SQL_ERROR_MS", 300),
        log_level=env_str("LOG_LEVEL", "INFO").upper(),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
