"""Apply schema.sql and stamp alembic_version: `python -m app.migrate`.

Runs before uvicorn in the entrypoint. It waits for PostgreSQL (the container
may start first) and takes an advisory lock, so a backend and its staging twin,
or a restart racing a seed, never apply the schema twice at once.
"""

from __future__ import annotations

import sys
import time
from importlib import resources

import psycopg

from app.db import libpq_url
from app.logs import configure_logging, get_logger
from app.settings import SettingsError, get_settings

SCHEMA_VERSION = "20261101_0007"
# Any constant works; it only has to be the same for every migrator.
ADVISORY_LOCK_KEY = 7_202_611
WAIT_FOR_DB_SECONDS = 60

_log = get_logger()


def _connect(dsn: str, wait_seconds: float) -> psycopg.Connection:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return psycopg.connect(dsn, connect_timeout=3, application_name="exam_platform_migrate")
        except psycopg.OperationalError as exc:
            if time.monotonic() >= deadline:
                raise
            _log.warning("migrate.waiting_for_db", reason=str(exc).strip().splitlines()[0][:200])
            time.sleep(1)


def apply_schema(conn: psycopg.Connection) -> None:
    schema = resources.files("app").joinpath("schema.sql").read_text()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
        # No parameters: psycopg sends it as one simple query, many statements allowed.
        conn.execute(schema.encode())
        conn.execute("DELETE FROM alembic_version WHERE version_num <> %s", (SCHEMA_VERSION,))
        conn.execute("INSERT INTO alembic_version (version_num) VALUES (%s) ON CONFLICT DO NOTHING", (SCHEMA_VERSION,))


def migrate(wait_seconds: float = WAIT_FOR_DB_SECONDS) -> None:
    settings = get_settings()
    _log.info("migrate.start", version=SCHEMA_VERSION)
    with _connect(libpq_url(settings.database_url), wait_seconds) as conn:
        apply_schema(conn)
    _log.info("migrate.done", version=SCHEMA_VERSION)


def main() -> int:
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        migrate()
    except psycopg.Error as exc:
        _log.error("migrate.failed", reason=f"{type(exc).__name__}: {str(exc).strip()[:300]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
