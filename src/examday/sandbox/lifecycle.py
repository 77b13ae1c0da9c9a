"""`examday sandbox up | down | status | reset`: bring the stand-in platform to life.

`up` is idempotent: it writes missing state, builds missing or stale images,
starts the stack, waits for every healthcheck, seeds demo data, and prints the
endpoints. When anything fails after containers were created it takes the stack
down again (volumes kept), so no half-started sandbox is left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import docker.errors

from examday.facts.scratch_database import SCRATCH_MARK
from examday.sandbox import pki
from examday.sandbox.compose import Compose
from examday.sandbox.errors import SandboxError
from examday.sandbox.images import ImageBuilder
from examday.sandbox.layout import (
    API_HOST,
    CANARY_EMAIL,
    CONTAINERS,
    DOMAIN,
    OPERATOR_EMAIL,
    PORTS,
    PROJECT_NAME,
    STAGING_API_HOST,
    STAGING_PROFILE,
    UNVERIFIED_EMAIL,
    SandboxPaths,
)
from examday.sandbox.platform import RunningPlatform, ServiceState, docker_client, port_in_use
from examday.sandbox.state import SandboxState, write_env_file
from examday.sandbox.timeline import STAGES, expected_services

Report = Callable[[str], None]
DEAD_GRACE_SECONDS = 20
HEALTH_TIMEOUT_SECONDS = 180
SEED_STUDENTS = 260


def configured_ports() -> dict[str, int]:
    return {name: int(os.environ.get(name, default)) for name, default in PORTS.items()}


@dataclass
class Sandbox:
    """The sandbox as one object: paths, state files, engine, compose project."""

    paths: SandboxPaths
    report: Report
    _caddyfile_changed: bool = False

    @classmethod
    def open(cls, report: Report = lambda _: None) -> "Sandbox":
        return cls(SandboxPaths.default(), report)

    @property
    def state(self) -> SandboxState:
        return SandboxState(self.paths)

    @property
    def compose(self) -> Compose:
        return Compose(self.paths)

    def platform(self) -> RunningPlatform:
        return RunningPlatform(docker_client())

    # -- up ------------------------------------------------------------------------
    def start_containers(self) -> float:
        """Build what changed, start the stack, seed it; the stage is walked by startup.sandbox_up.
        Returns when it started (time.monotonic), for the caller's "sandbox up in N s"."""
        started = time.monotonic()
        platform = self.platform()
        self._refuse_foreign_containers(platform)
        self._refuse_taken_ports(platform)
        self.reclaim_file_mounts_made_into_folders(platform)
        self.write_state()
        self._drop_volumes_made_by_another_checkout(platform)
        built = ImageBuilder(platform.client, self.paths, self.report).build_all()
        self.report(f"images: {len(built)} built" if built else "images: all up to date")
        self._caddyfile_changed = self.state.write_caddyfile(*self._basic_auth_hashes(platform))
        try:
            self._drop_database_of_another_schema(platform)
            self.report("starting containers (with the staging twin)")
            self.compose.up(profiles=(STAGING_PROFILE,))
            if self._caddyfile_changed and platform.state("proxy").running:
                reload_proxy(platform)
            self.wait_healthy(platform)
            self.seed(platform)
            self.seed(platform, service="backend_staging")
            self.ensure_restore_scratch(platform)
            # The hourly backup's first run may be an hour away: take one of the seeded data now.
            platform.exec_checked("ops", ["/usr/local/bin/pg-backup.sh"])
            marker = postgres_volume_marker(platform)
            if marker != self.state.volume_marker():  # a new database: the kept session ids name none of its
                self._forget_kept_sessions()
            self.state.set_volume_marker(marker)
        except BaseException:
            self.take_half_started_stack_down()
            raise
        return started

    def take_half_started_stack_down(self) -> None:
        self.report("start failed: taking the half-started stack down (volumes kept)")
        self.compose.down()

    def _basic_auth_hashes(self, platform: RunningPlatform) -> tuple[str, str]:
        """bcrypt hashes of the proxy's basic-auth passwords, made by Caddy itself (cached)."""
        path = self.paths.basic_auth_hashes
        cache: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        hashes = []
        for source in (self.paths.staging_basic_auth, self.paths.dashboard_basic_auth):
            password = self.state.basic_auth(source)[1]
            key = hashlib.sha256(password.encode()).hexdigest()
            if key not in cache:
                output = platform.client.containers.run(
                    "examday-sandbox/proxy:local", ["caddy", "hash-password", "--plaintext", password],
                    remove=True, network_mode="none")
                cache[key] = output.decode().strip().splitlines()[-1]
            hashes.append(cache[key])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cache))
        path.chmod(0o600)
        return hashes[0], hashes[1]

    def _drop_database_of_another_schema(self, platform: RunningPlatform) -> None:
        """A database volume of another schema version (an older sandbox) is recreated:
        its seeded data is disposable and the backend refuses to start on it."""
        if postgres_volume_marker(platform) is None:
            return
        self.compose.up("postgres")
        self.wait_healthy(platform, services=("postgres",))
        code, output = platform.exec("postgres", [
            "psql", "-qAt", "-U", "exam_user", "-d", "exam_platform", "-c",
            "SELECT CASE WHEN to_regclass('public.alembic_version') IS NULL THEN '' "
            "ELSE (SELECT coalesce(max(version_num), '') FROM alembic_version) END"])
        found = output.strip() if code == 0 else "unreadable"
        wanted = self.paths.schema_version.read_text().strip()
        if found not in ("", wanted):
            self.report(f"database schema {found} is not {wanted}: recreating the data volumes")
            self.compose.down(volumes=True)

    def ensure_restore_scratch(self, platform: RunningPlatform) -> None:
        """The restore test's scratch database, owned by restore_user (never the platform's own)."""
        password = self.state.ensure_restore_credentials()
        psql = ["psql", "-v", "ON_ERROR_STOP=1", "-qAt", "-U", "exam_user", "-d", "postgres", "-c"]
        platform.exec_checked("postgres", [*psql, (
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'restore_user') THEN "
            "CREATE ROLE restore_user LOGIN; END IF; END $$; "
            f"ALTER ROLE restore_user LOGIN NOSUPERUSER NOCREATEDB PASSWORD '{password}'")])
        exists = platform.exec_checked("postgres", [*psql, "SELECT 1 FROM pg_database WHERE datname = 'restore_scratch'"])
        if not exists.strip():
            platform.exec_checked("postgres", [*psql, "CREATE DATABASE restore_scratch OWNER restore_user"])
        # The operator's one-time mark: this database is examday's to overwrite (PRE-INF-08 checks it).
        platform.exec_checked("postgres", [*psql, f"COMMENT ON DATABASE restore_scratch IS '{SCRATCH_MARK}'"])

    def require_own_stack(self, platform: RunningPlatform) -> None:
        """Refuse to change a stack that another checkout started (its secrets are not ours)."""
        if not self._owns_volume(platform):
            raise SandboxError("the running sandbox was started from another checkout of examday",
                               "run `examday sandbox up` from this checkout first (it takes the stack over)")

    def _drop_volumes_made_by_another_checkout(self, platform: RunningPlatform) -> None:
        # The database volume is initialised once, with the secrets of the checkout that made
        # it. A volume this checkout did not make (a fresh clone on a used machine, a wiped
        # .state, another work tree) would refuse our password: it goes, and is made again.
        if not self._owns_volume(platform):
            self.report("data volumes were made by another sandbox checkout: removing them")
            self.compose.down(volumes=True)

    def reclaim_file_mounts_made_into_folders(self, platform: RunningPlatform) -> None:
        """Where the engine made a folder in place of a mounted file, the containers holding it go
        (volumes kept) and the folder with them: `up` writes the file and makes them again."""
        folders = self.state.file_mounts_made_into_folders()
        if not folders:
            return
        names = ", ".join(str(folder.relative_to(self.paths.root)) for folder in folders)
        removed = platform.remove_containers_mounting([str(folder.resolve()) for folder in folders])
        self.report(f"{names}: a folder the engine made where a file is mounted: removed "
                    f"{', '.join(removed) or 'no container'} (volumes kept) to mount the file instead")
        for folder in folders:
            try:
                folder.rmdir()
            except OSError as error:  # not the engine's empty folder: somebody's files
                raise SandboxError(
                    f"{folder} is where the sandbox writes a file, and is a folder ({error.strerror})",
                    f"move it away (`mv '{folder}' '{folder}.saved'`) and run `examday sandbox up` again",
                ) from None

    def _owns_volume(self, platform: RunningPlatform) -> bool:
        """No database volume, the one this checkout marked, or one whose running database takes this
        checkout's password. The mark moves on its own: the engine reports a local volume's time from
        its folder, which PostgreSQL touches at every start and stop; a database that takes our
        password is ours, and its mark is taken again."""
        current = postgres_volume_marker(platform)
        if current is None or current == self.state.volume_marker():
            return True
        if self._database_takes_our_password(platform):
            self.state.set_volume_marker(current)
            return True
        return False

    def _database_takes_our_password(self, platform: RunningPlatform) -> bool:
        """Over TCP inside the container (scram, unlike its local socket's trust); False when it is not running."""
        password = self.paths.postgres_password
        if not password.exists():
            return False
        try:
            code, _ = platform.exec("postgres", ["psql", "-h", "127.0.0.1", "-U", "exam_user", "-d", "postgres",
                                                 "-qAtc", "SELECT 1"],
                                    environment={"PGPASSWORD": password.read_text().strip()})
        except (SandboxError, docker.errors.DockerException):
            return False
        return code == 0

    def write_state(self) -> None:
        """Write whatever state is missing."""
        state = self.state
        state.ensure_secrets()
        state.ensure_platform_env()
        state.ensure_staging_files()
        if not self.paths.sandbox_faults_env.exists():
            state.set_sandbox_faults_env({})
        if not self.paths.crontab.exists():
            state.write_crontab(STAGES[state.stage()].enabled_jobs)
        if STAGING_API_HOST not in state.dns_hosts():
            state.write_dns_hosts()
        if not self.paths.alertmanager_config.exists():
            state.write_alertmanager_config()
        self.paths.prometheus_targets_dir.mkdir(parents=True, exist_ok=True)
        for host in (API_HOST, DOMAIN, STAGING_API_HOST):
            if not (self.paths.certs_dir / f"{host}.pem").exists():
                pki.issue_server_certificate(self.paths.ca_dir, self.paths.certs_dir, host)
        if "operator_password" not in state.credentials():
            state.write_credentials({
                "student_password": secrets.token_urlsafe(12),
                "operator_email": OPERATOR_EMAIL,
                "operator_password": secrets.token_urlsafe(12),
                "students": [f"student{i:03d}@{DOMAIN}" for i in range(1, SEED_STUDENTS + 1)],
                "canary_student": CANARY_EMAIL,
                "unverified_email": UNVERIFIED_EMAIL,
            })
        state.ensure_password_files()
        # The simulated students have accounts of their own (see app/seed.py: one user per range).
        write_env_file(self.paths.students_env, {
            "SIMULATE_PASSWORD": state.credentials()["student_password"],
            "SIMULATE_FIRST_STUDENT": "181", "SIMULATE_LAST_STUDENT": "199",
        }, "generated by examday sandbox; secret", 0o600)

    def _refuse_foreign_containers(self, platform: RunningPlatform) -> None:
        foreign = platform.foreign_containers()
        if foreign:
            raise SandboxError(
                "containers with the sandbox's names already exist outside its compose project: "
                + ", ".join(foreign),
                "remove them (`docker rm -f NAME`) if they are leftovers, or run the sandbox elsewhere",
            )

    def _refuse_taken_ports(self, platform: RunningPlatform) -> None:
        ours = platform.published_ports()
        taken = [f"127.0.0.1:{port} ({name})" for name, port in configured_ports().items()
                 if port not in ours and port_in_use(port)]
        if taken:
            raise SandboxError(
                "ports the sandbox publishes are already taken: " + ", ".join(taken),
                "stop what listens there, or move the sandbox: e.g. `EXAMDAY_PORT_HTTPS=9443 "
                "examday sandbox up` (and the same port in examday.toml)",
            )

    def expected_services(self) -> list[str]:
        return expected_services(self.state.stage(), list(CONTAINERS))

    def wait_healthy(self, platform: RunningPlatform, services: tuple[str, ...] = (),
                     timeout: float = HEALTH_TIMEOUT_SECONDS) -> None:
        """Wait until `services` (default: all the stage expects) run and are healthy."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            states = platform.states(list(services) or self.expected_services())
            waiting = [s for s in states if not s.ready]
            self.report(f"waiting for health: {len(states) - len(waiting)}/{len(states)} ready"
                        + (f" (waiting: {', '.join(s.service for s in waiting)})" if waiting else ""))
            if not waiting:
                return
            # Briefly missing or exited is normal while compose recreates a container (and a
            # restart policy brings an exited one back): dead only after a grace period.
            grace_over = time.monotonic() - started > DEAD_GRACE_SECONDS
            dead = [s for s in waiting if s.status in ("exited", "dead", "missing")] if grace_over else []
            if dead or time.monotonic() > deadline:
                raise SandboxError(self._unhealthy_message(platform, dead or waiting),
                                   "see `examday sandbox logs SERVICE`; fix, then `examday sandbox up`")
            time.sleep(1)

    def _unhealthy_message(self, platform: RunningPlatform, states: list[ServiceState]) -> str:
        lines = ["services did not become healthy:"]
        for s in states:
            container = platform.container(s.service)
            tail = container.logs(tail=3).decode(errors="replace").strip() if container else ""
            lines.append(f"  {s.container}: {s.status}/{s.health or '-'}  {tail[-300:]}")
        return "\n".join(lines)

    def seed(self, platform: RunningPlatform, service: str = "backend") -> dict[str, int]:
        credentials = self.state.credentials()
        self.report(f"seeding {service} ({SEED_STUDENTS} students, the operator, a question bank, sessions)")
        output = platform.exec_checked(service, [
            "python", "-m", "app.seed", "--students", str(SEED_STUDENTS),
            # "=": a random password may begin with "-", which argparse reads as an option otherwise
            f"--password={credentials['student_password']}",
            f"--operator-password={credentials['operator_password']}",
        ])
        return json.loads(output.strip().splitlines()[-1])

    # -- down, reset, status -----------------------------------------------------------
    def down(self, volumes: bool = False) -> None:
        platform = self.platform()
        owned = not volumes and self._owns_volume(platform)
        self.report("stopping and removing the sandbox's containers")
        self.compose.down(volumes=volumes)
        if volumes:
            self._forget_kept_sessions()
        elif owned:  # stopping PostgreSQL moved the volume's mark: the kept volume is still ours
            self.state.set_volume_marker(postgres_volume_marker(platform))

    def _forget_kept_sessions(self) -> None:
        """The canary's and the simulated students' session ids name sessions of a database that is gone:
        kept, they would read as lost sessions (REC-SES-01) or leave students in doubt."""
        for path in (self.paths.state / "canary-memory.json", self.paths.state / "students" / "sessions.json",
                     self.paths.state / "students" / "burst-sessions.json"):
            path.unlink(missing_ok=True)

    def wipe(self) -> None:
        """Data, stage and faults wiped, the stack down; CA and secrets kept (startup.sandbox_reset)."""
        self.down(volumes=True)
        for path in (self.paths.stage_file, self.paths.faults_file, self.paths.platform_env,
                     self.paths.dns_hosts, self.paths.sandbox_faults_env, self.paths.operator_token,
                     self.paths.staging_operator_token, self.paths.crontab):
            path.unlink(missing_ok=True)

    def status(self) -> list[ServiceState]:
        """Every platform service, plus the simulated students when the stage has them."""
        services = list(CONTAINERS) + [s for s in self.expected_services() if s not in CONTAINERS]
        return self.platform().states(services)


def postgres_volume_marker(platform: RunningPlatform) -> str | None:
    """Name and creation time of the database volume; None when there is none."""
    try:
        volume = platform.client.volumes.get(f"{PROJECT_NAME}_postgres_data")
    except docker.errors.NotFound:
        return None
    return f"{volume.name}@{volume.attrs.get('CreatedAt')}"


def reload_proxy(platform: RunningPlatform) -> None:
    """Make Caddy re-read its Caddyfile and certificates (--force: files behind it may change alone)."""
    platform.exec_checked("proxy", ["caddy", "reload", "--force", "--config", "/etc/caddy/Caddyfile",
                                    "--adapter", "caddyfile"])


def endpoints(paths: SandboxPaths) -> dict[str, str]:
    ports = configured_ports()
    return {
        "api (through the proxy)": f"https://{API_HOST}:{ports['EXAMDAY_PORT_HTTPS']}",
        "site (through the proxy)": f"https://{DOMAIN}:{ports['EXAMDAY_PORT_HTTPS']}",
        "backend (direct)": f"http://127.0.0.1:{ports['EXAMDAY_PORT_BACKEND']}",
        "proxy admin": f"http://127.0.0.1:{ports['EXAMDAY_PORT_PROXY_ADMIN']}",
        "postgres / redis": "not published (as on the platform): docker exec exam_platform_postgres psql ...",
        "staging (basic auth)": f"https://{STAGING_API_HOST}:{ports['EXAMDAY_PORT_HTTPS']} "
                                f"({paths.staging_basic_auth})",
        "dashboard (basic auth)": f"https://{DOMAIN}:{ports['EXAMDAY_PORT_HTTPS']}/prometheus/ "
                                  f"({paths.dashboard_basic_auth})",
        "operator (ADMIN)": f"{OPERATOR_EMAIL} ({paths.operator_password})",
        "crontab (ops)": str(paths.crontab),
        "dns": f"127.0.0.1:{ports['EXAMDAY_PORT_DNS']} (udp/tcp)",
        "prometheus": f"http://127.0.0.1:{ports['EXAMDAY_PORT_PROMETHEUS']}",
        "alertmanager": f"http://127.0.0.1:{ports['EXAMDAY_PORT_ALERTMANAGER']}",
        "alert receiver": f"http://127.0.0.1:{ports['EXAMDAY_PORT_ALERT_RECEIVER']}/alerts",
        "CA bundle": str(paths.ca_bundle),
        "credentials": str(paths.credentials),
    }
