"""Containers, images, processes, stats and logs, read through the Docker SDK.

Every call is bounded: the SDK client has a socket timeout, and `exec` (which the
SDK never times out) reads its output against a deadline.
"""

from __future__ import annotations

import os
import re
import socket
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple, TypeVar

import docker
import docker.errors
import requests.exceptions

from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable
from examday.probes.host import PROC_LISTING_SCRIPT, ProcessInfo, parse_process_listing
from examday.probes.line_framing import decoded_lines

DEPENDENCY = "docker"
COMPOSE_SERVICE_LABEL = "com.docker.compose.service"
TOP_PS_ARGS = "-eo pid,ppid,user,args"
_T = TypeVar("_T")


class ContainerNotFound(ProbeError):
    """The engine answered, but has no container by that name."""


@dataclass(frozen=True)
class ContainerObservation:
    name: str
    id: str
    image: str
    image_id: str
    status: str
    health: str | None  # None: the container has no healthcheck
    restart_count: int
    started_at: datetime | None
    exit_code: int | None
    labels: dict[str, str]
    mem_limit_bytes: int | None  # None: no limit
    cpus: float | None  # None: no limit (from NanoCpus, else CpuQuota / CpuPeriod)
    log_driver: str
    log_opts: dict[str, str]
    env: dict[str, str] = field(repr=False)  # holds secrets: callers redact before recording
    ip_addresses: tuple[str, ...] = ()  # on each network it is attached to
    published_ports: tuple[tuple[str, int], ...] = ()  # (host address, host port) it publishes

    @property
    def is_running(self) -> bool:
        return self.status == "running"


@dataclass(frozen=True)
class ResourceObservation:
    name: str
    cpu_percent: float
    memory_used_bytes: int
    memory_limit_bytes: int
    pids: int | None

    @property
    def memory_percent(self) -> float:
        return 100.0 * self.memory_used_bytes / self.memory_limit_bytes if self.memory_limit_bytes else 0.0


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: list[str]
    created: datetime | None


class ExecResult(NamedTuple):
    """Unpacks as `(exit_code, output)`; stdout and stderr are interleaved in `output`."""

    exit_code: int
    output: str


# -- docker's own arithmetic, kept pure so it can be tested on captured stats --------------

def cpu_percent(stats: dict[str, Any]) -> float:
    """CPU % as the docker CLI computes it (cgroup v1 and v2): share of the host, times CPUs."""
    cpu, precpu = stats.get("cpu_stats") or {}, stats.get("precpu_stats") or {}
    cpu_delta = _get(cpu, "cpu_usage", "total_usage") - _get(precpu, "cpu_usage", "total_usage")
    system_delta = (cpu.get("system_cpu_usage") or 0) - (precpu.get("system_cpu_usage") or 0)
    online_cpus = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or [])
    if cpu_delta <= 0 or system_delta <= 0:
        return 0.0
    return (cpu_delta / system_delta) * online_cpus * 100.0


def memory_usage(stats: dict[str, Any]) -> tuple[int, int]:
    """(used, limit) bytes as the docker CLI shows them: page cache that can be dropped is not "used"."""
    memory = stats.get("memory_stats") or {}
    usage, limit = int(memory.get("usage") or 0), int(memory.get("limit") or 0)
    details = memory.get("stats") or {}
    # cgroup v1 reports total_inactive_file, v2 inactive_file; engines before 19.03 subtracted cache.
    for key in ("total_inactive_file", "inactive_file", "cache"):
        if key in details and int(details[key]) < usage:
            return usage - int(details[key]), limit
    return usage, limit


def _get(mapping: dict[str, Any], *keys: str) -> int:
    value: Any = mapping
    for key in keys:
        value = (value or {}).get(key)
    return int(value or 0)


# -- translation of engine failures into probe errors --------------------------------------

def _is_timeout(error: BaseException) -> bool:
    return isinstance(error, (requests.exceptions.Timeout, socket.timeout, TimeoutError)) or (
        "timed out" in str(error).lower()
    )


def _is_unreachable(error: BaseException) -> bool:
    return isinstance(error, (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError))


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def translate_engine_error(error: Exception, what: str, engine: str = "docker engine") -> ProbeError:
    """Map an SDK/requests failure to Unreachable, ProbeTimeout or BadResponse."""
    chain = list(_causes(error))
    if any(_is_timeout(cause) for cause in chain):
        return ProbeTimeout(f"{engine} did not answer in time ({what}); is dockerd hung?", dependency=DEPENDENCY)
    if any(_is_unreachable(cause) for cause in chain):
        return Unreachable(f"{engine} unreachable ({what}): {error}; is dockerd running?", dependency=DEPENDENCY)
    return BadResponse(f"{engine} error ({what}): {error}", dependency=DEPENDENCY)


