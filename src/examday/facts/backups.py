"""Database backups as files in the backup container: age, size, readability."""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass
from typing import Any

from examday.config import ExamdayConfig


@dataclass(frozen=True)
class BackupFile:
    path: str
    size: int
    modified: dt.datetime

    def age_hours(self, now: dt.datetime) -> float:
        return (now - self.modified).total_seconds() / 3600

    def as_evidence(self) -> dict[str, Any]:
        return {"path": self.path, "bytes": self.size, "modified": self.modified.isoformat(timespec="seconds")}


def backup_container(config: ExamdayConfig) -> str:
    """The container that holds the backups: a configured role's name, or a name given as is."""
    role = config.backup.container
    return getattr(config.docker.containers, role, None) or role


def configured_backups(docker: Any, config: ExamdayConfig) -> tuple[str, list[BackupFile]]:
    """(where, backups newest first) as [backup] describes them."""
    where = f"{backup_container(config)}:{config.backup.path}/{config.backup.pattern}"
    return where, list_backups(docker, backup_container(config), config.backup.path, config.backup.pattern)


def list_backups(docker: Any, container: str, directory: str, pattern: str) -> list[BackupFile]:
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


def restore_listing(docker: Any, container: str, path: str) -> tuple[bool, int, str]:
    """Run `pg_restore --list` on the dump: (readable, table-of-contents entries, error excerpt)."""
    result = docker.exec(container, ["pg_restore", "--list", path], timeout=60)
    entries = sum(1 for line in result.output.splitlines() if line and not line.startswith(";"))
    return result.exit_code == 0, entries, "" if result.exit_code == 0 else result.output[-300:]


def restore_into(docker: Any, container: str, path: str, scratch_dsn: str) -> tuple[bool, int, str]:
    """Restore the dump into the scratch database: (succeeded, tables there afterwards, error excerpt).

    The DSN travels in the environment of the exec, never on a command line
    that `ps` would show, nor in the returned excerpt.
    """
    script = ('pg_restore --clean --if-exists --no-owner --exit-on-error -d "$SCRATCH_DSN" "$1" && '
              "psql -qAt -d \"$SCRATCH_DSN\" -c \"select count(*) from pg_tables where schemaname='public'\"")
    result = docker.exec(container, ["sh", "-c", script, "restore", path], timeout=120,
                         environment={"SCRATCH_DSN": scratch_dsn})
    lines = result.output.strip().splitlines()
    tables = int(lines[-1]) if result.exit_code == 0 and lines and lines[-1].isdigit() else 0
    error = "" if result.exit_code == 0 else result.output.replace(scratch_dsn, "[dsn]")[-300:]
    return result.exit_code == 0, tables, error


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


def read_backups(docker: Any, config: ExamdayConfig) -> BackupReading:
    where, files = configured_backups(docker, config)
    if not files:
        return BackupReading(where, files, False, 0, "no backup")
    readable, entries, error = restore_listing(docker, backup_container(config), files[0].path)
    return BackupReading(where, files, readable, entries, error)
