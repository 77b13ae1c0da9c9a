"""Names, paths and ports of the sandbox: the single place they are defined."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECT_NAME = "examday-sandbox"
DOMAIN = "exam.localhost"
API_HOST = f"api.{DOMAIN}"
STAGING_API_HOST = f"staging.api.{DOMAIN}"
OPERATOR_EMAIL = f"operator@{DOMAIN}"
UNVERIFIED_EMAIL = f"unverified@{DOMAIN}"
CANARY_EMAIL = f"student200@{DOMAIN}"
IMAGE_PREFIX = "examday-sandbox"
BASE_IMAGE = f"{IMAGE_PREFIX}/base:bookworm"
RUNTIME_IMAGE = f"{IMAGE_PREFIX}/runtime:bookworm"

# compose service -> container name (docs/platform.md's names; the proxy is Caddy here).
CONTAINERS: dict[str, str] = {
    "postgres": "exam_platform_postgres",
    "redis": "exam_platform_redis",
    "backend": "exam_platform_backend",
    "frontend": "exam_platform_frontend",
    "proxy": "exam_platform_proxy",
    # Not a platform container: stands for the operator's host (its cron runs jobs and backups).
    "ops": "examday_sandbox_ops",
    "dns": "exam_platform_dns",
    # the staging twin (compose profile "staging", started by `up`)
    "postgres_staging": "exam_platform_postgres_staging",
    "redis_staging": "exam_platform_redis_staging",
    "backend_staging": "exam_platform_backend_staging",
    # monitoring, as the platform's later versions run it
    "prometheus": "exam_platform_prometheus",
    "alertmanager": "exam_platform_alertmanager",
    "alert_receiver": "exam_platform_alert_receiver",
    "postgres_exporter": "exam_platform_postgres_exporter",
    "redis_exporter": "exam_platform_redis_exporter",
}

STAGING_SERVICES = ("postgres_staging", "redis_staging", "backend_staging")
STAGING_PROFILE = "staging"
OPS_CRONTAB_IN_CONTAINER = "/etc/cron.d/exam-platform"

# Optional, not part of the platform: simulated students answering during the exam.
STUDENTS_CONTAINER = "examday_sandbox_students"

# Published on 127.0.0.1 only; each can be moved with the env var of the same name.
PORTS: dict[str, int] = {
    "EXAMDAY_PORT_HTTPS": 8443,
    "EXAMDAY_PORT_PROXY_ADMIN": 2019,
    "EXAMDAY_PORT_BACKEND": 8000,
    "EXAMDAY_PORT_FRONTEND": 3000,
    "EXAMDAY_PORT_DNS": 5353,
    "EXAMDAY_PORT_PROMETHEUS": 9090,
    "EXAMDAY_PORT_ALERTMANAGER": 9093,
    "EXAMDAY_PORT_ALERT_RECEIVER": 9095,
}


@dataclass(frozen=True)
class SandboxPaths:
    """Where the sandbox's committed sources and generated state live."""

    root: Path  # the repository's sandbox/ folder

    @classmethod
    def default(cls) -> "SandboxPaths":
        return cls(Path(__file__).resolve().parents[3] / "sandbox")

    @property
    def compose_file(self) -> Path:
        return self.root / "docker-compose.yml"

    @property
    def faulted_compose_file(self) -> Path:
        """A copy of the compose file that a fault changed beyond what a variable can (the
        no-log-rotation fault drops the backend's logging options). While it exists, the
        sandbox's own compose commands use it instead of compose_file."""
        return self.state / "docker-compose.faulted.yml"

    @property
    def images(self) -> Path:
        return self.root / "images"

    @property
    def build(self) -> Path:
        return self.root / ".build"

    @property
    def wheelhouse(self) -> Path:
        return self.build / "wheels"

    @property
    def state(self) -> Path:
        return self.root / ".state"

    @property
    def ca_dir(self) -> Path:
        return self.state / "ca"

    @property
    def ca_bundle(self) -> Path:
        return self.ca_dir / "ca.pem"

    @property
    def certs_dir(self) -> Path:
        return self.state / "certs"

    @property
    def platform_env(self) -> Path:
        return self.state / "platform.env"

    @property
    def compose_env(self) -> Path:
        """Compose's own `.env` beside the compose file: faults edit it, and every compose
        client (ours, examday's compose probe, an operator's) reads the same variables."""
        return self.root / ".env"

    @property
    def secrets_env(self) -> Path:
        return self.state / "secrets.env"

    @property
    def postgres_password(self) -> Path:
        return self.state / "postgres-password"

    @property
    def student_password(self) -> Path:
        """The seeded students' password, for examday.toml's [canary] password_file."""
        return self.state / "student-password"

    @property
    def operator_password(self) -> Path:
        """The ADMIN operator@exam.localhost's password, a file with only the password."""
        return self.state / "operator-password"

    @property
    def operator_token(self) -> Path:
        """The operator's cached tokens (stages sign in once per 15 minutes, not per call)."""
        return self.state / "operator-token.json"

    @property
    def staging_operator_token(self) -> Path:
        """The operator's access token on the staging twin, cached the same way (10 sign-ins a minute per email)."""
        return self.state / "staging-operator-token"

    @property
    def sandbox_faults_env(self) -> Path:
        """SANDBOX_FAULT_* knobs for the backend (empty unless a fault is on)."""
        return self.state / "sandbox-faults.env"

    @property
    def crontab(self) -> Path:
        """The operator's host crontab, mounted as /etc/cron.d/exam-platform in the ops container."""
        return self.state / "ops" / "crontab"

    @property
    def staging_env(self) -> Path:
        return self.state / "staging.env"

    @property
    def staging_secrets_env(self) -> Path:
        return self.state / "staging-secrets.env"

    @property
    def exam_window(self) -> Path:
        """The sandbox exam's starts_at/ends_at, moved by each stage."""
        return self.state / "exam-window.toml"

    @property
    def staging_basic_auth(self) -> Path:
        """`user:password` of the proxy's basic auth in front of the staging twin."""
        return self.state / "staging-basic-auth"

    @property
    def dashboard_basic_auth(self) -> Path:
        """`user:password` of the proxy's basic auth in front of Prometheus' UI (/prometheus/)."""
        return self.state / "dashboard-basic-auth"

    @property
    def basic_auth_hashes(self) -> Path:
        return self.state / "proxy" / "basic-auth-hashes.json"

    @property
    def restore_password(self) -> Path:
        return self.state / "restore-password"

    @property
    def restore_dsn(self) -> Path:
        """libpq DSN of the restore test's scratch database (host name inside the compose network)."""
        return self.state / "restore-scratch-dsn"

    @property
    def schema_version(self) -> Path:
        return self.root / "backend" / "app" / "schema_version.txt"

    @property
    def students_env(self) -> Path:
        return self.state / "students.env"

    @property
    def credentials(self) -> Path:
        return self.state / "credentials.json"

    @property
    def alertmanager_config(self) -> Path:
        """Generated from observability/alertmanager.yml; a fault swaps it."""
        return self.state / "alertmanager" / "alertmanager.yml"

    @property
    def alertmanager_template(self) -> Path:
        return self.root / "observability" / "alertmanager.yml"

    @property
    def prometheus_targets_dir(self) -> Path:
        """Prometheus' examday-watch job reads its targets here (file_sd): empty unless a test fills it."""
        return self.state / "prometheus-targets"

    @property
    def caddyfile(self) -> Path:
        return self.state / "proxy" / "Caddyfile"

    @property
    def dns_hosts(self) -> Path:
        return self.state / "dns" / "hosts"

    @property
    def stage_file(self) -> Path:
        return self.state / "stage"

    @property
    def volume_marker(self) -> Path:
        """Which database volume this checkout made (name@created), to spot someone else's."""
        return self.state / "postgres-volume"

    @property
    def faults_file(self) -> Path:
        return self.state / "faults.json"
