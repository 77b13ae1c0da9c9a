"""PostgresProbe against a real PostgreSQL 15: read only, bounded, no password in errors."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable
from examday.probes.postgres import PostgresProbe
from tests.fixtures.ports import free_port
from tests.fixtures.services import BlackHole, PostgresServer


@pytest.fixture
def probe(postgres_server: PostgresServer) -> Iterator[PostgresProbe]:
    with PostgresProbe(postgres_server.conninfo, statement_timeout_ms=1000, connect_timeout=2) as opened:
        yield opened


def test_query_returns_columns_and_rows(probe: PostgresProbe) -> None:
    result = probe.query("SELECT status, count(*) AS n FROM test_sessions GROUP BY status")
    assert result.columns == ["status", "n"]
    assert result.rows == [("ACTIVE", 50)]
    assert not result.truncated


def test_limit_truncates_and_says_so(probe: PostgresProbe) -> None:
    result = probe.query("SELECT id FROM test_sessions ORDER BY id", limit=10)
    assert [row[0] for row in result.rows] == list(range(1, 11))
    assert result.truncated
    assert not probe.query("SELECT 1", limit=10).truncated
    # The connection is still usable after a stream was cut short.
    assert probe.scalar("SELECT 2") == 2


def test_one_connection_is_reused_and_named_examday(probe: PostgresProbe) -> None:
    first = probe.scalar("SELECT pg_backend_pid()")
    assert probe.scalar("SELECT pg_backend_pid()") == first
    assert probe.scalar("SELECT current_setting('application_name')") == "examday"


def test_session_is_read_only(probe: PostgresProbe) -> None:
    assert probe.setting("default_transaction_read_only") == "on"
    assert probe.scalar("SHOW transaction_read_only") == "on"
    with pytest.raises(BadResponse, match="read-only"):
        probe.query("INSERT INTO test_sessions (status) VALUES ('EXPIRED')")
    with pytest.raises(BadResponse, match="read-only"):
        probe.query("SELECT nextval('test_sessions_id_seq')")
    with pytest.raises(BadResponse, match="read-only"):
        probe.query("CREATE TABLE intruder (id int)")
    assert probe.scalar("SELECT count(*) FROM test_sessions") == 50


def test_statement_timeout_names_the_query(probe: PostgresProbe) -> None:
    with pytest.raises(ProbeTimeout, match="SELECT pg_sleep") as raised:
        probe.query("SELECT pg_sleep(5)")
    assert raised.value.dependency == "postgres"
    assert probe.scalar("SELECT 1") == 1  # the session survives a cancelled statement


def test_timeouts_are_set_on_the_session(probe: PostgresProbe) -> None:
    assert probe.setting("statement_timeout") == "1s"
    assert probe.setting("idle_in_transaction_session_timeout") == "10s"


def test_connection_breakdown_groups_sessions(probe: PostgresProbe, postgres_server: PostgresServer) -> None:
    with PostgresProbe(postgres_server.conninfo) as other:
        other.scalar("SELECT 1")
        groups = probe.connection_breakdown("exam_platform")
        assert probe.connection_count("exam_platform") == 1  # the other one, not the probe itself
    ours = [group for group in groups if group.application_name == "examday"]
    assert sum(group.count for group in ours) == 2
    assert all(group.usename == "exam_user" for group in ours)


def test_server_facts(probe: PostgresProbe) -> None:
    assert probe.max_connections() == 50
    assert probe.superuser_reserved_connections() == 3
    assert probe.server_version().startswith("15.")
    assert probe.database_size("exam_platform") > 1_000_000


def test_exam_mode_flag_reads_the_row(probe: PostgresProbe) -> None:
    assert probe.exam_mode_flag() is True
    assert probe.exam_mode_flag(key="NO_SUCH_FLAG") is None


def test_missing_flag_table_is_none_not_an_error(probe: PostgresProbe) -> None:
    assert probe.exam_mode_flag(table="no_such_table") is None
    assert probe.scalar("SELECT 1") == 1


def test_refused_port_is_unreachable_quickly() -> None:
    probe = PostgresProbe(host="127.0.0.1", port=free_port(), dbname="x", user="u",
                          password="s3cret-refused", connect_timeout=2)
    started = time.monotonic()
    with pytest.raises(Unreachable) as raised:
        probe.scalar("SELECT 1")
    assert time.monotonic() - started < 10
    assert raised.value.dependency == "postgres"
    assert "s3cret-refused" not in str(raised.value)


def test_wrong_password_is_unreachable_without_the_password(postgres_server: PostgresServer) -> None:
    wrong = "wrong-pw-4711"
    probe = PostgresProbe(f"postgresql://exam_user:{wrong}@127.0.0.1:{postgres_server.port}/exam_platform")
    with pytest.raises(Unreachable, match="password authentication failed") as raised:
        probe.scalar("SELECT 1")
    assert wrong not in str(raised.value)


def test_invalid_settings_never_echo_the_password() -> None:
    with pytest.raises(ProbeError) as raised:
        PostgresProbe("host=127.0.0.1 password=hunter2-secret bogus_option=1")
    assert "hunter2-secret" not in str(raised.value)


def test_silent_server_times_out_within_the_bound(tcp_black_hole: BlackHole) -> None:
    probe = PostgresProbe(host=tcp_black_hole.host, port=tcp_black_hole.port, dbname="x", user="u",
                          password="black-hole-pw", connect_timeout=2)
    started = time.monotonic()
    with pytest.raises(ProbeTimeout) as raised:
        probe.scalar("SELECT 1")
    assert time.monotonic() - started < 15
    assert "black-hole-pw" not in str(raised.value)


def test_a_frozen_backend_is_cut_off_by_the_client_side_watchdog(postgres_server: PostgresServer) -> None:
    """A stopped server process enforces no statement_timeout; the probe must not wait forever."""
    probe = PostgresProbe(postgres_server.conninfo, statement_timeout_ms=500, connect_timeout=2)
    backend_pid = probe.scalar("SELECT pg_backend_pid()")
    os.kill(backend_pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(ProbeTimeout, match="stopped answering"):
            probe.scalar("SELECT 1")
        assert time.monotonic() - started < 15
    finally:
        os.kill(backend_pid, signal.SIGCONT)
    assert probe.scalar("SELECT 3") == 3  # a fresh connection replaces the severed one
    probe.close()
