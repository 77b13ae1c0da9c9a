"""What the platform is and how it behaves: [logs], [exam_mode], [platform] (its env allowlist and
rate-limit policies), [jobs], [thresholds]."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from examday.config.sections.connections import ContainerRole, ROLE_NAMES
from examday.config.sections.target import Section
from examday.config.types import (
    EnvVarName, Fraction, NonEmptyStr, NonNegativeInt, Percent, PositiveInt, Seconds, SqlIdentifier,
    WholeDays, WindowMinutes, invalid,
)


class LogsConfig(Section):
    container: ContainerRole = "backend"
    latency_fields: Annotated[list[str], Field(min_length=1)] = Field(default_factory=lambda: ["duration_ms", "total_ms"])
    status_field: str = "status_code"
    event_field: str = "event"
    route_field: str = "route"
    path_field: str = "path"
    method_field: str = "method"
    request_id_field: str = "request_id"
    timestamp_field: str = "timestamp"
    # A line marked as one of a sample (`"sampled": true`) is counted apart, like sampled_paths.
    sampled_field: str = "sampled"
    # Where an event nests its own fields (the platform's slow_sql: under "extra"); read before the top level.
    extra_field: str = "extra"
    sql_fields: list[str] = Field(default_factory=lambda: ["statement", "sql", "query"])
    sql_latency_fields: list[str] = Field(default_factory=lambda: ["query_ms", "duration_ms"])
    end_event: NonEmptyStr = "request.end"
    slow_sql_event: NonEmptyStr = "slow_sql"
    # Logged at a 10% sample rate by the platform: counted apart, kept out of percentiles.
    sampled_paths: list[str] = Field(default_factory=lambda: ["/health", "/metrics", "/v1/health", "/"])
    slow_ms: Annotated[float, Field(gt=0)] = 500
    very_slow_ms: Annotated[float, Field(gt=0)] = 1500
    window_minutes: WindowMinutes = 15
    max_line_bytes: Annotated[int, Field(ge=256)] = 65536


ExamModeSource = Literal["system_flags", "env", "http"]


def _unique_sources(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise invalid("each source at most once", "Remove the repeated source.", problem="found a repeated source")
    return value


class ExamModeConfig(Section):
    """Where exam mode is read. The real platform keeps it in ``system_flags`` only (row EXAM_MODE,
    cached 10 s per worker) and no code reads the EXAM_MODE env var; "env" is for platforms of the
    runbook's era; "http" asks the admin endpoint (``[api] exam_mode_path``) as ``[operator]``."""

    sources: Annotated[list[ExamModeSource], Field(min_length=1), AfterValidator(_unique_sources)] = Field(
        default_factory=lambda: ["system_flags"]
    )
    env_key: EnvVarName = "EXAM_MODE"
    flag_table: SqlIdentifier = "system_flags"
    flag_key: NonEmptyStr = "EXAM_MODE"
    # The flag that makes answer and submit answer 423: must be off while students answer.
    freeze_updates_key: NonEmptyStr | None = "FREEZE_UPDATES"
    # How long a flag change takes to reach every worker (SYSTEM_FLAGS_CACHE_TTL_SECONDS).
    cache_seconds: Annotated[float, Field(ge=0, le=3600)] = 10


DEFAULT_ENV_ALLOWLIST = (
    "EXAM_MODE",
    "UVICORN_WORKERS",
    "UVICORN_LIMIT_CONCURRENCY",
    "UVICORN_LIMIT_MAX_REQUESTS",
    "API_PREFIX",
    "REDIS_ENABLED",
    "REDIS_REQUIRED",
    "ENVIRONMENT",
    "LOG_LEVEL",
    # Whom uvicorn trusts with X-Forwarded-For: addresses, not secrets (PRE-CFG-05 shows them).
    "FORWARDED_ALLOW_IPS",
    "UVICORN_FORWARDED_ALLOW_IPS",
    "UVICORN_PROXY_HEADERS",
)


