"""PostgreSQL, read through one read-only, time-bounded psycopg 3 session.

Read only twice over (default_transaction_read_only in the startup options, and
SET SESSION CHARACTERISTICS after connecting). Bounded three ways: connect_timeout,
a server-side statement_timeout, and a client-side watchdog that cuts the socket if
the server stops answering altogether (a frozen server enforces no statement_timeout).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
import psycopg.errors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable
from examday.probes.postgres_reads import (  # noqa: F401  (QueryResult, ConnectionGroup: re-exported)
    APPLICATION_NAME,
    DEPENDENCY,
    ConnectionGroup,
    PostgresReads,
    QueryResult,
    scrub,
)

_T = TypeVar("_T")


class PostgresProbe(PostgresReads):
    """One lazy, reused, read-only connection. Pass a conninfo/URL and/or keyword params."""

    def __init__(
        self,
        conninfo: str = "",
        *,
        statement_timeout_ms: int = 5000,
        connect_timeout: int = 5,
        idle_in_transaction_timeout_ms: int = 10000,
        **params: Any,
    ) -> None:
        self.statement_timeout_ms = statement_timeout_ms
        self.connect_timeout = connect_timeout
        self.idle_in_transaction_timeout_ms = idle_in_transaction_timeout_ms
        self._secrets = _secrets_of(conninfo, params)
        try:
            self._conninfo = make_conninfo(conninfo, **params)
        except psycopg.Error as error:
            raise BadResponse(f"invalid PostgreSQL connection settings: {self._scrub(str(error))}",
                              dependency=DEPENDENCY) from None
        self._conn: psycopg.Connection[Any] | None = None

    # connection ---------------------------------------------------------------------------
    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> psycopg.Connection[Any]:
        existing_options = conninfo_to_dict(self._conninfo).get("options") or ""
        options = " ".join(filter(None, [
            str(existing_options),
            "-c default_transaction_read_only=on",
            f"-c statement_timeout={int(self.statement_timeout_ms)}",
            f"-c idle_in_transaction_session_timeout={int(self.idle_in_transaction_timeout_ms)}",
        ]))
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=self.connect_timeout,
                                   application_name=APPLICATION_NAME, options=options)
        except psycopg.errors.ConnectionTimeout as error:
            raise ProbeTimeout(f"PostgreSQL did not answer within {self.connect_timeout}s: "
                               f"{self._scrub(str(error))}", dependency=DEPENDENCY) from None
        except psycopg.Error as error:
            raise self._connect_failure(error) from None
        try:
            # Also as a session setting: a pooler may drop startup options.
            conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        except psycopg.Error as error:
            conn.close()
            raise BadResponse(f"could not make the session read only: {self._scrub(str(error))}",
                              dependency=DEPENDENCY) from None
        return conn

    def _connect_failure(self, error: psycopg.Error) -> ProbeError:
        message = self._scrub(" ".join(str(error).split()))
        if "timeout expired" in message or "timed out" in message:
            return ProbeTimeout(f"PostgreSQL did not answer in time: {message}", dependency=DEPENDENCY)
        return Unreachable(f"PostgreSQL unreachable: {message}", dependency=DEPENDENCY)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # queries ------------------------------------------------------------------------------
    def query(self, statement: str | sql.Composable, params: Any = None, limit: int | None = None) -> QueryResult:
        """Rows of one statement; with `limit`, rows are streamed and the rest never fetched."""
        def fetch(cursor: psycopg.Cursor[Any]) -> QueryResult:
            if limit is None:
                cursor.execute(statement, params)
                rows = cursor.fetchall() if cursor.description else []
                return QueryResult(columns=_columns(cursor), rows=rows, truncated=False)
            rows = []
            for row in cursor.stream(statement, params):
                if len(rows) == limit:
                    return QueryResult(columns=_columns(cursor), rows=rows, truncated=True)
                rows.append(row)
            return QueryResult(columns=_columns(cursor), rows=rows, truncated=False)

        return self._run(statement, fetch)

    # bounded execution ---------------------------------------------------------------------
    def _run(self, statement: str | sql.Composable, work: Callable[[psycopg.Cursor[Any]], _T]) -> _T:
        conn = self._connection()
        what = _first_words(statement, conn)
        severed = threading.Event()
        watchdog = threading.Timer(self._client_deadline(), _sever, args=(conn, severed))
        watchdog.daemon = True
        watchdog.start()
        try:
            with conn.cursor() as cursor:
                return work(cursor)
        except psycopg.errors.QueryCanceled:
            raise ProbeTimeout(f"query `{what}` exceeded the {self.statement_timeout_ms} ms statement timeout",
                               dependency=DEPENDENCY) from None
        except psycopg.OperationalError as error:
            self._discard(conn)
            if severed.is_set():
                raise ProbeTimeout(f"PostgreSQL stopped answering during `{what}`", dependency=DEPENDENCY) from None
            raise Unreachable(f"PostgreSQL connection lost during `{what}`: {self._scrub(str(error))}",
                              dependency=DEPENDENCY) from None
        except psycopg.Error as error:
            raise BadResponse(f"query `{what}` failed: {self._scrub(str(error).strip())}",
                              dependency=DEPENDENCY) from None
        finally:
            watchdog.cancel()

    def _client_deadline(self) -> float:
        return self.statement_timeout_ms / 1000 + max(2.0, float(self.connect_timeout))

    def _discard(self, conn: psycopg.Connection[Any]) -> None:
        try:
            conn.close()
        finally:
            if self._conn is conn:
                self._conn = None

    def _scrub(self, message: str) -> str:
        return scrub(message, self._secrets)


def _sever(conn: psycopg.Connection[Any], severed: threading.Event) -> None:
    """Shut the connection's socket down so a query stuck on a silent server returns."""
    try:
        duplicate = socket.socket(fileno=os.dup(conn.pgconn.socket))
    except Exception:  # already closed: nothing is waiting on it
        return
    severed.set()
    try:
        duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        duplicate.close()


def _secrets_of(conninfo: str, params: dict[str, Any]) -> list[str]:
    secrets = [str(params["password"])] if params.get("password") else []
    try:
        password = conninfo_to_dict(conninfo).get("password") if conninfo else None
    except psycopg.Error:
        password = None
    if password:
        secrets.append(str(password))
    return secrets


def _columns(cursor: psycopg.Cursor[Any]) -> list[str]:
    return [column.name for column in cursor.description or []]


def _first_words(statement: str | sql.Composable, conn: psycopg.Connection[Any]) -> str:
    text = statement if isinstance(statement, str) else statement.as_string(conn)
    return " ".join(text.split()[:4])
