"""Files and processes on the local host or inside a container, through pytest-testinfra.

testinfra's local backend runs a subprocess with no time limit, so the probe swaps in a
bounded `run_local`. Inside a container (`docker://NAME`) it runs through the Docker SDK's
exec (DockerProbe.exec_streams), bounded there: `timeout` in the container where it has one,
and a deadline on the output.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

import testinfra.backend
import testinfra.host
from testinfra.backend.base import BaseBackend, CommandResult
from testinfra.backend.docker import DockerBackend

from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable
from examday.probes.process_listing import (  # noqa: F401 - ProcessInfo and the parser are imported from here too
    PROC_LISTING_SCRIPT, PS_FAILED, PS_LISTING_SCRIPT, ProcessInfo, parse_process_listing,
)

DEPENDENCY = "host"
DEFAULT_HASH_LIMIT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class FileInfo:
    path: str
    exists: bool
    is_file: bool = False
    size: int | None = None
    mtime: datetime | None = None
    sha256: str | None = None  # None when absent, not a regular file, or over the hash limit


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime: datetime


def _run_bounded(backend: BaseBackend, command: str, timeout: float) -> CommandResult:
    # start_new_session: the shell's children (ssh, ...) die with it on timeout.
    encoded = backend.encode(command)
    process = subprocess.Popen(encoded, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ProbeTimeout(f"{backend.get_pytest_id()}: command did not finish within {timeout:g}s: "
                           f"{command[:120]}", dependency=DEPENDENCY) from None
    return backend.result(process.returncode, encoded, stdout, stderr)


class _BoundedRunLocal:
    """Mixin: testinfra's run_local (a subprocess without a time limit), with one."""

    command_timeout: float = 10.0

    def run_local(self, command: str, *args: str) -> CommandResult:
        return _run_bounded(self, BaseBackend.quote(command, *args), self.command_timeout)  # type: ignore[arg-type]


class ExecsWithStreams(Protocol):
    """What is needed of a DockerProbe: its bounded exec, with stdout and stderr apart."""

    def exec_streams(self, name: str, argv: list[str], timeout: float = 10.0,
                     user: str | None = None) -> tuple[int, bytes, bytes]: ...


class _EngineExecBackend(DockerBackend):
    """`docker://CONTAINER` through the run's Docker client (the SDK's exec API), not the docker CLI.

    Why not `docker exec` as a subprocess: the CLI reaches a remote engine through OpenSSH, which
    reads ~/.ssh from the user's passwd entry rather than $HOME and follows its own host-key policy
    (StrictHostKeyChecking may be accept-new), while the Docker probe uses paramiko with $HOME and
    refuses unknown keys. One client means one engine ([docker] host or context), one trust decision,
    one ssh session for the run and one set of error messages. The SDK's exec is bounded the same
    way the CLI call was: `timeout` in the container where present, and a deadline on the output."""

    engine: Callable[[], ExecsWithStreams]
    command_timeout: float = 10.0

    def run(self, command: str, *args: str, **kwargs: Any) -> CommandResult:
        inner = self.get_command(command, *args)
        try:
            rc, stdout, stderr = self.engine().exec_streams(self.name, ["/bin/sh", "-c", inner],
                                                            timeout=self.command_timeout, user=self.user)
        except ProbeTimeout:
            raise ProbeTimeout(f"command in container {self.name} did not finish within {self.command_timeout:g}s: "
                               f"{inner[:120]}", dependency=DEPENDENCY) from None
        except ProbeError as error:  # the engine gone, the container missing, paused or stopped
            raise Unreachable(f"container {self.name}: {error}", dependency=DEPENDENCY) from None
        return self.result(rc, self.encode(inner), stdout, stderr)


def _bounded_backend(hostspec: str, timeout: float, engine: Callable[[], ExecsWithStreams]) -> BaseBackend:
    host, kwargs = testinfra.backend.parse_hostspec(hostspec)
    connection = kwargs.setdefault("connection", "local" if host in (None, "") else "paramiko")
    if connection == "docker":
        backend: Any = _EngineExecBackend(host, **kwargs)
        backend.engine = engine
    else:  # local, and ssh-like backends that shell out through run_local
        base_class = testinfra.backend.get_backend_class(connection)
        bounded_class = type(f"Bounded{base_class.__name__}", (_BoundedRunLocal, base_class), {})
        backend = bounded_class(**kwargs) if connection == "local" else bounded_class(host, **kwargs)
    backend.command_timeout = timeout
    return backend  # type: ignore[no-any-return]