# -- the probe ----------------------------------------------------------------------------

class DockerProbe:
    """Read-only view of one Docker engine. One client, opened on first use."""

    def __init__(self, base_url: str | None = None, timeout: float = 5.0) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._client: docker.DockerClient | None = None
        self._has_timeout_binary: dict[str, bool] = {}

    # connection ------------------------------------------------------------------------
    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = self._call("connect", self._connect)
        return self._client

    def _connect(self) -> docker.DockerClient:
        if self.base_url is None:
            return docker.from_env(timeout=self.timeout)
        return docker.DockerClient(base_url=self.base_url, timeout=self.timeout)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _call(self, what: str, action: Callable[[], _T]) -> _T:
        try:
            return action()
        except ProbeError:
            raise
        except docker.errors.NotFound as error:
            raise ContainerNotFound(f"{self._engine_name()} has no container or image {what!r}",
                                    dependency=DEPENDENCY) from error
        except Exception as error:
            raise translate_engine_error(error, what, self._engine_name()) from error

    def _engine_name(self) -> str:
        return f"docker engine at {self.base_url or os.environ.get('DOCKER_HOST') or 'the default socket'}"

    def _get_container(self, name: str) -> Any:
        return self._call(name, lambda: self.client.containers.get(name))

    # containers --------------------------------------------------------------------------
    def container(self, name: str) -> ContainerObservation:
        """Facts about one container, by name or id. Raises ContainerNotFound when absent."""
        return observe_container(self._get_container(name).attrs)

    def containers_by_label(self, label: str, value: str) -> list[ContainerObservation]:
        """All containers (running or not) carrying label=value, sorted by name."""
        found = self._call(
            f"{label}={value}",
            lambda: self.client.containers.list(all=True, filters={"label": f"{label}={value}"}),
        )
        return sorted((observe_container(c.attrs) for c in found), key=lambda obs: obs.name)

    def find(self, name_or_service: str, label: str = COMPOSE_SERVICE_LABEL) -> ContainerObservation | None:
        """A container by exact name, else the one whose `label` equals `name_or_service`.

        Compose project names vary (PLATFORM.md: the folder is `compose`), so a role is found
        by container_name first, then by the compose service label. Several matches of the
        label: the single running one wins; otherwise it is ambiguous and raises BadResponse.
        """
        try:
            by_name = self.container(name_or_service)
            if by_name.name == name_or_service:  # not an accidental id-prefix match
                return by_name
        except ContainerNotFound:
            pass
        matches = self.containers_by_label(label, name_or_service)
        running = [obs for obs in matches if obs.is_running]
        if len(matches) == 1:
            return matches[0]
        if len(running) == 1:
            return running[0]
        if not matches:
            return None
        names = ", ".join(obs.name for obs in matches)
        raise BadResponse(f"{label}={name_or_service} is ambiguous: {names}", dependency=DEPENDENCY)

    # exec --------------------------------------------------------------------------------
    def exec(self, name: str, argv: list[str], timeout: float = 10.0,
             environment: dict[str, str] | None = None) -> ExecResult:
        """Run a read-only command in a container; ProbeTimeout when it outlives `timeout`.

        `environment` passes values (a DSN, say) without putting them on a command line.

        Inside the container the command is wrapped with `timeout` when present (so it is
        killed there too); the read of its output always stops at the deadline.
        """
        container = self._get_container(name)
        wrap = self._has_timeout_binary.get(container.id, True)
        result = self._exec_once(container, argv, timeout, wrap, environment)
        if wrap and _timeout_binary_missing(result):
            self._has_timeout_binary[container.id] = False
            result = self._exec_once(container, argv, timeout, wrap=False, environment=environment)
        elif wrap:
            self._has_timeout_binary[container.id] = True
        if wrap and self._has_timeout_binary[container.id] and result.exit_code in (124, 137):
            raise _exec_timeout(name, argv, timeout)
        return result

    def _exec_once(self, container: Any, argv: list[str], timeout: float, wrap: bool,
                   environment: dict[str, str] | None = None) -> ExecResult:
        limit = str(max(1, int(timeout)))
        command = ["timeout", "-k", "1", limit, *argv] if wrap else list(argv)
        api = self.client.api
        exec_id = self._call("exec create", lambda: api.exec_create(
            container.id, command, stdout=True, stderr=True, tty=False, environment=environment)["Id"])
        raw = self._call("exec start", lambda: api.exec_start(exec_id, socket=True, tty=False))
        deadline = time.monotonic() + timeout + (2.0 if wrap else 0.0)
        try:
            payload = _read_until_eof(raw, deadline)
        except TimeoutError:
            raise _exec_timeout(container.name, argv, timeout) from None
        finally:
            _close_quietly(raw)
        exit_code = self._exit_code(exec_id, deadline)
        return ExecResult(exit_code=exit_code, output=_demultiplex(payload).decode("utf-8", "replace"))

    def _exit_code(self, exec_id: str, deadline: float) -> int:
        # The engine may still report Running for a moment after the stream closes.
        while True:
            info = self._call("exec inspect", lambda: self.client.api.exec_inspect(exec_id))
            if not info.get("Running"):
                return int(info.get("ExitCode") or 0)
            if time.monotonic() > deadline:
                raise ProbeTimeout("exec output ended but the engine still reports it running",
                                   dependency=DEPENDENCY)
            time.sleep(0.05)

    # processes ---------------------------------------------------------------------------
    def processes(self, name: str) -> list[ProcessInfo]:
        """Processes in a container, via the engine's `top` (host pids), else /proc via exec."""
        container = self._get_container(name)
        try:
            top = self._call("top", lambda: container.top(ps_args=TOP_PS_ARGS))
        except BadResponse:  # the engine host has no usable `ps`
            return self.processes_from_proc(name)
        return _processes_from_top(top)

    def processes_from_proc(self, name: str) -> list[ProcessInfo]:
        """Processes as seen inside the container (its own pid namespace), read from /proc."""
        result = self.exec(name, ["sh", "-c", PROC_LISTING_SCRIPT], timeout=self.timeout)
        if result.exit_code != 0:
            raise BadResponse(f"could not list processes in {name}: {result.output.strip()[:200]}",
                              dependency=DEPENDENCY)
        return parse_process_listing(result.output)

    # resources ---------------------------------------------------------------------------
    def stats(self, name: str) -> ResourceObservation:
        """One stats sample. The engine measures CPU between two reads a second apart, so this
        needs a probe timeout of about 3 s or more."""
        container = self._get_container(name)
        raw = self._call("stats", lambda: container.stats(stream=False))
        return observe_resources(container.name, raw)

    def raw_stats(self, name: str) -> dict[str, Any]:
        container = self._get_container(name)
        return self._call("stats", lambda: container.stats(stream=False))  # type: ignore[no-any-return]

    # logs --------------------------------------------------------------------------------
    def logs(self, name: str, since: datetime | None = None, tail: int | None = None,
             max_line_bytes: int = 65536) -> Iterator[str]:
        """Log lines (stdout and stderr) as they stream from the engine, decoded, no newline.

        A line longer than ``max_line_bytes`` is cut to one byte more (the log analyzer then
        counts it as oversized): one huge line must cost neither memory nor time.
        """
        container = self._get_container(name)
        chunks = self._call("logs", lambda: container.logs(
            stream=True, follow=False, stdout=True, stderr=True,
            since=since.timestamp() if since is not None else None,
            tail=tail if tail is not None else "all",
        ))
        return self._lines(chunks, max_line_bytes)

    def _lines(self, chunks: Iterator[bytes], max_line_bytes: int) -> Iterator[str]:
        try:
            yield from decoded_lines(chunks, max_line_bytes)
        except ProbeError:
            raise
        except Exception as error:
            raise translate_engine_error(error, "logs", self._engine_name()) from error

    # images ------------------------------------------------------------------------------
    def image_present(self, ref: str) -> bool:
        try:
            self._call(ref, lambda: self.client.images.get(ref))
        except ContainerNotFound:
            return False
        return True

    def images_for_repository(self, repository: str) -> list[ImageInfo]:
        """Local images of one repository (what a rollback could start without a registry), newest first."""
        images = self._call(repository, lambda: self.client.images.list(name=repository))
        infos = [ImageInfo(id=image.id, tags=sorted(image.tags), created=_parse_time(image.attrs.get("Created")))
                 for image in images]
        return sorted(infos, key=lambda info: info.created or datetime.min.replace(tzinfo=timezone.utc),
                      reverse=True)