class RateLimitPolicy(Section):
    """One limit the platform enforces: ``limit`` requests per ``window_seconds`` per ``per`` key.

    The real platform hard-codes its policies (counted in Redis): they are data here, not env
    settings read from the backend, because no env var changes them.
    """

    route: NonEmptyStr
    per: Literal["ip", "email", "user"]
    limit: PositiveInt
    window_seconds: Annotated[int, Field(ge=1, le=86_400)] = 60
    set_by: str = "hard-coded"  # where its figures come from (the refresh limit: the RL_* env settings)

    @property
    def per_minute(self) -> float:
        return self.limit * 60 / self.window_seconds


def _default_rate_limit_policies() -> list[RateLimitPolicy]:
    return [  # docs/platform.md, "Auth and rate limits"
        RateLimitPolicy(route="login", per="ip", limit=5),
        RateLimitPolicy(route="login", per="email", limit=10),
        RateLimitPolicy(route="signup", per="ip", limit=3),
        RateLimitPolicy(route="session_create", per="user", limit=10),
        RateLimitPolicy(route="submit", per="user", limit=10),
        RateLimitPolicy(route="refresh", per="user", limit=60, window_seconds=3600,
                        set_by="RL_* env settings"),
    ]


def _ip_or_network(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise invalid('an address or network, e.g. "172.18.0.1" or "172.16.0.0/12"',
                      "List where the backend sees the proxy connect from.") from None
    return value


def _bounds(value: tuple[float, float]) -> tuple[float, float]:
    low, high = value
    if low > high:
        raise ValueError(f"lowest ({low}) is above highest ({high})")
    return value


class PlatformConfig(Section):
    workers_env: EnvVarName = "UVICORN_WORKERS"
    pool_size: PositiveInt = 10
    max_overflow: NonNegativeInt = 10
    # Only these env values may appear in evidence: the rest of a container env holds secrets.
    env_allowlist: list[EnvVarName] = Field(default_factory=lambda: list(DEFAULT_ENV_ALLOWLIST))
    # A job-runner container, for platforms that have one (the real one has none: cron on the
    # host starts its jobs). Off by default; [jobs] says where jobs are looked for.
    job_runner_roles: list[ContainerRole] = Field(default_factory=list)
    # The env key that switches such a runner's schedule off ("false"); None: it has no switch.
    scheduled_jobs_env: EnvVarName | None = None
    # The limits the platform enforces (hard-coded on the real one); the per-address login
    # limit is judged against [exam]'s login burst.
    rate_limit_policies: list[RateLimitPolicy] = Field(default_factory=_default_rate_limit_policies)
    # For platforms whose limits ARE env settings: env key -> [lowest, highest], read from the
    # running backend. Empty by default: the real platform's RL_* only drive the refresh limit.
    rate_limits: dict[EnvVarName, Annotated[tuple[float, float], AfterValidator(_bounds)]] = Field(
        default_factory=dict)
    # Is the backend reached through a reverse proxy? None: yes when a proxy container is named
    # or examday.toml has a [proxy] table (the real platform's host Caddy).
    behind_proxy: bool | None = None
    # Where the backend sees the proxy connect from. Empty: found from Docker (the proxy
    # container's address on a network it shares with the backend, else the backend network's
    # gateway, which is where a host proxy arrives from through a published port).
    proxy_addresses: list[Annotated[str, AfterValidator(_ip_or_network)]] = Field(default_factory=list)
    # Roles the rollback plan rebuilds (`up -d --build backend frontend`): a previous image must exist.
    rollback_roles: list[str] = Field(default_factory=lambda: ["backend", "frontend"])


# What a job's command line matches: the platform's `python -m app.jobs.run KEY`, and the
# runbook's celery and rq workers. A cron daemon is not a job: it only starts its entries,
# and those are read from the crontabs.
DEFAULT_JOB_COMMAND_PATTERNS = (
    r"\bapp\.jobs\.run\b",
    r"(^|[\s/])celery(\s|$)",
    r"(^|[\s/])rq\s+worker\b",
    r"(^|[\s/])rqworker(\s|$)",
)


DEFAULT_HOST_CRONTABS = ("/etc/crontab", "/etc/cron.d/*", "/var/spool/cron/crontabs/*")


_GLOB_CHARACTERS = set("*?[")


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise invalid("a regular expression (Python's re)",
                      "Fix the pattern; in TOML write it in single quotes, e.g. 'app\\.jobs\\.run'.",
                      problem="found {value}: {error}", value=f'"{value}"', error=str(error)) from None
    return value


def _crontab_path(value: str) -> str:
    head, _, _ = value.rpartition("/")
    if not value.startswith("/") or _GLOB_CHARACTERS & set(head):
        raise invalid('an absolute path, with * or ? in its last part only, e.g. "/etc/cron.d/*"',
                      "Name a crontab file, a folder of them, or a pattern for the files in one folder.")
    return value


def _crontab_where(value: str) -> str:
    if value != "host" and value not in ROLE_NAMES:
        raise invalid(f'"host" or a role from [docker.containers]: {", ".join(ROLE_NAMES)}',
                      'Use "host" for the machine examday runs on, else the role of the container.')
    return value


class CrontabLocation(Section):
    """Crontabs in one place: ``host`` (the machine examday runs on, read directly) or a container
    role (read with ``docker exec <container> sh -c 'cat ...'``). A folder means its files.

    ``format``: "system" lines carry a user field (/etc/crontab, /etc/cron.d), "user" lines do
    not (/var/spool/cron/..., /etc/crontabs/...); "auto" tells them apart by path.
    """

    where: Annotated[str, AfterValidator(_crontab_where)]
    paths: Annotated[list[Annotated[str, AfterValidator(_crontab_path)]], Field(min_length=1)]
    format: Literal["auto", "system", "user"] = "auto"


class JobsConfig(Section):
    """Background jobs: what a job looks like, where crontabs are, where processes are searched.

    The real platform's jobs are `python -m app.jobs.run KEY` started by cron on the host; no
    Celery, no scheduler container (docs/platform.md). "Disable cron jobs" means: no crontab entry
    that starts one, and no such process running.
    """

    command_patterns: Annotated[list[Annotated[str, AfterValidator(_regex)]], Field(min_length=1)] = Field(
        default_factory=lambda: list(DEFAULT_JOB_COMMAND_PATTERNS))
    crontabs: list[CrontabLocation] = Field(
        default_factory=lambda: [CrontabLocation(where="host", paths=list(DEFAULT_HOST_CRONTABS))])
    # Roles whose processes are searched for jobs; None: every role [docker.containers] names.
    containers: list[ContainerRole] | None = None
    # Also search this machine's own processes (when examday runs on the platform's host).
    host_processes: bool = False
    timeout_seconds: Seconds = 10


class ThresholdsConfig(Section):
    cert_days: WholeDays = 14
    backup_max_age_hours: Annotated[float, Field(gt=0)] = 26
    p95_ms: Annotated[float, Field(gt=0)] = 500
    error_rate: Fraction = 0.01
    pool_usage: Fraction = 0.8
    cpu_pct: Percent = 80
    mem_pct: Percent = 85
    connection_headroom: Fraction = 0.1
    disk_free_pct: Percent = 20
    restart_count_max: NonNegativeInt = 0
    # during: the share of requests slower than logs.very_slow_ms that is still acceptable
    very_slow_fraction: Fraction = 0.01
    # during (DUR-LAT-03): p95 per route, "METHOD route template" -> ms, "{prefix}" standing for
    # the backend's own prefix (api.backend_prefix, else api.prefix), as its logs show it. The
    # platform's own hardening targets; a route not listed (login: password hashing is slow on
    # purpose) is only shown. A table in examday.toml replaces this one whole.
    route_p95_ms: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=lambda: {
        "POST {prefix}/sessions/{session_id}/answer": 100,
        "POST {prefix}/sessions/{session_id}/submit": 300,
        "POST {prefix}/sessions": 200,
        "GET /health": 50,
    })

    @model_validator(mode="after")
    def _route_keys_name_method_and_route(self) -> ThresholdsConfig:
        for key in self.route_p95_ms:
            method, _, route = key.partition(" ")
            if not (method.isalpha() and method.isupper() and route[:1] in ("/", "{") and not any(
                    char.isspace() for char in route)):
                raise invalid('"METHOD route", e.g. "POST {prefix}/sessions/{session_id}/answer"',
                              "Write the method in capitals, one space, then the route template as the "
                              "backend logs it.", problem="found {route_key}", key="route_p95_ms",
                              route_key=f'"{key}"')
        return self
