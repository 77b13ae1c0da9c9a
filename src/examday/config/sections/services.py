"""The services around the platform: [proxy], [baseline], [backup], [staging], [dashboard],
[prometheus], [alertmanager]."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr, model_validator

from examday.config.secrets import PasswordFromEnvOrFile, read_secret
from examday.config.sections.connections import ContainerRole
from examday.config.sections.target import Section
from examday.config.types import (
    ConfigPath, EnvVarName, ExistingFile, Fraction, HttpBaseUrl, NonEmptyStr, Seconds, WindowMinutes, invalid,
)


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

    The platform ships no backup job (docs/platform.md): its docs name `pg_dump -F c` files
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
    # `examday watch` posts an alert per item a round fails, resolved when a later round passes it:
    # it pages people, so only when the target's own file says so.
    watch_alerts: bool = False
