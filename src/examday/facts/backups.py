"""Database backups as files on this host or in a container: age, size, readability."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.ports import DockerReads
from examday.facts.scratch_database import MARK_SQL, SCRATCH_SQL, SEPARATOR, ScratchReading, parse_scratch_reading


@dataclass(frozen=True)
class BackupFile:
    path: str
    size: int
    modified: dt.datetime

    def age_hours(self, now: dt.datetime) -> float:
        return (now - self.modified).total_seconds() / 3600

    def as_evidence(self) -> dict[str, Any]:
        return {"path": self.path, "bytes": self.size, "modified": self.modified.isoformat(timespec="seconds")}


class BackupsNotConfigured(Exception):
    """[backup] says neither where on this host nor in which container the dumps are."""


def backup_container(config: ExamdayConfig) -> str | None:
    """The container that holds the backups (by its role), None when they are on this host."""
    role = config.backup.container
    if role is None:
        return None
    name = config.docker.containers.name_of(role)
    if name is None:
        raise BackupsNotConfigured(f"[backup] container names the role {role}, which the target does not deploy "
                                   f"([docker.containers] {role})")
    return name


def backup_location(config: ExamdayConfig) -> str:
    """Where the dumps are, as evidence shows it: ``host:/srv/backups/backup_*.dump`` or ``container:/path/...``."""
    cfg = config.backup
    if cfg.host_dir is not None:
        return f"host:{cfg.host_dir}/{cfg.pattern}"
    container = backup_container(config)
    if container is None:
        raise BackupsNotConfigured("no backup location configured: set [backup] host_dir (a folder on this host) "
                                   "or [backup] container (a role) and path")
    return f"{container}:{cfg.path}/{cfg.pattern}"


def configured_backups(docker: DockerReads, config: ExamdayConfig) -> tuple[str, list[BackupFile]]:
    """(where, backups newest first) as [backup] describes them."""
    where = backup_location(config)
    if config.backup.host_dir is not None:
        return where, list_host_backups(config.backup.host_dir, config.backup.pattern)
    container = backup_container(config)
    assert container is not None  # backup_location raised otherwise
    return where, list_backups(docker, container, config.backup.path, config.backup.pattern)


def list_host_backups(directory: Path, pattern: str) -> list[BackupFile]:
    """Backups matching pattern in a folder of this host, newest first."""
    files = []
    for path in directory.glob(pattern):
        stat = path.stat()
        if path.is_file():
            files.append(BackupFile(str(path), stat.st_size, dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc)))
    return sorted(files, key=lambda f: f.modified, reverse=True)


def list_backups(docker: DockerReads, container: str, directory: str, pattern: str) -> list[BackupFile]:
    """Backups matching pattern in directory, newest first."""
    command = (f"find {shlex.quote(directory)} -maxdepth 1 -type f -name {shlex.quote(pattern)} "
               "-printf '%T@ %s %p\\n'")
    result = docker.exec(container, ["sh", "-c", command], timeout=10)
    files = []
    for line in result.output.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0].replace(".", "", 1).isdigit():
            modified = dt.datetime.fromtimestamp(float(parts[0]), dt.timezone.utc)
            files.append(BackupFile(parts[2], int(parts[1]), modified))
    return sorted(files, key=lambda f: f.modified, reverse=True)


def restore_listing(docker: DockerReads, container: str | None, path: str) -> tuple[bool, int, str]:
    """Run `pg_restore --list` on the dump (in its container, or here): (readable, entries, error excerpt)."""
    if container is None:
        exit_code, output = _run_here(["pg_restore", "--list", path], timeout=60)
    else:
        result = docker.exec(container, ["pg_restore", "--list", path], timeout=60)
        exit_code, output = result.exit_code, result.output
    entries = sum(1 for line in output.splitlines() if line and not line.startswith(";"))
    return exit_code == 0, entries, "" if exit_code == 0 else output[-300:]


def _run_here(argv: list[str], timeout: float, environment: dict[str, str] | None = None) -> tuple[int, str]:
    env = {**os.environ, **environment} if environment else None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    except FileNotFoundError:
        return 127, f"{argv[0]} is not installed on this host (Debian: postgresql-client)"
    except subprocess.TimeoutExpired:
        return 124, f"{argv[0]} did not finish within {timeout:g} s"
    return done.returncode, done.stdout + done.stderr


def _run_with_dsn(docker: DockerReads, container: str | None, argv: list[str], scratch_dsn: str,
                  timeout: float) -> tuple[int, str]:
    """Run where the dumps are (their container, or this host). The DSN travels in the
    environment, never on a command line that `ps` would show."""
    if container is None:
        return _run_here(argv, timeout=timeout, environment={"SCRATCH_DSN": scratch_dsn})
    result = docker.exec(container, argv, timeout=timeout, environment={"SCRATCH_DSN": scratch_dsn})
    return result.exit_code, result.output


def read_scratch(docker: DockerReads, container: str | None, scratch_dsn: str) -> ScratchReading:
    """Who the scratch database says it is, how many tables it holds, and its comment (reads only)."""
    argv = ["sh", "-c", 'psql -qAt -F "$1" -d "$SCRATCH_DSN" -c "$2"', "scratch", SEPARATOR, SCRATCH_SQL]
    exit_code, output = _run_with_dsn(docker, container, argv, scratch_dsn, timeout=30)
    return parse_scratch_reading(exit_code, output, scratch_dsn)


def restore_into(docker: DockerReads, container: str | None, path: str, scratch_dsn: str) -> tuple[bool, int, str]:
    """Restore the dump into the scratch database (which `scratch_refusal` allowed) and mark it as
    examday's: (succeeded, tables there afterwards, error excerpt without the DSN)."""
    script = ('pg_restore --clean --if-exists --no-owner --exit-on-error -d "$SCRATCH_DSN" "$1" && '
              'psql -qAt -d "$SCRATCH_DSN" -c "$2" && '
              "psql -qAt -d \"$SCRATCH_DSN\" -c \"select count(*) from pg_tables where schemaname='public'\"")
    argv = ["sh", "-c", script, "restore", path, MARK_SQL]
    exit_code, output = _run_with_dsn(docker, container, argv, scratch_dsn, timeout=120)
    lines = output.strip().splitlines()
    tables = int(lines[-1]) if exit_code == 0 and lines and lines[-1].isdigit() else 0
    error = "" if exit_code == 0 else output.replace(scratch_dsn, "[dsn]")[-300:]
    return exit_code == 0, tables, error


@dataclass(frozen=True)
class BackupReading:
    """Where the backups are, the files newest first, and pg_restore's reading of the newest."""

    where: str
    files: list[BackupFile]
    newest_readable: bool
    newest_entries: int
    newest_error: str

    @property
    def newest(self) -> BackupFile | None:
        return self.files[0] if self.files else None


def read_backups(docker: DockerReads, config: ExamdayConfig) -> BackupReading:
    where, files = configured_backups(docker, config)
    if not files:
        return BackupReading(where, files, False, 0, "no backup")
    readable, entries, error = restore_listing(docker, backup_container(config), files[0].path)
    return BackupReading(where, files, readable, entries, error)