# -- shaping engine payloads into observations ---------------------------------------------

def observe_container(attrs: dict[str, Any]) -> ContainerObservation:
    state = attrs.get("State") or {}
    config = attrs.get("Config") or {}
    host_config = attrs.get("HostConfig") or {}
    log_config = host_config.get("LogConfig") or {}
    finished = state.get("Status") in ("exited", "dead")
    return ContainerObservation(
        name=(attrs.get("Name") or "").lstrip("/"),
        id=attrs.get("Id", ""),
        image=config.get("Image", ""),
        image_id=attrs.get("Image", ""),
        status=state.get("Status", "unknown"),
        health=(state.get("Health") or {}).get("Status"),
        restart_count=int(attrs.get("RestartCount") or 0),
        started_at=_parse_time(state.get("StartedAt")),
        exit_code=int(state.get("ExitCode", 0)) if finished else None,
        labels=dict(config.get("Labels") or {}),
        mem_limit_bytes=host_config.get("Memory") or None,
        cpus=_cpus(host_config),
        log_driver=log_config.get("Type", ""),
        log_opts=dict(log_config.get("Config") or {}),
        env=_env_dict(config.get("Env") or []),
        ip_addresses=tuple(sorted(
            network["IPAddress"] for network in ((attrs.get("NetworkSettings") or {}).get("Networks") or {}).values()
            if network.get("IPAddress"))),
        published_ports=_published_ports(attrs),
    )


