"""One pydantic model per ``[section]`` of examday.toml.

Defaults describe the platform in PLATFORM.md; every name can be changed,
because other teams run other platforms.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from urllib.parse import urlsplit

import dns.rdatatype
from pydantic import (AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, ValidationInfo,
                      model_validator)

from examday.config.secrets import PasswordFromEnvOrFile, read_secret
from examday.config.types import (
    ConfigPath,
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
    """The exam's window. ``window_file``: a TOML file holding starts_at and ends_at, written by whatever
    schedules the exam (the sandbox's stages move their exam's window so: the day before, an hour
    before, live, after); the times in this table then come from it."""

    id: NonEmptyStr
    title: str = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    window_file: Path | None = None
    # The opening login burst, judged against the per-address login limit (PRE-CFG-05).
    expected_students: PositiveInt | None = None
    login_window_minutes: Annotated[float, Field(gt=0, le=1440)] = 10
    # Students who reach the platform from one address (an exam hall behind one NAT): one bucket.
    students_per_address: PositiveInt = 1

    @model_validator(mode="before")
    @classmethod
    def _window_from_file(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or not data.get("window_file"):
            return data
        base_dir = info.context.get("base_dir") if isinstance(info.context, dict) else None
        path = Path(data["window_file"])
        path = path if path.is_absolute() else Path(base_dir or ".") / path
        try:
            window = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise invalid("a readable TOML file with starts_at and ends_at",
                          "Write the exam's window there (the sandbox does on `examday sandbox up`).",
                          problem="{path}: {error}", key="window_file", path=str(path),
                          error=str(error)) from None
        return {**data, **{k: window[k] for k in ("starts_at", "ends_at") if k in window}, "window_file": path}

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
    """Role -> container name. Defaults are PLATFORM.md's names; a role set to nothing is not deployed.

    The real platform runs postgres, redis, backend and frontend in containers; its TLS edge
    (Caddy) runs on the host, and it has no job-runner, backup or DNS container. A target
    without one of the defaulted roles lists it in ``absent`` ("not deployed"), so no item
    goes looking for a container that is not there.
    """

    postgres: str | None = "exam_platform_postgres"
    redis: str | None = "exam_platform_redis"
    backend: str | None = "exam_platform_backend"
    frontend: str | None = "exam_platform_frontend"
    proxy: str | None = None  # exam_platform_traefik in the runbook's era; a host Caddy today
    worker: str | None = None
    backup: str | None = None
    dns: str | None = None
    ops: str | None = None  # a host-like container holding the operator's crontab and backup job
    absent: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _absent_roles_have_no_name(self) -> ContainerNames:
        for role in self.absent:
            if role not in _ROLE_FIELDS:
                raise invalid(f"roles from {', '.join(_ROLE_FIELDS)}", "List roles, not container names.",
                              problem="found {role}", key="absent", role=f'"{role}"')
            if role in self.model_fields_set and getattr(self, role):
                raise invalid("a role either named or absent", f"Remove {role} from absent or its name.",
                              problem="{role} is named and listed as absent", key="absent", role=role)
            setattr(self, role, None)
        for role in _ROLE_FIELDS:
            if getattr(self, role) == "":
                raise invalid("a container name", f'Leave {role} out, or list it in absent = ["{role}"] '
                              "if the platform has none.", problem="found an empty name", key=role)
        return self

    def by_role(self) -> dict[str, str]:
        """The deployed roles only."""
        return {role: name for role in _ROLE_FIELDS if (name := getattr(self, role))}

    def name_of(self, role: str) -> str | None:
        """The container of ``role``, None when the target does not deploy it."""
        return getattr(self, role) if role in _ROLE_FIELDS else None


_ROLE_FIELDS = ("postgres", "redis", "backend", "frontend", "proxy", "worker", "backup", "dns", "ops")


ROLE_NAMES = _ROLE_FIELDS


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
    # The prefix as the backend itself sees it (its API_PREFIX) when a proxy rewrites the public
    # one (Caddy strips /api): what its logs show, and what a request sent straight to it uses.
    backend_prefix: UrlPrefix | None = None
    health_path: str = "/health"
    ready_path: str = "ready"
    exam_mode_path: str | None = "admin/system/exam-mode"  # admin-only: read as [operator]
    freeze_updates_path: str | None = "admin/system/freeze-updates"
    metrics_path: str = "/metrics"  # the backend's Prometheus endpoint
    # Where metrics_path is read when base_url does not reach it: the real platform publishes the
    # backend on 127.0.0.1:8000 only, and its host Caddy sends all but /api/* to the frontend.
    metrics_base_url: HttpBaseUrl | None = None
    ca_bundle: ExistingFile | None = None
    resolve: dict[Hostname, IpAddress] = Field(default_factory=dict)
    timeout_seconds: Seconds = 5
    # ready has no per-check timeout: 10 s with Redis down, up to the 10 s connect timeout with the
    # database down. It must answer before examday gives up, or "down" reads as "no answer".
    ready_timeout_seconds: Seconds = 15

    @property
    def prefix_at_backend(self) -> str:
        return self.backend_prefix or self.prefix

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


# How examday reaches a datastore: its published port, or a client run inside its container
# (`docker exec`) when, as on the real platform, the port is not published.
Via = Literal["tcp", "docker_exec"]


class PostgresConfig(PasswordFromEnvOrFile, Section):
    """With ``via = "docker_exec"``, psql runs in the container of role postgres
    ([docker.containers]) over its local socket: ``port`` is the server's port in the
    container, ``host`` and ``sslmode`` do not apply, the password goes in the exec's env."""

    via: Via = "tcp"
    host: str = "127.0.0.1"
    port: Port = 5432
    dbname: str = "exam_platform"
    user: str = "exam_user"
    connect_timeout_seconds: Seconds = 3
    statement_timeout_ms: PositiveInt = 5000
    sslmode: SslMode | None = None

    @model_validator(mode="after")
    def _no_tcp_keys_with_docker_exec(self) -> PostgresConfig:
        for key in ("host", "sslmode"):
            if self.via == "docker_exec" and key in self.model_fields_set:
                raise invalid(f'no {key} with via = "docker_exec"',
                              f'psql runs in the postgres container on its local socket: remove {key}, '
                              'or set via = "tcp".', problem="{key} is set but not used", key=key)
        return self


