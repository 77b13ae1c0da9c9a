"""May the restore test write into this database? Never the target's own.

PRE-INF-08 runs `pg_restore --clean` into the database [backup] restore_test_dsn_* names.
Before a byte is written, that database is asked who it is (its name, and its server's start
time, which no other spelling of the same DSN can change: a host name, an IP, an alias) and
compared with the target's own database, read through examday's read-only session. It must
also be empty, or carry examday's mark: a comment on the database that examday writes after
its first restore there (or the operator writes once, for a scratch database that has tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examday.facts.ports import DatabaseReads

SCRATCH_MARK = "examday restore scratch"
SEPARATOR = "\x1f"  # psql's field separator here: no database name or comment holds it

# Text, not timestamps: both sides read it through psql, and compare it as written.
IDENTITY_SQL = ("SELECT current_database(), "
                "to_char(pg_postmaster_start_time() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
SCRATCH_SQL = (IDENTITY_SQL + ", (SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
               "'information_schema')), coalesce(shobj_description((SELECT oid FROM pg_database "
               "WHERE datname = current_database()), 'pg_database'), '')")
MARK_SQL = (f"DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %I IS %L', current_database(), "
            f"'{SCRATCH_MARK}'); END $$")


@dataclass(frozen=True)
class DatabaseIdentity:
    name: str
    server_started: str


@dataclass(frozen=True)
class ScratchReading:
    """The scratch database as it answered before the restore (or why it did not)."""

    identity: DatabaseIdentity | None
    tables: int = 0
    comment: str = ""
    error: str = ""

    def as_evidence(self) -> dict[str, Any]:
        if self.identity is None:
            return {"scratch_database": None, "scratch_error": self.error}
        return {"scratch_database": self.identity.name, "scratch_tables_before": self.tables,
                "scratch_marked": self.comment == SCRATCH_MARK}


def target_identity(postgres: DatabaseReads) -> DatabaseIdentity:
    name, started = postgres.query(IDENTITY_SQL).rows[0]
    return DatabaseIdentity(str(name), str(started))


def parse_scratch_reading(exit_code: int, output: str, dsn: str) -> ScratchReading:
    """psql's one unaligned row (name, start time, tables, comment), or its error without the DSN."""
    fields = output.strip("\r\n").split(SEPARATOR)  # not strip(): it takes the separator for whitespace
    if exit_code != 0 or len(fields) != 4 or not fields[2].isdigit():
        return ScratchReading(None, error=output.replace(dsn, "[dsn]").strip()[-300:] or f"psql exited {exit_code}")
    name, started, tables, comment = fields
    return ScratchReading(DatabaseIdentity(name, started), int(tables), comment)


def scratch_refusal(target: DatabaseIdentity, scratch: ScratchReading) -> str | None:
    """Why the restore must not write there, or None when it may."""
    if scratch.identity is None:
        return f"the scratch database cannot be read: {scratch.error}"
    if scratch.identity == target:
        return (f"refused: the restore test's database is the target's own ({target.name} on the same server): "
                "point [backup] restore_test_dsn_* at a scratch database")
    if scratch.tables and scratch.comment != SCRATCH_MARK:
        return (f"refused: the scratch database {scratch.identity.name} has {scratch.tables} table(s) and is not "
                f"marked as examday's: point at an empty database, or mark this one (COMMENT ON DATABASE "
                f"{scratch.identity.name} IS '{SCRATCH_MARK}') once you are sure nothing in it is needed")
    return None