def _published_ports(attrs: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    return tuple(sorted({(binding.get("HostIp") or "", int(binding["HostPort"]))
                         for bindings in ports.values() for binding in (bindings or [])
                         if str(binding.get("HostPort", "")).isdigit()}))


def observe_resources(name: str, stats: dict[str, Any]) -> ResourceObservation:
    used, limit = memory_usage(stats)
    return ResourceObservation(
        name=name,
        cpu_percent=cpu_percent(stats),
        memory_used_bytes=used,
        memory_limit_bytes=limit,
        pids=(stats.get("pids_stats") or {}).get("current"),
    )


def _cpus(host_config: dict[str, Any]) -> float | None:
    if host_config.get("NanoCpus"):
        return float(host_config["NanoCpus"]) / 1e9
    quota, period = host_config.get("CpuQuota") or 0, host_config.get("CpuPeriod") or 0
    if quota > 0:
        return quota / (period or 100_000)  # the kernel's default period is 100 ms
    return None


def _env_dict(entries: list[str]) -> dict[str, str]:
    pairs = (entry.split("=", 1) for entry in entries)
    return {pair[0]: (pair[1] if len(pair) > 1 else "") for pair in pairs}


_DOCKER_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?")


def _parse_time(value: str | None) -> datetime | None:
    """Docker timestamps carry nanoseconds (Python takes micro); the zero time means "never"."""
    match = _DOCKER_TIME.fullmatch(value or "")
    if match is None or match.group(1).startswith("0001-01-01"):
        return None
    seconds, fraction, zone = match.groups()
    micro = f".{fraction[:6]}" if fraction else ""
    offset = "+00:00" if zone in (None, "Z") else zone
    return datetime.fromisoformat(f"{seconds}{micro}{offset}")


def _processes_from_top(top: dict[str, Any]) -> list[ProcessInfo]:
    titles = [title.upper() for title in top.get("Titles") or []]
    column = {title: index for index, title in enumerate(titles)}
    command_column = column.get("COMMAND", column.get("ARGS", len(titles) - 1))
    return [
        ProcessInfo(pid=int(row[column["PID"]]), ppid=int(row[column["PPID"]]),
                    user=row[column["USER"]], cmdline=row[command_column])
        for row in top.get("Processes") or []
    ]


# -- exec plumbing --------------------------------------------------------------------------

def _read_until_eof(raw: Any, deadline: float) -> bytes:
    sock = getattr(raw, "_sock", raw)  # unix/tcp: a SocketIO around the real socket
    received = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except (socket.timeout, TimeoutError):
            raise TimeoutError from None
        if not data:
            return bytes(received)
        received += data


def _demultiplex(payload: bytes) -> bytes:
    """Strip docker's 8-byte stream headers (non-tty exec output), keeping stdout and stderr in order."""
    output = bytearray()
    offset = 0
    while offset + 8 <= len(payload):
        stream_type, size = payload[offset], struct.unpack(">I", payload[offset + 4: offset + 8])[0]
        if stream_type not in (0, 1, 2):  # not multiplexed after all
            return payload
        output += payload[offset + 8: offset + 8 + size]
        offset += 8 + size
    return bytes(output)


def _timeout_binary_missing(result: ExecResult) -> bool:
    return result.exit_code in (126, 127) and '"timeout"' in result.output


def _exec_timeout(name: str, argv: list[str], timeout: float) -> ProbeTimeout:
    return ProbeTimeout(f"`{' '.join(argv)[:80]}` in {name} did not finish within {timeout:g}s",
                        dependency=DEPENDENCY)


def _close_quietly(raw: Any) -> None:
    # Shut the real socket down too: closing only the SocketIO wrapper would leave it open.
    sock = getattr(raw, "_sock", raw)
    for close in (lambda: sock.shutdown(socket.SHUT_RDWR), raw.close, sock.close):
        try:
            close()
        except Exception:  # a half-dead socket must not mask the real outcome
            pass