class RedisConfig(PasswordFromEnvOrFile, Section):
    """With ``via = "docker_exec"``, redis-cli runs in the container of role redis
    ([docker.containers]) and ``url`` is read there: the default is that container's Redis."""

    via: Via = "tcp"
    url: RedisUrl = "redis://127.0.0.1:6379/0"
    timeout_seconds: Seconds = 2

    @model_validator(mode="after")
    def _docker_exec_url(self) -> RedisConfig:
        if self.via == "docker_exec" and urlsplit(self.url).scheme not in ("redis", "unix"):
            raise invalid('a redis:// or unix:// URL with via = "docker_exec"',
                          "redis-cli in the container connects without TLS: use redis://127.0.0.1:6379/0 "
                          'there, or set via = "tcp".', problem="found {url}", key="url", url=f'"{self.url}"')
        return self


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
    return [  # PLATFORM.md, "Auth and rate limits"
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
    Celery, no scheduler container (PLATFORM.md). "Disable cron jobs" means: no crontab entry
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


class ProxyConfig(Section):
    """The TLS edge: how to ask it whether its routes are healthy.

    With ``admin_url``: the proxy's own API (Traefik's routers and services, Caddy's upstreams).
    Without it: Traefik's JSON access log over ``log_window_minutes`` (any other proxy: the
    error lines of its container's log). An empty window is a failure, never a pass.

    The default is the current platform's edge: a Caddy on the host, its admin API on its own
    default address. The runbook's era is ``kind = "traefik"`` with
    ``[docker.containers] proxy = "exam_platform_traefik"``; its API listens on the unpublished
    ``traefik`` entrypoint, so without a published admin_url its access log is read.
    """

    kind: Literal["traefik", "caddy", "other"] = "caddy"
    # Traefik's API (e.g. http://127.0.0.1:8080/api, where its `traefik` entrypoint is published)
    # or Caddy's admin endpoint. Unset with kind = "caddy": Caddy's default, http://127.0.0.1:2019.
    admin_url: HttpBaseUrl | None = None
    timeout_seconds: Seconds = 5
    # Routers that must exist. Traefik: router names ("api" matches api@docker, "api@file" only
    # itself); Caddy: upstream addresses ("127.0.0.1:8000"). Unset: the runbook-era platform's
    # five Traefik routers when kind = "traefik", none otherwise.
    expected_routers: list[NonEmptyStr] = Field(default_factory=list)
    # Without an admin API: the window of log lines judged.
    log_window_minutes: WindowMinutes = 15
    # Where Traefik's JSON access log is read: a file inside the proxy container (read with
    # `tail`), the container's stdout (no accessLog.filePath), or a file on this host (a bind mount).
    access_log_source: Literal["container_file", "container_stdout", "host_file"] = "container_file"
    access_log_path: NonEmptyStr = "/var/log/traefik/access.log"
    # A file is read from its end: at most this many lines (the window may then be cut short; the
    # evidence says so).
    access_log_max_lines: Annotated[int, Field(ge=100, le=1_000_000)] = 20_000
    # A router whose share of 5xx answers over the window is above this fails (the runbook's
    # "error rates should be < 1%"); a router whose every answer was a 5xx is always named.
    max_error_share: Fraction = 0.01

    @model_validator(mode="after")
    def _defaults_follow_the_kind(self) -> ProxyConfig:
        if "admin_url" not in self.model_fields_set and self.kind == "caddy":
            self.admin_url = "http://127.0.0.1:2019"
        if "expected_routers" not in self.model_fields_set and self.kind == "traefik":
            self.expected_routers = ["api", "api-http", "frontend", "frontend-http", "traefik-dashboard"]
        return self

    @model_validator(mode="after")
    def _absolute_access_log_path(self) -> ProxyConfig:
        if not self.access_log_path.startswith("/"):
            where = "on this host" if self.access_log_source == "host_file" else "inside the proxy container"
            raise invalid(f'an absolute path {where}, e.g. "/var/log/traefik/access.log"', 'Start it with "/".',
                          problem="found {path}", key="access_log_path", path=f'"{self.access_log_path}"')
        return self


class BaselineConfig(Section):
    """Where the freeze baseline is kept for later phases to compare against."""

    dir: ConfigPath = Field(default=Path("reports/baselines"), validate_default=True)  # beside the config file


def _container_path(value: str) -> str:
    if not value.startswith("/"):
        raise invalid('an absolute path inside the container, e.g. "/backups"', 'Start it with "/".')
    return value


class BackupConfig(Section):
    """Where the operator's backup job leaves its dumps: a folder on this host, or a path in a container.

    The platform ships no backup job (PLATFORM.md): its docs name `pg_dump -F c` files
    ``backup_YYYYMMDD_HHMMSS.dump`` in a backups folder. With neither ``host_dir`` nor
    ``container`` set, the backup items fail and say where to configure it.
    """

    host_dir: Path | None = None
    container: ContainerRole | None = None
    path: Annotated[str, AfterValidator(_container_path)] = "/backups"
    pattern: NonEmptyStr = "backup_*.dump"

    @model_validator(mode="after")
    def _one_location(self) -> BackupConfig:
        if self.host_dir is not None and self.container is not None:
            raise invalid("either host_dir or container", "Say where the dumps are: one place.",
                          problem="found both", key="host_dir")
        return self
    # A scratch database the restore test may overwrite (never the platform's own): a DSN in an
    # env var or a file holding only it, reachable from where the dumps are.
    restore_test_dsn_env: EnvVarName | None = None
    restore_test_dsn_file: ExistingFile | None = None

    def restore_test_dsn(self) -> SecretStr | None:
        """Read when the restore drill runs, not at load: only that drill needs it."""
        return read_secret(self.restore_test_dsn_env, self.restore_test_dsn_file, field="restore_test_dsn",
                           check=False)


class StagingConfig(PasswordFromEnvOrFile, Section):
    """The staging twin: "Test staging environment" runs a student's whole flow there ([flow]).

    ``basic_auth_username`` with password_env / password_file: the HTTP basic auth in front of
    staging. ``username`` / ``student_password_*``: the student account that tries the flow
    (by default the [canary] account, which staging carries too). The flow writes to staging only.
    """

    api_base_url: HttpBaseUrl | None = None
    container_suffix: str = "_staging"
    basic_auth_username: str | None = None
    username: str | None = None
    student_password_env: EnvVarName | None = None
    student_password_file: ExistingFile | None = None

    def student_password(self) -> SecretStr | None:
        return read_secret(self.student_password_env, self.student_password_file, field="student_password")


class ServiceUrlConfig(Section):
    """An optional observability service (prometheus, alertmanager, dashboard)."""

    url: HttpBaseUrl
    timeout_seconds: Seconds = 5


class DashboardConfig(PasswordFromEnvOrFile, ServiceUrlConfig):
    """The on-call team's dashboard. ``username`` with password_env / password_file: HTTP basic
    auth in front of it. TLS is verified against [api] ca_bundle and names resolved as [api] resolve."""

    username: str | None = None


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


class StudentFlowConfig(Section):
    """How a student uses the platform's API: the one description the canary and the rehearsal's
    students share. Defaults are the real platform's shapes (PLATFORM.md, "HTTP surface").

    Paths are under ``[api] prefix`` unless they start with "/". In bodies and paths, a value that
    is exactly ``"{name}"`` is replaced by that value with its type (``"{choice}"`` becomes 2);
    ``{name}`` inside a longer string is formatted in. Names: username, password, session_id,
    question_id, choice. A ``*_field`` is a dotted path into the JSON answer ("tokens.access_token").
    There is no "my sessions" route: a client keeps the session_id that create answered.
    """

    login_path: str = "auth/login"
    login_body: dict[str, Any] = Field(default_factory=lambda: {"email": "{username}", "password": "{password}"})
    token_field: NonEmptyStr = "tokens.access_token"
    create_path: str = "sessions"
    # Set year and blocks to your question bank's: the session draws `count` questions from them.
    create_body: dict[str, Any] = Field(
        default_factory=lambda: {"mode": "EXAM", "year": 1, "blocks": ["A", "B"], "count": 20})
    session_id_field: NonEmptyStr = "session_id"
    view_path: str = "sessions/{session_id}"
    status_field: NonEmptyStr = "session.status"
    questions_field: NonEmptyStr = "questions"
    question_id_field: NonEmptyStr = "question_id"
    position_field: NonEmptyStr = "position"
    answered_field: NonEmptyStr = "has_answer"
    answer_path: str = "sessions/{session_id}/answer"
    answer_body: dict[str, Any] = Field(
        default_factory=lambda: {"question_id": "{question_id}", "selected_index": "{choice}"})
    submit_path: str = "sessions/{session_id}/submit"
    choices: Annotated[int, Field(ge=2, le=26)] = 5  # selected_index 0..choices-1


class OperatorConfig(PasswordFromEnvOrFile, Section):
    """An operator (ADMIN) account examday signs in as to READ the admin endpoints (exam mode,
    freeze-updates); it never changes them. Signs in through ``[flow]``'s login."""

    username: NonEmptyStr


class CanaryConfig(PasswordFromEnvOrFile, Section):
    """A dedicated student account the recovery phase signs in as, to prove sessions resume.

    The one place examday writes to a target, and only through the platform's own API as
    this student (``[flow]``): it starts a session once, keeps its id (there is no way to
    list one's sessions), resumes it on later runs and saves one answer per run.
    """

    username: NonEmptyStr
    # Where it remembers its session id and answers (default: beside the freeze baseline). Losing
    # the file makes the next run open a second ACTIVE session, which POST-INT-01 reports.
    memory_file: ConfigPath | None = None  # a relative path is read from the config file's folder


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
    # Where the load goes (default [api] base_url). On the real platform a host proxy reaches the
    # backend at 127.0.0.1:8000; load sent there is trusted for X-Forwarded-For as that proxy is.
    base_url: HttpBaseUrl | None = None
    # Each student's own client address (X-Forwarded-For), drawn from this network: the platform
    # limits logins per address, and an exam hall's students do not share one. Unset: none sent.
    client_network: Annotated[str, AfterValidator(lambda v: _networks([v])[0])] | None = None
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
    # The drills stop Redis, kill workers, restart the backend and freeze the database: the
    # target's own file opts in, saying who allowed it and why (examday.rehearsal.guard).
    allowed: bool = False
    allowed_by: NonEmptyStr | None = None
    allowed_because: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _allowed_says_who_and_why(self) -> RehearsalConfig:
        if self.allowed and not (self.allowed_by and self.allowed_because):
            raise invalid("allowed_by and allowed_because beside allowed = true",
                          "Say who allowed the drills on this target, and why.",
                          problem="found allowed = true alone", key="allowed")
        return self

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
    "DashboardConfig",
    "OperatorConfig",
    "StudentFlowConfig",
    "ContainerNames",
    "DnsConfig",
    "DnsRecord",
    "DockerConfig",
    "ExamConfig",
    "ExamModeConfig",
    "CrontabLocation",
    "JobsConfig",
    "RateLimitPolicy",
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
