"""What the running sandbox looks like, read through the Docker engine."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import docker
import docker.errors
from docker.models.containers import Container

from examday.probes.docker import DockerProbe
from examday.probes.errors import ProbeError
from examday.sandbox.errors import SandboxError
from examday.sandbox.layout import CONTAINERS, PROJECT_NAME, STUDENTS_CONTAINER


# Sandbox control runs seeds and backups in its containers: bounded, and generously.
EXEC_TIMEOUT_SECONDS = 600.0


def docker_client(timeout: int = 10) -> docker.DockerClient:
    """A client to a live engine, or a SandboxError saying how to get one."""
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
        return client
    except docker.errors.DockerException as exc:
        raise SandboxError(
            f"no Docker engine answers ({exc.__class__.__name__}: {str(exc)[:160]})",
            "run `make setup` (or `sudo sandbox/host/ensure-docker.sh`) to install and start one",
        ) from exc


@dataclass(frozen=True)
class ServiceState:
    service: str
    container: str
    status: str  # running, exited, missing...
    health: str | None  # healthy, unhealthy, starting, None without a healthcheck
    restart_count: int

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def ready(self) -> bool:
        return self.running and self.health in (None, "healthy")


class RunningPlatform:
    """The sandbox's containers, found by their fixed container names."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client

    @staticmethod
    def container_name(service: str) -> str:
        return STUDENTS_CONTAINER if service == "students" else CONTAINERS[service]

    def container(self, service: str) -> Container | None:
        try:
            return self.client.containers.get(self.container_name(service))
        except docker.errors.NotFound:
            return None

    def require(self, service: str) -> Container:
        container = self.container(service)
        if container is None or container.status != "running":
            raise SandboxError(f"{self.container_name(service)} is not running",
                               "start the sandbox with `examday sandbox up`")
        return container

    def state(self, service: str) -> ServiceState:
        container = self.container(service)
        if container is None:
            return ServiceState(service, self.container_name(service), "missing", None, 0)
        attrs = container.attrs
        health = attrs["State"].get("Health", {}).get("Status")
        return ServiceState(service, container.name, attrs["State"]["Status"], health,
                            int(attrs.get("RestartCount", 0)))

    def states(self, services: list[str] | None = None) -> list[ServiceState]:
        return [self.state(service) for service in (services or list(CONTAINERS))]

    def published_ports(self) -> set[int]:
        """Host ports that the sandbox's own containers publish right now."""
        ports: set[int] = set()
        for service in CONTAINERS:
            container = self.container(service)
            bindings = (container.attrs["NetworkSettings"].get("Ports") or {}) if container else {}
            for host_bindings in bindings.values():
                ports.update(int(b["HostPort"]) for b in host_bindings or [] if b.get("HostPort"))
        return ports

    def foreign_containers(self) -> list[str]:
        """Containers holding our names that belong to another compose project (or none)."""
        foreign = []
        for service in CONTAINERS:
            container = self.container(service)
            if container is not None:
                project = container.labels.get("com.docker.compose.project")
                if project != PROJECT_NAME:
                    foreign.append(f"{container.name} (project {project or 'none'})")
        return foreign

    def remove_containers_mounting(self, sources: list[str]) -> list[str]:
        """Remove (volumes kept) the project's containers that bind-mount any of these host paths;
        their names. Through the engine, not compose: on a fresh clone the compose file's env
        files do not exist yet, and compose refuses to run without them."""
        removed = []
        project = {"label": f"com.docker.compose.project={PROJECT_NAME}"}
        for container in self.client.containers.list(all=True, filters=project):
            if any(mount.get("Source") in sources for mount in container.attrs.get("Mounts", [])):
                container.remove(force=True)
                removed.append(container.name)
        return removed

    def exec(self, service: str, argv: list[str], user: str | None = None,
             environment: dict[str, str] | None = None) -> tuple[int, str]:
        """Exit code and output (stdout and stderr as they came). Through DockerProbe, not docker-py's
        exec_run, which can lose a short reply whole (docker-py #3332): an empty answer would read
        as "no scratch database" or "no targets". Unwrapped: the faults `pgrep -f` their own marks."""
        name = self.require(service).name
        try:
            result = DockerProbe.over(self.client).exec(name, argv, EXEC_TIMEOUT_SECONDS, environment, user,
                                                         wrapped=False)
        except ProbeError as error:
            raise SandboxError(f"`{' '.join(argv[:4])}` in {name}: {error}",
                               "see `examday sandbox logs " + service + "`") from None
        return result.exit_code, result.output

    def exec_checked(self, service: str, argv: list[str], **kwargs: object) -> str:
        code, output = self.exec(service, argv, **kwargs)  # type: ignore[arg-type]
        if code != 0:
            raise SandboxError(f"`{' '.join(argv[:4])}` in {self.container_name(service)} exited {code}: "
                               f"{output.strip()[-400:]}", "see `examday sandbox logs " + service + "`")
        return output


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already listens on host:port (TCP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0
