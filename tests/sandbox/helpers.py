"""Small helpers shared by the sandbox integration tests (fixtures live in conftest.py)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from examday.sandbox.layout import CONTAINERS

API_PREFIX = "/v1"

OPERATOR_EMAIL = "operator@exam.localhost"
EMAIL_DOMAIN = "exam.localhost"

# Integrity invariants of docs/platform.md (each returns the violating rows), as far as the tests need them.
ANSWERS_WITHOUT_SESSION = """
    SELECT a.session_id, a.question_id FROM session_answers a
    LEFT JOIN test_sessions s ON s.id = a.session_id WHERE s.id IS NULL"""
SESSIONS_SUBMITTED_TWICE = """
    SELECT session_id, count(*) FROM attempt_events WHERE event_type = 'SESSION_SUBMITTED'
    GROUP BY session_id HAVING count(*) > 1"""
ANSWERS_AFTER_SUBMIT = """
    SELECT a.session_id, a.question_id FROM session_answers a JOIN test_sessions s ON s.id = a.session_id
    WHERE s.submitted_at IS NOT NULL AND a.answered_at > s.submitted_at + interval '2 seconds'"""
# The platform does not refuse a second ACTIVE session: the simulated students must never open one.
TWO_ACTIVE_SESSIONS = (Path(__file__).resolve().parents[2] / "checks" / "sql" / "two_active_sessions.sql").read_text()
FINISHED_WITH_MISSING_ANSWERS = """
    SELECT s.id FROM test_sessions s WHERE s.status IN ('SUBMITTED', 'EXPIRED')
    AND (SELECT count(*) FROM session_answers a WHERE a.session_id = s.id) < s.total_questions"""


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


class DockerPsql:
    """Read-only SQL through `docker exec exam_platform_postgres psql` (PostgreSQL is not
    published to the host, as on the platform). Values come back as text; `rows` turns
    integer-looking cells into ints."""

    def __init__(self, container: str = CONTAINERS["postgres"]) -> None:
        self.container = container

    def run(self, sql: str, read_only: bool = True) -> subprocess.CompletedProcess[str]:
        setup = "SET default_transaction_read_only = on; SET statement_timeout = 10000; " if read_only else ""
        return subprocess.run(
            ["docker", "exec", self.container, "psql", "-X", "-qAt", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
             "-U", "exam_user", "-d", "exam_platform", "-c", setup + sql],
            capture_output=True, text=True, timeout=30)

    def execute(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        if params:
            sql = sql % tuple(_literal(p) for p in params)
        done = self.run(sql)
        assert done.returncode == 0, f"psql failed: {done.stderr.strip()}"
        out = []
        for line in done.stdout.splitlines():
            cells = tuple(int(c) if c.lstrip("-").isdigit() else c for c in line.split("\x1f"))
            out.append(cells)
        return out


def rows(conn: DockerPsql, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params)


def psql_as_owner(sql: str) -> str:
    """SQL that writes (test setup only), run inside the postgres container as its owner."""
    done = DockerPsql().run(sql, read_only=False)
    assert done.returncode == 0, f"psql failed: {done.stderr.strip()}"
    return done.stdout


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    """Poll until condition() is truthy and return it, or fail saying what never happened."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what} did not happen within {timeout:.0f} s (last seen: {last!r})")


def examday_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """The installed `examday` command, run as an operator would (wide, plain output)."""
    command = Path(sys.executable).parent / "examday"
    return subprocess.run([str(command), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})


def certificate_days_left(port: int, server_name: str, ca_bundle: Path) -> float:
    """Days until the certificate the TLS endpoint presents for server_name expires (real handshake)."""
    context = ssl.create_default_context(cafile=str(ca_bundle))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            der = tls.getpeercert(binary_form=True)
    assert der is not None
    certificate = x509.load_der_x509_certificate(der)
    return (certificate.not_valid_after_utc - dt.datetime.now(dt.timezone.utc)).total_seconds() / 86400
