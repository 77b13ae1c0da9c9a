"""Apply schema.sql to a fresh database and stamp alembic_version: `python -m app.migrate`.

Runs before uvicorn in the entrypoint. It waits for PostgreSQL, takes an advisory lock
(a restart racing a seed never applies the schema twice at once), and refuses a
database stamped with another version: that is an old sandbox's volume, which
`examday sandbox up` recreates. It then checks that Redis answers: the platform's
backend does not start while Redis is unreachable.
"""

from __future__ import annotations

import sys
import time
from importlib import resources

import psycopg
import redis

from app.db import libpq_url
from app.logs import configure_logging, get_logger
from app.settings import SettingsError, get_settings

SCHEMA_VERSION = resources.files("app").joinpath("schema_version.txt").read_text().strip()
ADVISORY_LOCK_KEY = 7_202_611
WAIT_FOR_DB_SECONDS = 60

_log = get_logger()


class SchemaMismatch(RuntimeError):
    pass


def _connect(dsn: str, wait_seconds: float) -> psycopg.Connection:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return psycopg.connect(dsn, connect_timeout=10, application_name="exam_platform_migrate")
        except psycopg.OperationalError as exc:
            if time.monotonic() >= deadline:
                raise
            _log.warning("migrate.waiting_for_db", reason=str(exc).strip().splitlines()[0][:200])
            time.sleep(1)


def stamped_version(conn: psycopg.Connection) -> str | None:
    exists = conn.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version LIMIT 1").fetchone()
    return row[0] if row else None


def apply_schema(conn: psycopg.Connection) -> None:
    schema = resources.files("app").joinpath("schema.sql").read_text()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
        current = stamped_version(conn)
        if current == SCHEMA_VERSION:
            return
        if current is not None or conn.execute("SELECT to_regclass('public.users')").fetchone()[0]:
            raise SchemaMismatch(f"database is at schema {current!r}, this backend needs {SCHEMA_VERSION!r}")
        conn.execute(schema.encode())
        conn.execute("INSERT INTO alembic_version (version_num) VALUES (%s)", (SCHEMA_VERSION,))


def check_redis() -> None:
    settings = get_settings()
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=1)
    client.ping()


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
    except (psycopg.Error, SchemaMismatch) as exc:
        _log.error("migrate.failed", reason=f"{type(exc).__name__}: {str(exc).strip()[:300]}")
        return 1
    if "--no-redis-check" not in sys.argv:
        try:
            check_redis()
        except redis.RedisError as exc:
            _log.error("startup.redis_unreachable", reason=f"{type(exc).__name__}: {str(exc)[:200]}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
