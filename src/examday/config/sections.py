"""One pydantic model per ``[section]`` of examday.toml.

Defaults describe the platform in PLATFORM.md; every name can be changed,
because other teams run other platforms.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from urllib.parse import urlsplit

import dns.rdatatype
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, model_validator

from examday.config.secrets import PasswordFromEnvOrFile, read_secret
from examday.config.types import (
    Days,
    EnvVarName,
    ExistingDir,
    ExistingFile,
    FileInExistingDir,
    Fraction,
    Hostname,
    HostPort,
    HttpBaseUrl,
    IpAddress,
    NonEmptyStr,
    NonNegativeInt,
    Percent,
    Port,
    PositiveInt,
    RedisUrl,
    ResolverAddress,
    Seconds,
    SqlIdentifier,
    UrlPrefix,
    WholeDays,
    WindowMinutes,
    invalid,
    split_host_port,
)


class Section(BaseModel):
    """A table of examday.toml: unknown keys are errors, never silently ignored.

    TOML has ``inf`` and ``nan``: no threshold, window or margin means anything with them.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class TargetConfig(Section):
    name: NonEmptyStr
    kind: Literal["sandbox", "staging", "production"]
    description: str = ""


class ExamConfig(Section):
    id: NonEmptyStr
    title: str = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> ExamConfig:
        if self.ends_at <= self.starts_at:
            raise invalid(
                "a time after exam.starts_at",
                "Check the two times and their UTC offsets.",
                problem="ends_at ({found_end}) is not after starts_at ({found_start})",
                key="ends_at",
                found_end=self.ends_at.isoformat(),
                found_start=self.starts_at.isoformat(),
            )
        return self

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at


class ContainerNames(Section):
    """Role -> container name. Roles left unset (None) are not part of this platform."""

    postgres: str = "exam_platform_postgres"
    redis: str = "exam_platform_redis"
    backend: str = "exam_platform_backend"
    frontend: str = "exam_platform_frontend"
    proxy: str = "exam_platform_traefik"
    worker: str | None = None
    backup: str | None = None
    dns: str | None = None

    def by_role(self) -> dict[str, str]:
        """The configured roles only."""
        return {role: name for role, name in self.model_dump().items() if name}


ROLE_NAMES = tuple(ContainerNames.model_fields)


def _container_role(value: str) -> str:
    if value not in ROLE_NAMES:
        raise invalid(f"a role from [docker.containers]: {', '.join(ROLE_NAMES)}", "Name the role, not the container.")
    return value


ContainerRole = Annotated[str, AfterValidator(_container_role)]


def _default_docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


class DockerConfig(Section):
    base_url: str = Field(default_factory=_default_docker_host)
    timeout_seconds: Seconds = 5
    compose_files: list[ExistingFile] = Field(default_factory=list)
    compose_project_dir: ExistingDir | None = None
    compose_env_files: list[ExistingFile] = Field(default_factory=list)
    compose_project_name: str | None = None
    # The compose file sits in a folder named "compose", so the project name is
    # not the platform's name: containers are found by name or by this label.
    service_label: str = "com.docker.compose.service"
    containers: ContainerNames = Field(default_factory=ContainerNames)


class ApiConfig(Section):
    """The HTTP API. A path starting with "/" is taken from the base URL, any other under ``prefix``."""

    base_url: HttpBaseUrl
    prefix: UrlPrefix = "/v1"
    health_path: str = "/health"
    ready_path: str = "ready"
    exam_mode_path: str | None = None
    metrics_path: str = "/metrics"  # the backend's Prometheus endpoint
    ca_bundle: ExistingFile | None = None
    resolve: dict[Hostname, IpAddress] = Field(default_factory=dict)
    timeout_seconds: Seconds = 5

    def path_for(self, path: str) -> str:
        """``"/health"`` -> ``"/health"``; ``"ready"`` -> ``"/v1/ready"``."""
        if path.startswith("/"):
            return path
        return f"{self.prefix}/{path}"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.base_url)
        return parts.port or (443 if parts.scheme == "https" else 80)


SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


class PostgresConfig(PasswordFromEnvOrFile, Section):
    host: str = "127.0.0.1"
    port: Port = 5432
    dbname: str = "exam_platform"
    user: str = "exam_user"
    connect_timeout_seconds: Seconds = 3
    statement_timeout_ms: PositiveInt = 5000
    sslmode: SslMode | None = None


class RedisConfig(PasswordFromEnvOrFile, Section):
    url: RedisUrl = "redis://127.0.0.1:6379/0"
    timeout_seconds: Seconds = 2


class TlsConfig(Section):
    """``endpoints`` default to the API's host:port; ``ca_bundle`` and ``resolve`` to the API's."""

    endpoints: list[HostPort] = Field(default_factory=list)
    ca_bundle: ExistingFile | None = None
    resolve: dict[Hostname, IpAddress] = Field(default_factory=dict)
    min_days_left: WholeDays = 14
    margin_after_exam_days: Days = 7
    timeout_seconds: Seconds = 5

    def host_ports(self) -> list[tuple[str, int]]:
        return [split_host_port(endpoint) for endpoint in self.endpoints]


def _rdata_type(value: str) -> str:
    try:
        rdtype = dns.rdatatype.from_text(value)
    except Exception:
        rdtype = dns.rdatatype.NONE
    # Meta-types (ANY, AXFR, OPT...) are questions, not records a name can be expected to hold.
    if rdtype == dns.rdatatype.NONE or dns.rdatatype.is_metatype(rdtype):
        raise invalid("a DNS record type such as A, AAAA, CNAME, TXT", "Use the record type's name.")
    return value.upper()


_ADDRESS_VERSIONS = {"A": 4, "AAAA": 6}


class DnsRecord(Section):
    name: Hostname
    type: Annotated[str, AfterValidator(_rdata_type)] = "A"
    expected: list[str]

    @model_validator(mode="after")
    def _addresses_in_canonical_form(self) -> DnsRecord:
        # The probe reports "::1", never "0:0::1": an address written another way would never match.
        version = _ADDRESS_VERSIONS.get(self.type)
        if version is not None:
            self.expected = [_address_of_version(text, version, self.type) for text in self.expected]
        return self


def _address_of_version(text: str, version: int, rtype: str) -> str:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        address = None
    if address is None or address.version != version:
        raise invalid(
            f"IPv{version} addresses for an {rtype} record",
            "List the addresses the name must resolve to.",
            problem="found {address}, which is not an IPv{version} address",
            key="expected",
            address=f'"{text}"',
            version=version,
        )
    return str(address)


class DnsConfig(Section):
    """``resolver`` unset means the host's own resolver (first nameserver of /etc/resolv.conf)."""

    resolver: ResolverAddress | None = None
    timeout_seconds: Seconds = 2
    records: list[DnsRecord] = Field(default_factory=list)


class LogsConfig(Section):
    container: ContainerRole = "backend"
    latency_fields: Annotated[list[str], Field(min_length=1)] = Field(default_factory=lambda: ["duration_ms", "total_ms"])
    status_field: str = "status_code"
    event_field: str = "event"
    route_field: str = "route"
    path_field: str = "path"
    request_id_field: str = "request_id"
    timestamp_field: str = "timestamp"
    sql_fields: list[str] = Field(default_factory=lambda: ["statement", "sql", "query"])
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
    """Where "is exam mode on?" is read, in order: the first source that answers wins."""

    sources: Annotated[list[ExamModeSource], Field(min_length=1), AfterValidator(_unique_sources)] = Field(
        default_factory=lambda: ["system_flags", "env"]
    )
    env_key: EnvVarName = "EXAM_MODE"
    flag_table: SqlIdentifier = "system_flags"
    flag_key: NonEmptyStr = "EXAM_MODE"


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
    "SCHEDULED_JOBS_ENABLED",
    "RATE_LIMIT_LOGIN_PER_MINUTE",
    "RATE_LIMIT_API_PER_MINUTE",
    "RATE_LIMIT_FAIL_MODE",
)

