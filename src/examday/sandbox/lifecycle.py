"""`examday sandbox up | down | status | reset`: bring the stand-in platform to life.

`up` is idempotent: it writes missing state, builds missing or stale images,
starts the stack, waits for every healthcheck, seeds demo data, and prints the
endpoints. When anything fails after containers were created it takes the stack
down again (volumes kept), so no half-started sandbox is left behind.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import docker.errors

from examday.sandbox import pki
from examday.sandbox.compose import Compose
from examday.sandbox.errors import SandboxError
from examday.sandbox.images import ImageBuilder
from examday.sandbox.layout import API_HOST, CONTAINERS, DOMAIN, PORTS, PROJECT_NAME, SandboxPaths
from examday.sandbox.platform import RunningPlatform, ServiceState, docker_client, port_in_use
from examday.sandbox.state import SandboxState, write_env_file
from examday.sandbox.timeline import STAGES, expected_services

Report = Callable[[str], None]
HEALTH_TIMEOUT_SECONDS = 180
SEED_STUDENTS = 200


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
    def up(self) -> None:
        started = time.monotonic()
        platform = self.platform()
        self._refuse_foreign_containers(platform)
        self._refuse_taken_ports(platform)
        self.write_state()
        self._drop_volumes_made_by_another_checkout(platform)
        built = ImageBuilder(platform.client, self.paths, self.report).build_all()
        self.report(f"images: {len(built)} built" if built else "images: all up to date")
        try:
            self.report("starting containers")
            # Processes start with what the stage runs, not with what it merely configures.
            self.state.set_platform_env(STAGES[self.state.stage()].running)
            self.compose.up()
            if self._caddyfile_changed and platform.state("proxy").status == "running":
                reload_proxy(platform)
            self.wait_healthy(platform)
            self.seed(platform)
            # The job's first dump may predate the schema and seed: take one of the seeded data.
            platform.exec_checked("backup", ["backup-loop.sh", "once"])
            self.state.set_volume_marker(postgres_volume_marker(platform))
            self._back_to_stage()
        except BaseException:
            self.report("start failed: taking the half-started stack down (volumes kept)")
            self.compose.down()
            raise
        self.report(f"sandbox up in {time.monotonic() - started:.0f} s")

    def require_own_stack(self, platform: RunningPlatform) -> None:
        """Refuse to change a stack that another checkout started (its secrets are not ours)."""
        current = postgres_volume_marker(platform)
        if current is not None and current != self.state.volume_marker():
            raise SandboxError("the running sandbox was started from another checkout of examday",
                               "run `examday sandbox up` from this checkout first (it takes the stack over)")

    def _back_to_stage(self) -> None:
        """A whole-stack `up` starts every service: walk back to the recorded stage."""
        from examday.sandbox.stages import apply_stage  # stages builds on this module

        apply_stage(self, self.state.stage())

    def _drop_volumes_made_by_another_checkout(self, platform: RunningPlatform) -> None:
        # The database volume is initialised once, with the secrets of the checkout that made
        # it. A volume this checkout did not make (a fresh clone on a used machine, a wiped
        # .state, another work tree) would refuse our password: it goes, and is made again.
        current = postgres_volume_marker(platform)
        if current is not None and current != self.state.volume_marker():
            self.report("data volumes were made by another sandbox checkout: removing them")
            self.compose.down(volumes=True)

    def write_state(self) -> None:
        """Write whatever state is missing."""
        state = self.state
        state.ensure_secrets()
        state.ensure_platform_env()
        self._caddyfile_changed = state.write_caddyfile()
        if not state.dns_hosts():
            state.write_dns_hosts()
        if not self.paths.alertmanager_config.exists():
            state.write_alertmanager_config()
        for host in (API_HOST, DOMAIN):
            if not (self.paths.certs_dir / f"{host}.pem").exists():
                pki.issue_server_certificate(self.paths.ca_dir, self.paths.certs_dir, host)
        if not state.credentials():
            state.write_credentials({
                "student_password": secrets.token_urlsafe(12),
                "admin_user": "admin",
                "admin_password": secrets.token_urlsafe(12),
                "students": [f"student{i:03d}" for i in range(1, SEED_STUDENTS + 1)],
                "canary_student": "student200",
            })
        state.ensure_student_password_file()
        # The simulated students use the accounts that start with no session.
        write_env_file(self.paths.students_env, {
            "SIMULATE_PASSWORD": state.credentials()["student_password"],
            "SIMULATE_FIRST_STUDENT": "121", "SIMULATE_LAST_STUDENT": "199",
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
        deadline = time.monotonic() + timeout
        while True:
            states = platform.states(list(services) or self.expected_services())
            waiting = [s for s in states if not s.ready]
            self.report(f"waiting for health: {len(states) - len(waiting)}/{len(states)} ready"
                        + (f" (waiting: {', '.join(s.service for s in waiting)})" if waiting else ""))
            if not waiting:
                return
            dead = [s for s in waiting if s.status in ("exited", "dead", "missing")]
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

    def seed(self, platform: RunningPlatform) -> dict[str, int]:
        credentials = self.state.credentials()
        self.report(f"seeding demo data ({SEED_STUDENTS} students, 2 exams, sessions, answers)")
        output = platform.exec_checked("backend", [
            "python", "-m", "app.seed", "--students", str(SEED_STUDENTS),
            "--password", credentials["student_password"],
            "--admin-password", credentials["admin_password"],
        ])
        return json.loads(output.strip().splitlines()[-1])

    # -- down, reset, status -----------------------------------------------------------
    def down(self, volumes: bool = False) -> None:
        self.report("stopping and removing the sandbox's containers")
        self.compose.down(volumes=volumes)

    def reset(self) -> None:
        """Back to a freshly seeded sandbox: data, stage and faults wiped; CA and secrets kept."""
        self.down(volumes=True)
        for path in (self.paths.stage_file, self.paths.faults_file, self.paths.platform_env,
                     self.paths.dns_hosts):
            path.unlink(missing_ok=True)
        self.up()

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
        "postgres": f"127.0.0.1:{ports['EXAMDAY_PORT_POSTGRES']}",
        "redis": f"127.0.0.1:{ports['EXAMDAY_PORT_REDIS']}",
        "dns": f"127.0.0.1:{ports['EXAMDAY_PORT_DNS']} (udp/tcp)",
        "prometheus": f"http://127.0.0.1:{ports['EXAMDAY_PORT_PROMETHEUS']}",
        "alertmanager": f"http://127.0.0.1:{ports['EXAMDAY_PORT_ALERTMANAGER']}",
        "alert receiver": f"http://127.0.0.1:{ports['EXAMDAY_PORT_ALERT_RECEIVER']}/alerts",
        "CA bundle": str(paths.ca_bundle),
        "credentials": str(paths.credentials),
    }
