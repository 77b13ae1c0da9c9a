"""Containers, images, processes, stats and logs, read through the Docker SDK.

Every call is bounded: the SDK client has a socket timeout, and `exec` (which the
SDK never times out) reads its output against a deadline.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any, NamedTuple, TypeVar

import docker
import docker.errors
import requests.exceptions

from examday.probes.docker_exec_stream import close_quietly, demultiplex, read_until_eof, split_streams
from examday.probes.docker_log_files import Entry, LogSource, api_entries, file_entries, is_local_engine, log_source
from examday.probes.docker_observations import (
    ContainerObservation, ImageInfo, ResourceObservation, observe_container, observe_resources, parse_docker_time,
    processes_from_top,
)
from examday.probes.docker_ssh import is_ssh, ssh_client, ssh_engine_error
from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable
from examday.probes.line_framing import decoded_lines
from examday.probes.process_listing import PROC_LISTING_SCRIPT, ProcessInfo, parse_process_listing

DEPENDENCY = "docker"
COMPOSE_SERVICE_LABEL = "com.docker.compose.service"
TOP_PS_ARGS = "-eo pid,ppid,user,args"
_T = TypeVar("_T")


class ContainerNotFound(ProbeError):
    """The engine answered, but has no container by that name."""


class ExecResult(NamedTuple):
    """Unpacks as `(exit_code, output)`; stdout and stderr are interleaved in `output`."""

    exit_code: int
    output: str


# -- docker's own arithmetic, kept pure so it can be tested on captured stats --------------


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


def translate_engine_error(error: Exception, what: str, engine: str = "docker engine",
                           base_url: str | None = None) -> ProbeError:
    """Map an SDK/requests failure to Unreachable, ProbeTimeout or BadResponse."""
    chain = list(_causes(error))
    if is_ssh(base_url):
        over_ssh = ssh_engine_error(error, chain, str(base_url))
        if over_ssh is not None:
            return over_ssh
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

    @classmethod
    def over(cls, client: docker.DockerClient) -> "DockerProbe":
        """A probe on a client already open (the sandbox's own)."""
        probe = cls()
        probe._client = client
        return probe

    # connection ------------------------------------------------------------------------
    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = self._call("connect", self._connect)
        return self._client

    def _connect(self) -> docker.DockerClient:
        if is_ssh(self._url()):  # DOCKER_HOST too: the SDK's own ssh connect has no time bound
            return ssh_client(self._url(), self.timeout)
        if self.base_url is None:
            return docker.from_env(timeout=self.timeout)
        return docker.DockerClient(base_url=self.base_url, timeout=self.timeout)

    def _url(self) -> str | None:
        return self.base_url or os.environ.get("DOCKER_HOST")

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
            raise translate_engine_error(error, what, self._engine_name(), self._url()) from error

    def _engine_name(self) -> str:
        return f"docker engine at {self._url() or 'the default socket'}"

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

        Compose project names vary (docs/platform.md: the folder is `compose`), so a role is found
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
             environment: dict[str, str] | None = None, user: str | None = None,
             wrapped: bool = True) -> ExecResult:
        """Run a read-only command in a container; ProbeTimeout when it outlives `timeout`.

        `environment` passes values (a DSN, say) without putting them on a command line.

        Inside the container the command is wrapped with `timeout` when present (so it is
        killed there too) unless `wrapped` is False (a `pgrep -f` would find the wrapper's
        command line); the read of its output always stops at the deadline.
        """
        exit_code, payload = self._exec_bounded(name, argv, timeout, environment, user, wrapped)
        return ExecResult(exit_code=exit_code, output=demultiplex(payload).decode("utf-8", "replace"))

    def exec_streams(self, name: str, argv: list[str], timeout: float = 10.0,
                     user: str | None = None) -> tuple[int, bytes, bytes]:
        """As `exec`, run as `user` (None: the container's), with stdout and stderr apart: what a
        testinfra backend reports (HostProbe's `docker://`)."""
        exit_code, payload = self._exec_bounded(name, argv, timeout, None, user)
        stdout, stderr = split_streams(payload)
        return exit_code, stdout, stderr

    def _exec_bounded(self, name: str, argv: list[str], timeout: float, environment: dict[str, str] | None,
                      user: str | None = None, wrapped: bool = True) -> tuple[int, bytes]:
        container = self._get_container(name)
        wrap = wrapped and self._has_timeout_binary.get(container.id, True)
        exit_code, payload = self._exec_once(container, argv, timeout, wrap, environment, user)
        if wrap and _timeout_binary_missing(exit_code, payload):
            self._has_timeout_binary[container.id] = False
            exit_code, payload = self._exec_once(container, argv, timeout, False, environment, user)
        elif wrap:
            self._has_timeout_binary[container.id] = True
        if wrap and self._has_timeout_binary[container.id] and exit_code in (124, 137):
            raise _exec_timeout(name, argv, timeout)
        return exit_code, payload

    def _exec_once(self, container: Any, argv: list[str], timeout: float, wrap: bool,
                   environment: dict[str, str] | None, user: str | None) -> tuple[int, bytes]:
        limit = str(max(1, int(timeout)))
        command = ["timeout", "-k", "1", limit, *argv] if wrap else list(argv)
        api = self.client.api
        exec_id = self._call("exec create", lambda: api.exec_create(
            container.id, command, stdout=True, stderr=True, tty=False, environment=environment,
            user=user or "")["Id"])
        raw = self._call("exec start", lambda: api.exec_start(exec_id, socket=True, tty=False))
        deadline = time.monotonic() + timeout + (2.0 if wrap else 0.0)
        try:
            payload = read_until_eof(raw, deadline)
        except TimeoutError:
            raise _exec_timeout(container.name, argv, timeout) from None
        finally:
            close_quietly(raw)
        return self._exit_code(exec_id, deadline), payload

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
        return processes_from_top(top)

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

    def log_source(self, name: str) -> LogSource:
        """The container's id and whether its json-file log can be read directly (docker_log_files)."""
        return log_source(self._get_container(name).attrs, is_local_engine(self._url()))

    def log_entries(self, name: str, source: LogSource, since_ns: int, max_line_bytes: int = 65536) -> Iterator[Entry]:
        """(docker's timestamp in ns, line) from ``since_ns`` on: from the file when it can be read, else the API."""
        if source.log_path is not None:
            return file_entries(source.log_path, since_ns, max_line_bytes)
        container = self._get_container(name)
        since = since_ns / 1e9 - 0.001 if since_ns > 1_000_000_000 else None  # a float: the engine takes ns
        chunks = self._call("logs", lambda: container.logs(stream=True, follow=False, stdout=True, stderr=True,
                                                           timestamps=True, since=since))
        return self._lines(chunks, max_line_bytes, api_entries)

    def _lines(self, chunks: Iterator[bytes], max_line_bytes: int, framing: Callable[..., Iterator[Any]] = decoded_lines,
               ) -> Iterator[Any]:
        try:
            yield from framing(chunks, max_line_bytes)
        except ProbeError:
            raise
        except Exception as error:
            raise translate_engine_error(error, "logs", self._engine_name(), self._url()) from error

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
        infos = [ImageInfo(id=image.id, tags=sorted(image.tags), created=parse_docker_time(image.attrs.get("Created")))
                 for image in images]
        return sorted(infos, key=lambda info: info.created or datetime.min.replace(tzinfo=timezone.utc),
                      reverse=True)


# -- shaping engine payloads into observations ---------------------------------------------


# -- exec plumbing --------------------------------------------------------------------------

def _timeout_binary_missing(exit_code: int, payload: bytes) -> bool:
    return exit_code in (126, 127) and b'"timeout"' in payload


def _exec_timeout(name: str, argv: list[str], timeout: float) -> ProbeTimeout:
    return ProbeTimeout(f"`{' '.join(argv)[:80]}` in {name} did not finish within {timeout:g}s",
                        dependency=DEPENDENCY)