# Rate-limit settings an exam day wants within bounds: [lowest, highest] per minute.
DEFAULT_RATE_LIMIT_BOUNDS = {
    "RATE_LIMIT_LOGIN_PER_MINUTE": (3.0, 60.0),
    "RATE_LIMIT_API_PER_MINUTE": (60.0, 6000.0),
}


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
    # A job-runner service may stay defined if this env key disables its schedule.
    scheduled_jobs_env: EnvVarName = "SCHEDULED_JOBS_ENABLED"
    # Roles whose containers run background jobs (the runbook's cron/celery/worker).
    job_runner_roles: list[str] = Field(default_factory=lambda: ["worker"])
    # env key -> [lowest, highest] acceptable value, read from the backend's configuration.
    rate_limits: dict[EnvVarName, Annotated[tuple[float, float], AfterValidator(_bounds)]] = Field(
        default_factory=lambda: dict(DEFAULT_RATE_LIMIT_BOUNDS))
    # Rate limiting must fail open when Redis is down (PLATFORM.md): this key must not say "closed".
    rate_limit_fail_mode_env: EnvVarName | None = "RATE_LIMIT_FAIL_MODE"
    # Roles the rollback plan rebuilds (`up -d --build backend frontend`): a previous image must exist.
    rollback_roles: list[str] = Field(default_factory=lambda: ["backend", "frontend"])


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


class ProxyConfig(Section):
    """The TLS edge: how to ask it whether its routes are healthy."""

    kind: Literal["traefik", "caddy", "other"] = "traefik"
    # Traefik's API (e.g. http://127.0.0.1:8080/api) or Caddy's admin endpoint (http://127.0.0.1:2019)
    admin_url: HttpBaseUrl | None = None
    timeout_seconds: Seconds = 5
    # Without an admin API: error lines in the proxy's log over this window fail the item.
    log_window_minutes: WindowMinutes = 15


class BaselineConfig(Section):
    """Where the freeze baseline is kept for later phases to compare against."""

    dir: Path = Path("reports/baselines")


def _container_path(value: str) -> str:
    if not value.startswith("/"):
        raise invalid('an absolute path inside the container, e.g. "/backups"', 'Start it with "/".')
    return value


class BackupConfig(Section):
    container: ContainerRole = "backup"
    path: Annotated[str, AfterValidator(_container_path)] = "/backups"
    pattern: NonEmptyStr = "*.dump"
    restore_test_dsn_env: EnvVarName | None = None

    def restore_test_dsn(self) -> SecretStr | None:
        """Read when the restore drill runs, not at load: only that drill needs it."""
        return read_secret(self.restore_test_dsn_env, None, field="restore_test_dsn", check=False)


class StagingConfig(Section):
    api_base_url: HttpBaseUrl | None = None
    container_suffix: str = "_staging"


class ServiceUrlConfig(Section):
    """An optional observability service (prometheus, alertmanager, dashboard)."""

    url: HttpBaseUrl
    timeout_seconds: Seconds = 5


class PrometheusConfig(ServiceUrlConfig):
    """Prometheus: its targets and rules (pre-exam), and optionally the during phase's figures."""

    # Alert rules that must be loaded and healthy (none listed: at least one rule).
    expected_alerts: list[NonEmptyStr] = Field(default_factory=list)
    # During: read p95 (seconds), the 5xx share and pool usage from these queries instead of
    # the backend's logs; the logs stay the fallback when a query fails or has no data.
    # {window} becomes the during window (logs.window_minutes), e.g. "900s".
    during_queries: bool = False
    p95_seconds_query: NonEmptyStr = (
        'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket'
        '{route!~"/health|/metrics"}[{window}])))')
    error_rate_query: NonEmptyStr = (
        '(sum(rate(http_requests_total{status=~"5.."}[{window}])) or vector(0))'
        ' / sum(rate(http_requests_total[{window}]))')
    pool_usage_query: NonEmptyStr = "sum(db_pool_checked_out_connections) / sum(db_pool_size)"


