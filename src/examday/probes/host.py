"""Files and processes on the local host or inside a container, through pytest-testinfra.

testinfra's local and docker backends run a subprocess with no time limit, so the
probe swaps in a bounded `run_local` (and, inside containers, wraps the command
with `timeout` where the container has it, so a hung command does not linger).
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import signal
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import testinfra.backend
import testinfra.host
from testinfra.backend.base import BaseBackend, CommandResult
from testinfra.backend.docker import DockerBackend

from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable

DEPENDENCY = "host"
DEFAULT_HASH_LIMIT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    user: str
    cmdline: str


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


# Two ways to list processes, with one output shape: "#self PID", then
# "pid ppid uid cmdline" lines, then "#passwd" and /etc/passwd (to name the uids).
# The marker is in the command line of every process that carries the script (the
# shell, a `timeout` wrapper), so the listing leaves itself out, with the shell's children.
_LISTING_MARKER = "examday-proc-listing"
_PS_FAILED = 97

PS_LISTING_SCRIPT = rf"""# {_LISTING_MARKER}
echo "#self $$"
ps -e -ww -o pid=,ppid=,uid=,args= 2>/dev/null || exit {_PS_FAILED}
echo "#passwd"
cat /etc/passwd 2>/dev/null
exit 0
"""

# For images without `ps` (slim, distroless-ish): read /proc with sh and tr alone.
PROC_LISTING_SCRIPT = rf"""# {_LISTING_MARKER}
echo "#self $$"
for d in /proc/[0-9]*; do
  pid=${{d#/proc/}}
  {{ read -r stat < "$d/stat"; }} 2>/dev/null || continue
  rest=${{stat##*) }}
  set -- $rest
  ppid=$2
  uid=?
  {{ while read -r key value _; do
      if [ "$key" = "Uid:" ]; then uid=$value; break; fi
    done < "$d/status"; }} 2>/dev/null
  cmd=$(tr '\000\n' '  ' < "$d/cmdline" 2>/dev/null)
  if [ -z "$cmd" ]; then comm=${{stat#*(}}; cmd="[${{comm%)*}}]"; fi
  printf '%s %s %s %s\n' "$pid" "$ppid" "$uid" "$cmd"
done
echo "#passwd"
cat /etc/passwd 2>/dev/null
exit 0
"""


def parse_process_listing(output: str) -> list[ProcessInfo]:
    """Turn PS_LISTING_SCRIPT's or PROC_LISTING_SCRIPT's output into processes, minus the listing."""
    self_pid: int | None = None
    rows: list[tuple[int, int, str, str]] = []
    users: dict[str, str] = {}
    in_passwd = False
    for line in output.splitlines():
        fields = line.split(None, 3)
        if line.startswith("#self "):
            self_pid = int(fields[1])
        elif line == "#passwd":
            in_passwd = True
        elif in_passwd:
            entry = line.split(":")
            if len(entry) >= 3:
                users.setdefault(entry[2], entry[0])
        elif len(fields) >= 3 and fields[0].isdigit() and fields[1].isdigit():
            cmdline = fields[3].strip() if len(fields) == 4 else ""
            rows.append((int(fields[0]), int(fields[1]), fields[2], cmdline))
    return [
        ProcessInfo(pid=pid, ppid=ppid, user=users.get(uid, uid), cmdline=cmdline)
        for pid, ppid, uid, cmdline in rows
        if _LISTING_MARKER not in cmdline and self_pid not in (pid, ppid)
    ]


def _run_bounded(backend: BaseBackend, command: str, timeout: float, shown_as: str | None = None) -> CommandResult:
    # start_new_session: the shell's children (docker exec, ...) die with it on timeout.
    encoded = backend.encode(command)
    process = subprocess.Popen(encoded, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ProbeTimeout(f"{backend.get_pytest_id()}: command did not finish within {timeout:g}s: "
                           f"{(shown_as or command)[:120]}", dependency=DEPENDENCY) from None
    return backend.result(process.returncode, encoded, stdout, stderr)


class _BoundedRunLocal:
    """Mixin: testinfra's run_local (a subprocess without a time limit), with one."""

    command_timeout: float = 10.0

    def run_local(self, command: str, *args: str) -> CommandResult:
        return _run_bounded(self, BaseBackend.quote(command, *args), self.command_timeout)  # type: ignore[arg-type]


# Inside the container: use `timeout` when present so a hung command is killed there too
# (killing the local `docker exec` client leaves the command running in the container).
_IN_CONTAINER_WRAPPER = (
    'if command -v timeout >/dev/null 2>&1; then exec timeout -k 1 "$1" /bin/sh -c "$0"; fi; '
    'exec /bin/sh -c "$0"'
)


class _BoundedDockerBackend(_BoundedRunLocal, DockerBackend):
    def run(self, command: str, *args: str, **kwargs: Any) -> CommandResult:
        inner = self.get_command(command, *args)
        in_container_limit = str(max(1, int(self.command_timeout)))
        user = ["-u", self.user] if self.user is not None else []
        argv = ["docker", "exec", *user, self.name, "/bin/sh", "-c", _IN_CONTAINER_WRAPPER, inner,
                in_container_limit]
        # The client-side bound is a little longer, so the in-container `timeout` acts first.
        result = _run_bounded(self, shlex.join(argv), self.command_timeout + 2, shown_as=inner)
        _raise_when_container_unusable(self.name, result)
        if result.rc in (124, 137):  # the in-container `timeout` stopped it
            raise ProbeTimeout(f"command in container {self.name} did not finish within {in_container_limit}s: "
                               f"{inner[:120]}", dependency=DEPENDENCY)
        result.command = self.encode(inner)
        return result


def _bounded_backend(hostspec: str, timeout: float) -> BaseBackend:
    host, kwargs = testinfra.backend.parse_hostspec(hostspec)
    connection = kwargs.setdefault("connection", "local" if host in (None, "") else "paramiko")
    if connection == "docker":
        bounded_class: type[Any] = _BoundedDockerBackend
    else:  # local, and ssh-like backends that also shell out through run_local
        base_class = testinfra.backend.get_backend_class(connection)
        bounded_class = type(f"Bounded{base_class.__name__}", (_BoundedRunLocal, base_class), {})
    backend = bounded_class(**kwargs) if connection == "local" else bounded_class(host, **kwargs)
    backend.command_timeout = timeout
    return backend  # type: ignore[no-any-return]


# What the docker CLI prints (never the command itself) when it could not exec at all.
_DOCKER_CLI_FAILURES = ("Error: No such container", "Error response from daemon", "Cannot connect to the Docker daemon")


def _raise_when_container_unusable(container: str, result: CommandResult) -> None:
    stderr = result.stderr.strip()
    if result.rc != 0 and stderr.startswith(_DOCKER_CLI_FAILURES):
        raise Unreachable(f"container {container}: {stderr}", dependency=DEPENDENCY)


class HostProbe:
    """Read-only look at one host: `local://` or `docker://CONTAINER` (any testinfra spec)."""

    def __init__(self, hostspec: str = "local://", timeout: float = 10.0,
                 hash_limit_bytes: int = DEFAULT_HASH_LIMIT_BYTES) -> None:
        self.hostspec = hostspec
        self.timeout = timeout
        self.hash_limit_bytes = hash_limit_bytes
        self._host: testinfra.host.Host | None = None

    @property
    def host(self) -> testinfra.host.Host:
        if self._host is None:
            backend = _bounded_backend(self.hostspec, self.timeout)
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
        if listed.rc == _PS_FAILED:
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
