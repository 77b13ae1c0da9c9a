"""Names, paths and ports of the sandbox: the single place they are defined."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECT_NAME = "examday-sandbox"
DOMAIN = "exam.localhost"
API_HOST = f"api.{DOMAIN}"
IMAGE_PREFIX = "examday-sandbox"
BASE_IMAGE = f"{IMAGE_PREFIX}/base:bookworm"
RUNTIME_IMAGE = f"{IMAGE_PREFIX}/runtime:bookworm"

# compose service -> container name (PLATFORM.md's names; the proxy is Caddy here).
CONTAINERS: dict[str, str] = {
    "postgres": "exam_platform_postgres",
    "redis": "exam_platform_redis",
    "backend": "exam_platform_backend",
    "worker": "exam_platform_worker",
    "frontend": "exam_platform_frontend",
    "proxy": "exam_platform_proxy",
    "backup": "exam_platform_backup",
    "dns": "exam_platform_dns",
    # monitoring, as the platform's later versions run it
    "prometheus": "exam_platform_prometheus",
    "alertmanager": "exam_platform_alertmanager",
    "alert_receiver": "exam_platform_alert_receiver",
    "postgres_exporter": "exam_platform_postgres_exporter",
    "redis_exporter": "exam_platform_redis_exporter",
}

# Optional, not part of the platform: simulated students answering during the exam.
STUDENTS_CONTAINER = "examday_sandbox_students"

# Published on 127.0.0.1 only; each can be moved with the env var of the same name.
PORTS: dict[str, int] = {
    "EXAMDAY_PORT_HTTPS": 8443,
    "EXAMDAY_PORT_PROXY_ADMIN": 2019,
    "EXAMDAY_PORT_BACKEND": 8000,
    "EXAMDAY_PORT_FRONTEND": 3000,
    "EXAMDAY_PORT_POSTGRES": 55432,
    "EXAMDAY_PORT_REDIS": 56379,
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
