"""PostgreSQL read through `docker exec ... psql` in its container, for platforms that do not
publish its port (docs/platform.md: the real one does not).

The same guarantees as the TCP probe, another way:
- Read only twice over: `default_transaction_read_only=on` in PGOPTIONS and
  `SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY` first in the script;
  one statement per call, checked before psql sees it (psql_script.py).
- Bounded: `statement_timeout` on the server, `timeout` around psql in the
  container, and a client-side deadline on reading the exec's output (the
  DockerProbe's), so a paused or hung container costs one timeout.
- No secret on a command line: the password travels as PGPASSWORD in the exec's
  environment, the statement as EXAMDAY_PSQL_SCRIPT; errors are scrubbed.

Each call is one exec and one short psql session; the Docker client is the run's
(`docker` returns the run's DockerProbe), never one per call.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from examday.probes.container_exec import exec_for
from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable
from examday.probes.postgres_reads import APPLICATION_NAME, DEPENDENCY, PostgresReads, QueryResult, scrub
from examday.probes.psql_script import (
    OutputUnreadable,
    StatementRefused,
    build_script,
    one_statement,
    parse_output,
    render,
)

# The script arrives through the environment (nothing of it is on a command line) and reaches
# psql's stdin as a here-document. `exec`: psql is the direct child of the DockerProbe's
# `timeout`, which reaps it. Never a pipeline here: when `timeout` kills a pipeline's shell,
# the orphaned psql is re-parented to the container's PID 1, the postmaster in the official
# image, which takes a child it did not start dying of a signal for a crashed backend and
# restarts the whole server (seen here: "server process was terminated by signal 15").
_RUN_PSQL = 'exec psql -X -q -v ON_ERROR_STOP=1 --csv <<EXAMDAY_EOF\n$EXAMDAY_PSQL_SCRIPT\nEXAMDAY_EOF\n'
_ERROR = re.compile(r"^(?:psql:\S*: )?(?:ERROR|FATAL|PANIC):  (?:([0-9A-Z]{5}): )?(.*)$", re.MULTILINE)
_DETAIL = re.compile(r"^(?:DETAIL|HINT|LINE \d+):.*$|^\s*\^\s*$", re.MULTILINE)
_UNREACHABLE_STATES = ("08", "57P", "53300")  # connection failures, shutdown, too many clients

DockerSource = Callable[[], Any]  # returns the run's DockerProbe (or anything with its `exec`)


class PostgresExecProbe(PostgresReads):
    """`PostgresExecProbe(lambda: docker_probe, "exam_platform_postgres", dbname=..., user=...)`."""

    def __init__(
        self,
        docker: DockerSource,
        container: str,
        *,
        dbname: str,
        user: str,
        port: int = 5432,
        password: str | None = None,
        statement_timeout_ms: int = 5000,
        connect_timeout: int = 5,
        idle_in_transaction_timeout_ms: int = 10000,
    ) -> None:
        self._docker = docker
        self.container = container
        self.dbname = dbname
        self.user = user
        self.port = port
        self.statement_timeout_ms = statement_timeout_ms
        self.connect_timeout = connect_timeout
        self.idle_in_transaction_timeout_ms = idle_in_transaction_timeout_ms
        self._password = password

    def close(self) -> None:
        """Nothing to close: each call's psql session ends with its exec; the Docker client is the run's."""

    @property
    def exec_timeout(self) -> float:
        """The bound on one call inside the container (the DockerProbe adds its read margin)."""
        return self.statement_timeout_ms / 1000 + max(2.0, float(self.connect_timeout)) + 1.0

    # queries ------------------------------------------------------------------------------
    def query(self, statement: str | sql.Composable, params: Any = None, limit: int | None = None) -> QueryResult:
        """Rows of one statement; with `limit`, a cursor fetches only limit + 1 rows (SELECT-like statements)."""
        what = _first_words(statement)
        try:
            checked = one_statement(render(statement, params))
        except (StatementRefused, psycopg.Error) as error:
            raise BadResponse(f"query `{what}` not sent: {self._scrub(str(error))}", dependency=DEPENDENCY) from None
        nonce = secrets.token_hex(12)
        exit_code, output = self._exec(build_script(checked, limit, nonce), what)
        if exit_code != 0:
            raise self._failure(exit_code, output, what)
        try:
            return parse_output(output, nonce, limit)
        except (OutputUnreadable, psycopg.Error, ValueError) as error:
            raise BadResponse(f"query `{what}`: psql's output in {self.container} was unreadable ({error})",
                              dependency=DEPENDENCY) from None

    # one exec -----------------------------------------------------------------------------
    def _exec(self, script: str, what: str) -> tuple[int, str]:
        return exec_for(self._docker, self.container, ["sh", "-c", _RUN_PSQL], service="PostgreSQL",
                        dependency=DEPENDENCY, what=f"`{what}`", timeout=self.exec_timeout,
                        environment=self._environment(script), scrub=self._scrub)

    def _environment(self, script: str) -> dict[str, str]:
        options = " ".join([
            "-c default_transaction_read_only=on",
            f"-c statement_timeout={int(self.statement_timeout_ms)}",
            f"-c idle_in_transaction_session_timeout={int(self.idle_in_transaction_timeout_ms)}",
            # What the output parser and the statement scanner rely on, whatever the server's defaults:
            "-c standard_conforming_strings=on -c DateStyle=ISO -c IntervalStyle=postgres",
            # Notices would land in the output between the rows; errors still come through.
            "-c client_min_messages=error",
        ])
        environment = {
            "EXAMDAY_PSQL_SCRIPT": script,
            "PGOPTIONS": options,
            "PGUSER": self.user,
            "PGDATABASE": self.dbname,
            "PGPORT": str(self.port),
            "PGAPPNAME": APPLICATION_NAME,
            "PGCONNECT_TIMEOUT": str(max(2, int(self.connect_timeout))),
            "PGCLIENTENCODING": "UTF8",
        }
        if self._password:
            environment["PGPASSWORD"] = self._password
        return environment

    # psql's failures ------------------------------------------------------------------------
    def _failure(self, exit_code: int, output: str, what: str) -> ProbeError:
        text = self._scrub(output)
        if exit_code in (126, 127) or "psql: not found" in text or "psql: command not found" in text:
            return BadResponse(f"no psql in container {self.container}: examday reads PostgreSQL with it there",
                               dependency=DEPENDENCY)
        error = _ERROR.search(text)
        if exit_code == 2 or "psql: error:" in text:
            message = _connection_message(text)
            if "timeout expired" in message:
                return ProbeTimeout(f"PostgreSQL in {self.container} did not answer in time: {message}",
                                    dependency=DEPENDENCY)
            return Unreachable(f"PostgreSQL unreachable in {self.container}: {message}", dependency=DEPENDENCY)
        if error is None:
            tail = " ".join(text.split())[-300:] or "no output"
            return BadResponse(f"query `{what}`: psql exited with {exit_code} in {self.container}: {tail}",
                               dependency=DEPENDENCY)
        state, message = error.group(1) or "", error.group(2).strip()
        details = [line.rstrip() for line in _DETAIL.findall(text[error.end():])]
        full = "\n".join([message, *details])
        if state == "57014" and "statement timeout" in message:
            return ProbeTimeout(f"query `{what}` exceeded the {self.statement_timeout_ms} ms statement timeout",
                                dependency=DEPENDENCY)
        if state.startswith(_UNREACHABLE_STATES):
            return Unreachable(f"PostgreSQL connection lost during `{what}`: {full}", dependency=DEPENDENCY)
        return BadResponse(f"query `{what}` failed: {full}", dependency=DEPENDENCY)

    def _scrub(self, message: str) -> str:
        return scrub(message, [self._password] if self._password else [])


def _connection_message(text: str) -> str:
    for line in text.splitlines():
        if "psql: error:" in line:
            return " ".join(line.split("psql: error:", 1)[1].split())
    return " ".join(text.split())[-300:]


def _first_words(statement: str | sql.Composable) -> str:
    try:
        text = statement if isinstance(statement, str) else statement.as_string(None)
    except psycopg.Error:
        text = repr(statement)
    return " ".join(text.split()[:4])