class AlertmanagerConfig(ServiceUrlConfig):
    """Alertmanager, and how a test alert's delivery is confirmed."""

    # Where the receiver's own record of delivered alerts can be read (the sandbox's webhook
    # sink); without it, delivery is confirmed by Alertmanager's notification counters.
    receiver_record_url: HttpBaseUrl | None = None
    delivery_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 60


class CanaryConfig(PasswordFromEnvOrFile, Section):
    """A dedicated student account the recovery phase signs in as, to prove sessions resume.

    The one place examday writes to a target, and only through the platform's own
    API as this student: it starts or resumes a session and saves one answer per run.
    """

    username: NonEmptyStr
    exam_code: NonEmptyStr
    login_path: str = "auth/login"
    exams_path: str = "exams"
    sessions_path: str = "sessions"


def _networks(value: list[str]) -> list[str]:
    for text in value:
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise invalid('networks such as "127.0.0.0/8" or "10.20.0.0/16"',
                          "List the target's own addresses: load goes nowhere else.",
                          problem="found {text}", text=f'"{text}"') from None
    return value


def _username_pattern(value: str) -> str:
    try:
        value.format(1)
    except (IndexError, KeyError, ValueError):
        raise invalid('a pattern with one number field, e.g. "student{:03d}"',
                      "Use {} or {:03d} where the student's number goes.") from None
    return value


class RehearsalConfig(PasswordFromEnvOrFile, Section):
    """`pytest -m rehearsal`: load from simulated students, and fault drills (never production unless forced).

    The students sign in as numbered accounts (username_pattern from first_student on),
    all with the one password (password_env / password_file).
    """

    students: Annotated[int, Field(ge=1, le=10_000)] = 60
    first_student: Annotated[int, Field(ge=0)] = 1
    username_pattern: Annotated[str, AfterValidator(_username_pattern)] = "student{:03d}"
    exam_code: str | None = None
    # Where load may go: the target's own addresses (a base URL resolving elsewhere is refused).
    allowed_networks: Annotated[list[str], AfterValidator(_networks)] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    answer_rate_per_s: Annotated[float, Field(gt=0, le=10_000)] = 20
    steady_seconds: Annotated[float, Field(ge=1, le=3600)] = 10  # before each fault, and again after it
    redis_outage_seconds: Annotated[float, Field(ge=1, le=3600)] = 60  # the runbook's "stop Redis 60 s"
    db_latency_seconds: Annotated[float, Field(ge=1, le=3600)] = 20
    # Database latency without netem: the database container frozen this long in every period.
    db_freeze_ms: Annotated[int, Field(ge=10, le=5000)] = 150
    db_freeze_period_ms: Annotated[int, Field(ge=20, le=10_000)] = 300
    max_requests: Annotated[int, Field(ge=1, le=10_000_000)] = 200_000

    @model_validator(mode="after")
    def _freeze_shorter_than_its_period(self) -> RehearsalConfig:
        if self.db_freeze_ms >= self.db_freeze_period_ms:
            raise invalid("less than db_freeze_period_ms", "The database must run part of every period.",
                          problem="found {ms} ms frozen of every {period} ms", key="db_freeze_ms",
                          ms=self.db_freeze_ms, period=self.db_freeze_period_ms)
        return self


class AttestationsConfig(Section):
    """Signed-off manual items. Unset ``file`` means attestations/<exam id or target name>.toml."""

    file: FileInExistingDir | None = None


__all__ = [
    "ApiConfig",
    "AttestationsConfig",
    "BackupConfig",
    "CanaryConfig",
    "ContainerNames",
    "DnsConfig",
    "DnsRecord",
    "DockerConfig",
    "ExamConfig",
    "ExamModeConfig",
    "LogsConfig",
    "PlatformConfig",
    "PostgresConfig",
    "RedisConfig",
    "PrometheusConfig",
    "RehearsalConfig",
    "AlertmanagerConfig",
    "ServiceUrlConfig",
    "StagingConfig",
    "TargetConfig",
    "ThresholdsConfig",
    "TlsConfig",
]
