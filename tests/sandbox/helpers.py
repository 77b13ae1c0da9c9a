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

import psycopg
import pytest
from cryptography import x509

from examday.sandbox.layout import CONTAINERS

API_PREFIX = "/v1"

# Integrity invariants of PLATFORM.md (each returns the violating rows), as far as the tests need them.
ANSWERS_WITHOUT_SESSION = """
    SELECT a.session_id, a.question_id FROM session_answers a
    LEFT JOIN test_sessions s ON s.id = a.session_id WHERE s.id IS NULL"""
SESSIONS_SUBMITTED_TWICE = """
    SELECT session_id, count(*) FROM attempt_events WHERE event_type = 'SESSION_SUBMITTED'
    GROUP BY session_id HAVING count(*) > 1"""
ANSWERS_AFTER_SUBMIT = """
    SELECT a.session_id, a.question_id FROM session_answers a JOIN test_sessions s ON s.id = a.session_id
    WHERE s.submitted_at IS NOT NULL AND a.updated_at > s.submitted_at + interval '2 seconds'"""
TWO_ACTIVE_SESSIONS = """
    SELECT user_id, exam_id FROM test_sessions WHERE status = 'ACTIVE'
    GROUP BY user_id, exam_id HAVING count(*) > 1"""
FINISHED_WITH_MISSING_ANSWERS = """
    SELECT s.id FROM test_sessions s WHERE s.status IN ('SUBMITTED', 'EXPIRED')
    AND (SELECT count(*) FROM session_answers a WHERE a.session_id = s.id) < s.total_questions"""


def rows(conn: psycopg.Connection[Any], sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params).fetchall()


def psql_as_owner(sql: str) -> str:
    """SQL that writes (test setup only), run inside the postgres container as its owner."""
    done = subprocess.run(
        ["docker", "exec", CONTAINERS["postgres"], "psql", "-v", "ON_ERROR_STOP=1", "-qAt",
         "-U", "exam_user", "-d", "exam_platform", "-c", sql],
        capture_output=True, text=True, timeout=30)
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