class HostProbe:
    """Read-only look at one host: `local://` or `docker://CONTAINER` (any testinfra spec).

    `docker` gives the engine for `docker://` specs: the run's DockerProbe, so a container on a
    remote engine ([docker] host = "ssh://...") is reached as every other probe reaches it. Without
    it, a DockerProbe of its own on DOCKER_HOST or the local socket, opened on first use.
    """

    def __init__(self, hostspec: str = "local://", timeout: float = 10.0,
                 hash_limit_bytes: int = DEFAULT_HASH_LIMIT_BYTES,
                 docker: Callable[[], ExecsWithStreams] | None = None) -> None:
        self.hostspec = hostspec
        self.timeout = timeout
        self.hash_limit_bytes = hash_limit_bytes
        self._docker = docker
        self._own_docker: Any = None
        self._host: testinfra.host.Host | None = None

    def _engine(self) -> ExecsWithStreams:
        if self._docker is not None:
            return self._docker()
        if self._own_docker is None:
            from examday.probes.docker import DockerProbe

            self._own_docker = DockerProbe(timeout=self.timeout)
        return self._own_docker  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close the Docker client this probe opened itself (one it was given stays open)."""
        if self._own_docker is not None:
            self._own_docker.close()
            self._own_docker = None

    @property
    def host(self) -> testinfra.host.Host:
        if self._host is None:
            backend = _bounded_backend(self.hostspec, self.timeout, self._engine)
            self._host = testinfra.host.Host(backend)
            backend.set_host(self._host)
        return self._host

    def file_info(self, path: str) -> FileInfo:
        """Existence, size, mtime and (for regular files under the hash limit) sha256."""
        file = self.host.file(path)
        if not self._guarded(lambda: file.exists):
            return FileInfo(path=path, exists=False)
        is_file = self._guarded(lambda: file.is_file)
        size = self._guarded(lambda: file.size) if is_file else None
        # testinfra gives a naive local time; make it an aware UTC one.
        mtime = self._guarded(lambda: file.mtime).astimezone(timezone.utc)
        digest = None
        if is_file and size is not None and size <= self.hash_limit_bytes:
            digest = self._guarded(lambda: file.sha256sum)
        return FileInfo(path=path, exists=True, is_file=is_file, size=size, mtime=mtime, sha256=digest)

    def list_files(self, directory: str, pattern: str = "*") -> list[FileEntry]:
        """Regular files in `directory` (not recursive) matching a glob, newest first."""
        if not re.fullmatch(r"[A-Za-z0-9._*?\[\]!+@%-]+", pattern):
            raise ValueError(f"unsupported file pattern {pattern!r}: use a plain glob")
        # `stat -c` exists in GNU coreutils and busybox alike (find -printf does not).
        script = (
            f"cd {shlex.quote(directory)} || exit 3; "
            f'for f in {pattern}; do [ -f "$f" ] && stat -c "%Y %s %n" -- "$f"; done; exit 0'
        )
        result = self._run(script)
        if result.rc == 3:
            raise BadResponse(f"directory {directory} is missing or unreadable on {self.hostspec}",
                              dependency=DEPENDENCY)
        entries = [self._parse_stat_line(directory, line) for line in result.stdout.splitlines() if line]
        entries = [entry for entry in entries if fnmatch.fnmatch(os.path.basename(entry.path), pattern)]
        return sorted(entries, key=lambda entry: entry.mtime, reverse=True)

    def processes(self) -> list[ProcessInfo]:
        """Every process (pid, ppid, user, cmdline): one `ps` call, else a read of /proc."""
        listed = self._run(PS_LISTING_SCRIPT)
        if listed.rc == PS_FAILED:
            listed = self._run(PROC_LISTING_SCRIPT)
        if listed.rc != 0:
            raise BadResponse(f"{self.hostspec}: could not list processes: {listed.stderr.strip()[:200]}",
                              dependency=DEPENDENCY)
        return parse_process_listing(listed.stdout)

    def _run(self, script: str) -> CommandResult:
        return self._guarded(lambda: self.host.run(script))  # type: ignore[no-any-return]

    def _guarded(self, read: Any) -> Any:
        try:
            return read()
        except ProbeError:
            raise
        except Exception as error:  # testinfra raises AssertionError/RuntimeError on rc != 0: make it ours
            raise BadResponse(f"{self.hostspec}: {str(error).strip()}", dependency=DEPENDENCY) from error

    @staticmethod
    def _parse_stat_line(directory: str, line: str) -> FileEntry:
        mtime, size, name = line.split(" ", 2)
        return FileEntry(
            path=os.path.join(directory, name),
            size=int(size),
            mtime=datetime.fromtimestamp(int(mtime), tz=timezone.utc),
        )
