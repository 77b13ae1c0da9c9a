"""What checks ask PostgreSQL, whichever way in: one TCP session (postgres.py) or psql
through `docker exec` (postgres_exec.py).

Both probes implement `query`; everything else is built on it here, so the two
answer alike by construction: same statements, same result types.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from examday.text import parse_flag

DEPENDENCY = "postgres"
APPLICATION_NAME = "examday"


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool  # True when `limit` cut rows off


@dataclass(frozen=True)
class ConnectionGroup:
    """One line of pg_stat_activity grouped; state is None for other roles' sessions
    unless the probe's role may read all stats (pg_read_all_stats or superuser)."""

    application_name: str
    state: str | None
    usename: str | None
    count: int


class PostgresReads(ABC):
    """The read-only questions, on top of one `query` the concrete probe provides."""

    @abstractmethod
    def query(self, statement: str | sql.Composable, params: Any = None, limit: int | None = None) -> QueryResult:
        """Rows of one statement; with `limit`, at most that many rows are fetched."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> PostgresReads:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def scalar(self, statement: str | sql.Composable, params: Any = None) -> Any:
        """The first column of the first row, or None when there is no row."""
        result = self.query(statement, params, limit=1)
        return result.rows[0][0] if result.rows else None

    def connection_breakdown(self, dbname: str) -> list[ConnectionGroup]:
        result = self.query(
            "SELECT coalesce(application_name, ''), state, usename, count(*)"
            " FROM pg_stat_activity WHERE datname = %s"
            " GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3",
            (dbname,),
        )
        return [ConnectionGroup(application_name=app, state=state, usename=user, count=int(count))
                for app, state, user, count in result.rows]

    def connection_count(self, dbname: str, exclude_self: bool = True) -> int:
        """Sessions on a database, leaving out this probe's own."""
        clause = " AND pid <> pg_backend_pid()" if exclude_self else ""
        return int(self.scalar(f"SELECT count(*) FROM pg_stat_activity WHERE datname = %s{clause}", (dbname,)))

    def setting(self, name: str) -> str:
        return str(self.scalar("SELECT current_setting(%s)", (name,)))

    def max_connections(self) -> int:
        return int(self.setting("max_connections"))

    def superuser_reserved_connections(self) -> int:
        return int(self.setting("superuser_reserved_connections"))

    def server_version(self) -> str:
        return self.setting("server_version")

    def database_size(self, dbname: str) -> int:
        return int(self.scalar("SELECT pg_database_size(%s)", (dbname,)))

    def exam_mode_flag(self, table: str = "system_flags", key: str = "EXAM_MODE",
                       key_column: str = "key", value_column: str = "value") -> bool | None:
        """The flag's value; None when the table or the row does not exist (older schemas)."""
        if self.scalar("SELECT to_regclass(%s)::text", (table,)) is None:
            return None
        statement = sql.SQL("SELECT {value} FROM {table} WHERE {key} = %s").format(
            value=sql.Identifier(value_column),
            table=sql.Identifier(*table.split(".")),
            key=sql.Identifier(key_column),
        )
        result = self.query(statement, (key,), limit=1)
        return parse_flag(result.rows[0][0]) if result.rows else None


def scrub(message: str, secrets: list[str]) -> str:
    """Known passwords, `password=` values and URL passwords masked."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    message = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", message, flags=re.IGNORECASE)
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", message)
