"""SQLAlchemy engine (the platform's sync pool), per-request query accounting, slow_sql."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.context import current_request_id, current_stats
from app.faults import checkout_timed, leaked_after_stall
from app.logs import get_logger
from app.settings import get_settings

# The platform's pool, per worker process: 5 workers x 20 = PostgreSQL's 100 connections.
POOL_SIZE = 10
MAX_OVERFLOW = 10
POOL_TIMEOUT_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 10
SLOW_SQL_WARN_MS = 100
SLOW_SQL_ERROR_MS = 300
SQL_CHARS = 2000

_log = get_logger()
_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None


def make_engine(database_url: str, application_name: str = "exam_platform_backend") -> Engine:
    engine = create_engine(
        database_url,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "application_name": application_name},
    )
    _instrument(engine)
    return engine


def _instrument(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        conn.info["query_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        started = conn.info.pop("query_started", time.perf_counter())
        duration_ms = (time.perf_counter() - started) * 1000
        stats = current_stats()
        if stats is not None:
            stats.add_query(duration_ms)
        if duration_ms > SLOW_SQL_WARN_MS:
            _log.warning("slow_sql", extra={
                "event": "slow_sql",
                "severity": "error" if duration_ms > SLOW_SQL_ERROR_MS else "warn",
                "request_id": current_request_id(),
                "query_ms": round(duration_ms, 1),
                "rowcount": getattr(cursor, "rowcount", None),
                "sql": statement[:SQL_CHARS],
            })


def init_engine(application_name: str = "exam_platform_backend") -> Engine:
    """This process's engine, made once: each uvicorn worker has its own pool."""
    global _engine, _session_factory
    if _engine is None:
        _engine = make_engine(get_settings().database_url, application_name)
        _session_factory = sessionmaker(bind=_engine, expire_on_commit=False)
    return _engine


def get_engine() -> Engine:
    return init_engine()


def dispose_engine() -> None:
    global _engine, _session_factory
    if _engine is not None:
        _engine.dispose()
    _engine = None
    _session_factory = None


def get_db() -> Iterator[Session]:
    """FastAPI dependency: one session per request; endpoints commit explicitly."""
    init_engine()
    assert _session_factory is not None
    session = _session_factory()
    try:
        checkout_timed(session)  # a sandbox fault's, off by default
        yield session
    finally:
        if not leaked_after_stall(session):  # a sandbox fault's, off by default
            session.close()


def libpq_url(database_url: str) -> str:
    """The DATABASE_URL without SQLAlchemy's "+driver" part, for plain psycopg."""
    url: URL = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
