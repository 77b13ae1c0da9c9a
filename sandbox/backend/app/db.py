"""SQLAlchemy engine, per-request query accounting and slow-SQL logging."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.context import current_request_id, current_stats
from app.logs import get_logger
from app.settings import Settings, get_settings

BACKEND_APP_NAME = "exam_platform_backend"
SCHEDULER_APP_NAME = "exam_platform_scheduler"
# A dead or paused database must cost seconds, not a hung worker.
CONNECT_TIMEOUT_SECONDS = 3
STATEMENT_PREVIEW_CHARS = 200

_log = get_logger()
_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None
_whitespace = re.compile(r"\s+")


def make_engine(settings: Settings, application_name: str) -> Engine:
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
        connect_args={
            # Lets pg_stat_activity be broken down by client (backend vs scheduler).
            "application_name": application_name,
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        },
    )
    _instrument(engine, settings)
    return engine


def _instrument(engine: Engine, settings: Settings) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        # One slot, not a stack: a failed statement never reaches "after", and
        # the next statement simply overwrites its start time.
        conn.info["query_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        started = conn.info.pop("query_started", time.perf_counter())
        duration_ms = (time.perf_counter() - started) * 1000
        stats = current_stats()
        if stats is not None:
            stats.add_query(duration_ms)
        _maybe_log_slow(statement, duration_ms, settings)


def _maybe_log_slow(statement: str, duration_ms: float, settings: Settings) -> None:
    if duration_ms <= settings.slow_sql_warn_ms:
        return
    severity = "error" if duration_ms > settings.slow_sql_error_ms else "warn"
    # The statement text only: bound parameters can hold answers or credentials.
    preview = _whitespace.sub(" ", statement).strip()[:STATEMENT_PREVIEW_CHARS]
    log = _log.error if severity == "error" else _log.warning
    log(
        "slow_sql",
        request_id=current_request_id(),
        duration_ms=round(duration_ms, 1),
        statement=preview,
        severity=severity,
    )


def init_engine(application_name: str = BACKEND_APP_NAME) -> Engine:
    """Create this process's engine once; each uvicorn worker has its own pool."""
    global _engine, _session_factory
    if _engine is None:
        _engine = make_engine(get_settings(), application_name)
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
        yield session
    finally:
        session.close()


def libpq_url(database_url: str) -> str:
    """The DATABASE_URL without SQLAlchemy's "+driver" part, for plain psycopg."""
    url: URL = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
