"""PostgresExecProbe against a real PostgreSQL 15 container whose port is not published:
the same answers as the TCP probe, read only, bounded, no secret on a command line.

The container (examday_test_pgexec_*) is on the default bridge network without a
published port; the TCP probe reaches it at its bridge address, so both ways in
read the same data. Where that address is not reachable, the comparisons skip.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from psycopg import sql

from tests.probes.exec_target import exec_target
from examday.probes.docker import DockerProbe
from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable
from examday.probes.for_target import docker_probe as guarded_docker_for, postgres_probe
from examday.probes.guard import DependencyDown, Guarded
from examday.probes.postgres import PostgresProbe
from examday.probes.postgres_exec import PostgresExecProbe
from examday.probes.psql_script import StatementRefused, one_statement, render
from tests.fixtures.docker_cli import docker_exec
from tests.fixtures.services import wait_until
from tests.fixtures.recording_docker import RecordingDocker

IMAGE = "examday-sandbox/postgres:local"
STATEMENT_TIMEOUT_MS = 1000

SEED = r"""
SET ROLE exam_user;
CREATE TYPE session_status AS ENUM ('ACTIVE', 'SUBMITTED', 'EXPIRED');
CREATE TABLE system_flags (key varchar(100) PRIMARY KEY, value boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(), updated_by uuid, reason text);
INSERT INTO system_flags VALUES ('EXAM_MODE', true, '2026-11-28 20:13:17.160123+00', NULL, 'mock exam'),
    ('FREEZE_UPDATES', false, '2026-11-28 20:13:17+00', NULL, NULL);
CREATE TABLE test_sessions (id uuid PRIMARY KEY, n serial, status session_status NOT NULL,
    started_at timestamptz NOT NULL, score_pct numeric(5,2));
INSERT INTO test_sessions (id, status, started_at, score_pct)
    SELECT md5(g::text)::uuid, (ARRAY['ACTIVE', 'SUBMITTED', 'EXPIRED'])[1 + g % 3]::session_status,
           timestamptz '2026-11-28 09:00+00' + g * interval '1 minute', CASE WHEN g % 3 = 1 THEN g / 1.5 END
    FROM generate_series(1, 50) g;
CREATE TABLE samples (id int PRIMARY KEY, label text, tiny smallint, big bigint, amount numeric(12,4),
    flag boolean, at timestamptz, day date, doc jsonb, tags text[], raw bytea, span interval,
    status session_status, code varchar(10));
INSERT INTO samples VALUES
    (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (2, '', 0, 0, 0, false, '2026-11-28 09:00:00.5+00', '2026-11-28', '{}', '{}', '\x', '0', 'ACTIVE', ''),
    (3, 'comma, "quote" and ''apostrophe''', -32768, 9223372036854775807, 12345678.1234, true,
        '2026-11-28 23:30+05:30', '1999-12-31', '{"a": [1, "x,y", null], "b": "line\nbreak"}',
        '{"a,b", NULL, "", "q\"uote"}', '\x00ff0a', '1 day 02:03:04.5', 'SUBMITTED', 'x,y'),
    (4, E'line one\nline two\r\nline three\rend', 1, 1, -0.0001, true, NULL, NULL, '[1, 2]',
        '{one}', NULL, '-3 hours', 'EXPIRED', E'a\nb'),
    (5, 'ünïcødé — 試験 🎓', 2, 2, 1, false, NULL, NULL, '"just a string"', NULL, NULL, NULL, NULL, 'ü'),
    (6, E'back\\slash ; semicolon :colon \\N and NULL', 3, 3, 2, NULL, NULL, NULL, 'null', NULL, NULL, NULL,
        NULL, 'NULL'),
    (7, 'examday-null-', 4, 4, 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (8, '  leading and trailing spaces  ', 5, 5, 4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ' ');
ALTER DATABASE exam_platform SET timezone = 'Europe/Berlin';
"""


@dataclass(frozen=True)
class PostgresContainer:
    name: str
    container: Any
    password: str
    address: str | None  # its bridge address; None without one
    started_at: str  # pg_postmaster_start_time() once seeded: a crash restart changes it

    def superuser_sql(self, statement: str) -> str:
        """Setup and checks as the superuser over the local socket: never through the probe."""
        code, output = docker_exec(self.container.name, [
            "psql", "-X", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", "exam_platform", "-qAt", "-c", statement])
        assert code == 0, output
        return output.strip()

    def shell(self, command: str) -> tuple[int, str]:
        return docker_exec(self.container.name, ["sh", "-c", command])


@pytest.fixture(scope="session")
def pg_container(docker_client: Any) -> Iterator[PostgresContainer]:
    try:
        docker_client.images.get(IMAGE)
    except Exception:
        pytest.skip(f"image {IMAGE} is not built here (make demo builds it)")
    name = f"examday_test_pgexec_{uuid.uuid4().hex[:8]}"
    password = f"pg-exec-{uuid.uuid4().hex[:12]}"
    container = docker_client.containers.run(
        IMAGE, name=name, detach=True, labels={"examday.test": "probes"},
        environment={"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": uuid.uuid4().hex,
                     "POSTGRES_DB": "exam_platform"})
    try:
        wait_until(lambda: b"database initialised" in container.logs()
                   and container.exec_run(["pg_isready", "-q"]).exit_code == 0, 90, "PostgreSQL to initialise")
        container.reload()
        address = container.attrs["NetworkSettings"].get("IPAddress") or None
        info = PostgresContainer(name, container, password, address, started_at="")
        info.superuser_sql(f"CREATE ROLE exam_user LOGIN PASSWORD '{password}'")
        info.superuser_sql("ALTER DATABASE exam_platform OWNER TO exam_user")
        info.superuser_sql("ALTER SCHEMA public OWNER TO exam_user")
        info.superuser_sql(SEED)
        # The local socket asks exam_user for its password: the probe must pass it (in the environment).
        code, output = info.shell("sed -i '1i local all exam_user scram-sha-256' \"$PGDATA/pg_hba.conf\"")
        assert code == 0, output
        info.superuser_sql("SELECT pg_reload_conf()")
        yield dataclasses.replace(info, started_at=info.superuser_sql("SELECT pg_postmaster_start_time()"))
    finally:
        container.remove(force=True)


@pytest.fixture(scope="session")
def engine(pg_container: PostgresContainer) -> Iterator[DockerProbe]:
    probe = DockerProbe(timeout=5)
    yield probe
    probe.close()


@pytest.fixture
def recorder(engine: DockerProbe) -> RecordingDocker:
    return RecordingDocker(engine)


def exec_probe(pg: PostgresContainer, docker: Any, **overrides: Any) -> PostgresExecProbe:
    settings: dict[str, Any] = {"dbname": "exam_platform", "user": "exam_user", "password": pg.password,
                                "statement_timeout_ms": STATEMENT_TIMEOUT_MS, "connect_timeout": 2}
    settings.update(overrides)
    return PostgresExecProbe(lambda: docker, pg.name, **settings)


@pytest.fixture
def probe(pg_container: PostgresContainer, recorder: RecordingDocker) -> PostgresExecProbe:
    return exec_probe(pg_container, recorder)


@pytest.fixture(scope="session")
def tcp(pg_container: PostgresContainer) -> Iterator[PostgresProbe]:
    """The TCP probe on the same server, at the container's bridge address (no published port)."""
    address = pg_container.address
    if address is None or not _reachable(address, 5432):
        pytest.skip("the container's bridge address is not reachable from here: no TCP probe to compare with")
    with PostgresProbe(host=address, port=5432, dbname="exam_platform", user="exam_user",
                       password=pg_container.password, statement_timeout_ms=STATEMENT_TIMEOUT_MS,
                       connect_timeout=2) as opened:
        yield opened


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


# -- values -------------------------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")


def test_values_survive_the_round_trip(probe: PostgresExecProbe) -> None:
    result = probe.query("SELECT * FROM samples ORDER BY id")
    assert result.columns == ["id", "label", "tiny", "big", "amount", "flag", "at", "day", "doc", "tags", "raw",
                              "span", "status", "code"]
    rows = {row[0]: row for row in result.rows}
    assert rows[1][1:] == (None,) * 13  # NULL everywhere...
    assert rows[2][1] == "" and rows[2][13] == ""  # ...and the empty string is not NULL
    assert rows[2][2:12] == (0, 0, Decimal("0.0000"), False, datetime(2026, 11, 28, 9, 0, 0, 500000, timezone.utc),
                             date(2026, 11, 28), {}, [], b"", timedelta(0))
    assert rows[2][6].tzinfo == BERLIN  # psycopg's convention: the session's TimeZone
    assert rows[3][1] == "comma, \"quote\" and 'apostrophe'"
    assert rows[3][2:8] == (-32768, 9223372036854775807, Decimal("12345678.1234"), True,
                            datetime(2026, 11, 28, 18, 0, tzinfo=timezone.utc), date(1999, 12, 31))
    assert rows[3][8] == {"a": [1, "x,y", None], "b": "line\nbreak"}
    assert rows[3][9] == ["a,b", None, "", 'q"uote']
    assert rows[3][10:] == (b"\x00\xff\n", timedelta(days=1, hours=2, minutes=3, seconds=4.5), "SUBMITTED", "x,y")
    assert rows[4][1] == "line one\nline two\r\nline three\rend" and rows[4][13] == "a\nb"
    assert rows[4][8] == [1, 2] and rows[4][11] == timedelta(hours=-3)
    assert rows[5][1] == "ünïcødé — 試験 🎓" and rows[5][8] == "just a string"
    assert rows[6][1] == "back\\slash ; semicolon :colon \\N and NULL" and rows[6][13] == "NULL"
    assert rows[6][8] is None  # JSON null: psycopg loads it as None too
    assert rows[7][1] == "examday-null-"
    assert rows[8][1] == "  leading and trailing spaces  " and rows[8][13] == " "


COMPARED: list[tuple[Any, Any, int | None]] = [
    ("SELECT * FROM samples ORDER BY id", None, None),
    ("SELECT * FROM samples ORDER BY id", None, 3),
    ("SELECT * FROM test_sessions ORDER BY n", None, None),
    ("SELECT status, count(*) AS n FROM test_sessions GROUP BY status ORDER BY 1", None, None),
    ("SELECT id FROM test_sessions WHERE false", None, None),
    ("SELECT n FROM test_sessions ORDER BY n", None, 0),
    ("SELECT n FROM test_sessions ORDER BY n", None, 50),
    ("SELECT n FROM test_sessions ORDER BY n", None, 49),
    ("SHOW transaction_read_only", None, 1),
    ("SHOW TimeZone", None, None),
    ("VALUES (1, 'a'), (2, NULL)", None, 1),
    ("(SELECT 1 AS x) UNION ALL (SELECT 2)", None, 1),
    ("WITH s AS (SELECT n FROM test_sessions) SELECT max(n), min(n) FROM s", None, None),
    ('SELECT 1, 2 AS "a,b", 3 AS "two words", 4 AS "new\nline", 5 AS "q""uote", 6 AS x, 7 AS x', None, None),
    ("SELECT 'a'::\"char\", 1.5::real, 2.25::float8, '12:30'::time, '12:30+02'::timetz, '192.168.0.1'::inet,"
     " 'ab'::char(3), 'ab'::varchar(5), '2026-01-01 10:00'::timestamp(3), B'101', '{1,2}'::int[],"
     " ARRAY[timestamptz '2026-01-01 00:00+00'], 1::oid, 'x'::name, '(1,2)'::point, interval '1 day 02:00'"
     " hour to minute, '{\"k\": 1}'::json, 12::numeric(5,2), NULL::int, 'EXPIRED'::session_status,"
     " ARRAY['ACTIVE']::session_status[], ROW(1, 'a')", None, None),
    ("SELECT label FROM samples WHERE label = %s OR label LIKE %s", ("", "%%semicolon%%"), None),
    ("SELECT %s::text AS a, %s::int AS b, %s AS c, %s::text[] AS d", ("it's; \\ :x %s", 7, None, ["a", None]), None),
    ("SELECT count(*) FROM test_sessions WHERE id = ANY(%s::uuid[])",
     ([str(uuid.UUID(bytes=bytes(16))), "c4ca4238-a0b9-2382-0dcc-509a6f75849b"],), None),
    ("""
     WITH baseline(session_id, answers, closed) AS (
         SELECT * FROM unnest(%(ids)s::uuid[], %(answers)s::int[], %(closed)s::bool[])
     )
     SELECT b.session_id, b.answers AS answers_at_freeze, coalesce(s.status::text, 'MISSING') AS status_now
     FROM baseline b LEFT JOIN test_sessions s ON s.id = b.session_id ORDER BY 1 -- the losses query's shape
     """, {"ids": ["c4ca4238-a0b9-2382-0dcc-509a6f75849b", str(uuid.UUID(int=1))], "answers": [3, 0],
           "closed": [True, False]}, 20),
    (sql.SQL("SELECT {col} FROM {table} WHERE {key} = %s").format(
        col=sql.Identifier("value"), table=sql.Identifier("public", "system_flags"), key=sql.Identifier("key")),
     ("EXAM_MODE",), 1),
    ("SELECT $$a ; b$$ AS dollar, E'e\\'s' AS e, 'semi;colon' /* ; */ AS c -- ;\n", None, None),
    ("SELECT 1;", None, None),
    ("SELECT %s AS heredoc", ("before\nEXAMDAY_EOF\n\\echo not a command\n$EXAMDAY_PSQL_SCRIPT",), None),
    ("SELECT (ARRAY[1,2,3])[1:2]", None, None),
]


@pytest.mark.parametrize("statement, params, limit", COMPARED, ids=[f"q{i}" for i in range(len(COMPARED))])
def test_same_answers_as_the_tcp_probe(probe: PostgresExecProbe, tcp: PostgresProbe,
                                       statement: Any, params: Any, limit: int | None) -> None:
    assert probe.query(statement, params, limit=limit) == tcp.query(statement, params, limit=limit)


def test_no_rows_under_a_limit_still_names_the_columns(probe: PostgresExecProbe, tcp: PostgresProbe) -> None:
    """The one known difference: the TCP probe's stream yields no description without a row,
    so it gives no column names there; the exec probe names them (as without a limit)."""
    exec_result = probe.query("SELECT id FROM test_sessions WHERE false", limit=5)
    tcp_result = tcp.query("SELECT id FROM test_sessions WHERE false", limit=5)
    assert exec_result.columns == ["id"]
    assert (exec_result.rows, exec_result.truncated) == (tcp_result.rows, tcp_result.truncated) == ([], False)


def test_every_probe_method_agrees_with_the_tcp_probe(probe: PostgresExecProbe, tcp: PostgresProbe) -> None:
    for name in ("default_transaction_read_only", "statement_timeout", "idle_in_transaction_session_timeout",
                 "TimeZone", "server_encoding", "max_connections"):
        assert probe.setting(name) == tcp.setting(name), name
    assert probe.max_connections() == tcp.max_connections() == 100
    assert probe.superuser_reserved_connections() == tcp.superuser_reserved_connections() == 3
    assert probe.server_version() == tcp.server_version()
    assert probe.server_version().startswith("15.")
    assert probe.database_size("exam_platform") == tcp.database_size("exam_platform")
    for kwargs in ({}, {"key": "FREEZE_UPDATES"}, {"key": "NO_SUCH_FLAG"}, {"table": "no_such_table"},
                   {"table": "public.system_flags"}):
        assert probe.exam_mode_flag(**kwargs) == tcp.exam_mode_flag(**kwargs), kwargs
    assert probe.exam_mode_flag() is True and probe.exam_mode_flag(key="FREEZE_UPDATES") is False
    assert probe.scalar("SELECT max(n) FROM test_sessions") == tcp.scalar("SELECT max(n) FROM test_sessions") == 50
    assert probe.scalar("SELECT 1 WHERE false") is tcp.scalar("SELECT 1 WHERE false") is None
    assert probe.scalar("SELECT current_setting('application_name')") == "examday"
    # Each probe counts the other's session, never its own: the TCP probe's session is open, the exec's is not.
    assert probe.connection_count("exam_platform") == tcp.connection_count("exam_platform") + 1
    groups = probe.connection_breakdown("exam_platform")
    assert sum(group.count for group in groups if group.application_name == "examday") == 2
    assert all(group.usename == "exam_user" for group in groups if group.application_name == "examday")


# -- read only ------------------------------------------------------------------------------------

WRITES = [
    "INSERT INTO test_sessions (id, status, started_at) VALUES (gen_random_uuid(), 'ACTIVE', now())",
    "UPDATE system_flags SET value = false",
    "DELETE FROM samples",
    "CREATE TABLE intruder (id int)",
    "SELECT nextval('test_sessions_n_seq')",
    "SELECT * FROM system_flags FOR UPDATE",
    "WITH gone AS (DELETE FROM samples RETURNING 1) SELECT count(*) FROM gone",
]


@pytest.mark.parametrize("statement", WRITES)
def test_a_write_is_refused(probe: PostgresExecProbe, pg_container: PostgresContainer, statement: str) -> None:
    with pytest.raises(BadResponse) as raised:
        probe.query(statement)
    assert raised.value.dependency == "postgres"
    assert "read-only" in str(raised.value) or "data-modifying" in str(raised.value)
    assert pg_container.superuser_sql("SELECT count(*) FROM test_sessions") == "50"
    assert pg_container.superuser_sql("SELECT count(*) FROM samples") == "8"
    assert pg_container.superuser_sql("SELECT to_regclass('intruder') IS NULL") == "t"


@pytest.mark.parametrize("statement", [
    "SET default_transaction_read_only = off; INSERT INTO system_flags (key, value) VALUES ('X', true)",
    "SET default_transaction_read_only = off; COMMIT; INSERT INTO system_flags (key, value) VALUES ('X', true)",
    "SELECT 1; DROP TABLE samples",
    "SELECT 1 \\! touch /tmp/examday-pwned",
    "SELECT 1 \\gexec",
    "SELECT :USER",
    "SELECT :'DBNAME'",
    "SELECT 'unterminated",
    "  -- nothing but a comment\n",
])
def test_what_psql_must_not_see_is_never_sent(probe: PostgresExecProbe, recorder: RecordingDocker,
                                               pg_container: PostgresContainer, statement: str) -> None:
    with pytest.raises(BadResponse, match="not sent") as raised:
        probe.query(statement)
    assert raised.value.dependency == "postgres"
    assert recorder.calls == []  # refused before any exec
    assert pg_container.shell("test -e /tmp/examday-pwned")[0] != 0
    assert pg_container.superuser_sql("SELECT count(*) FROM system_flags") == "2"


def test_a_session_setting_does_not_outlive_its_call(probe: PostgresExecProbe) -> None:
    """Each call is a fresh session: turning read-only off in one does nothing for the next."""
    probe.query("SET default_transaction_read_only = off")
    assert probe.setting("default_transaction_read_only") == "on"
    assert probe.scalar("SHOW transaction_read_only") == "on"
    with pytest.raises(BadResponse, match="read-only"):
        probe.query("INSERT INTO system_flags (key, value) VALUES ('X', true)")


def test_the_password_travels_in_the_environment_only(probe: PostgresExecProbe, recorder: RecordingDocker,
                                                      pg_container: PostgresContainer) -> None:
    assert probe.scalar("SELECT current_user") == "exam_user"  # the socket asked for the password
    (argv, environment), = recorder.calls
    assert pg_container.password not in " ".join(argv)
    assert "SELECT current_user" not in " ".join(argv)  # the statement is not on a command line either
    assert environment["PGPASSWORD"] == pg_container.password
    assert "default_transaction_read_only=on" in environment["PGOPTIONS"]
    assert f"statement_timeout={STATEMENT_TIMEOUT_MS}" in environment["PGOPTIONS"]
    assert "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY" in environment["EXAMDAY_PSQL_SCRIPT"]


# -- errors ---------------------------------------------------------------------------------------

def test_a_failed_statement_is_psqls_message_naming_postgres(probe: PostgresExecProbe) -> None:
    with pytest.raises(BadResponse, match=r'query `SELECT nosuch FROM samples` failed: column "nosuch" does not '
                                          r"exist\nLINE 1: SELECT nosuch FROM samples") as raised:
        probe.query("SELECT nosuch FROM samples")
    assert raised.value.dependency == "postgres"
    assert probe.scalar("SELECT 2") == 2


def test_a_bad_parameter_is_refused_like_psycopg_refuses_it(probe: PostgresExecProbe) -> None:
    with pytest.raises(BadResponse, match="2 placeholders but 1 parameters"):
        probe.query("SELECT %s, %s", (1,))
    with pytest.raises(BadResponse, match="cannot adapt"):
        probe.query("SELECT %s", ({"a": 1},))


def test_wrong_password_is_unreachable_without_the_password(pg_container: PostgresContainer,
                                                            engine: DockerProbe) -> None:
    wrong = "wrong-pw-4711"
    with pytest.raises(Unreachable, match="password authentication failed") as raised:
        exec_probe(pg_container, engine, password=wrong).scalar("SELECT 1")
    assert raised.value.dependency == "postgres"
    assert wrong not in str(raised.value)


def test_missing_container_is_unreachable_naming_postgres(engine: DockerProbe) -> None:
    probe = PostgresExecProbe(lambda: engine, "examday_test_pgexec_nosuch", dbname="x", user="u")
    with pytest.raises(Unreachable, match="PostgreSQL in examday_test_pgexec_nosuch") as raised:
        probe.scalar("SELECT 1")
    assert raised.value.dependency == "postgres"


# -- bounded ----------------------------------------------------------------------------------------

def test_a_statement_over_the_timeout_is_cancelled(probe: PostgresExecProbe) -> None:
    started = time.monotonic()
    with pytest.raises(ProbeTimeout, match=f"SELECT pg_sleep.*{STATEMENT_TIMEOUT_MS} ms statement timeout") as raised:
        probe.query("SELECT pg_sleep(10)")
    assert time.monotonic() - started < 5
    assert raised.value.dependency == "postgres"
    assert probe.scalar("SELECT 1") == 1


def test_a_paused_container_fails_within_the_bound(probe: PostgresExecProbe,
                                                   pg_container: PostgresContainer) -> None:
    pg_container.container.pause()
    try:
        started = time.monotonic()
        with pytest.raises(ProbeError) as raised:
            probe.scalar("SELECT 1")
        assert time.monotonic() - started < probe.exec_timeout + 5
    finally:
        pg_container.container.unpause()
    assert raised.value.dependency == "postgres"
    assert f"PostgreSQL in {pg_container.name}" in str(raised.value) and "paused" in str(raised.value)
    assert probe.scalar("SELECT 1") == 1


def test_paused_mid_query_costs_one_timeout(probe: PostgresExecProbe, pg_container: PostgresContainer) -> None:
    """Frozen while psql waits: nothing inside runs any more, the client-side deadline ends it."""
    import threading

    pausing = threading.Timer(0.5, pg_container.container.pause)
    pausing.start()
    guarded = Guarded("postgres", lambda: probe)
    try:
        started = time.monotonic()
        with pytest.raises(ProbeTimeout, match=f"PostgreSQL in {pg_container.name} did not answer") as raised:
            guarded.scalar("SELECT pg_sleep(0.9)")
        first = time.monotonic() - started
        assert first < probe.exec_timeout + 5
        assert raised.value.dependency == "postgres"
        started = time.monotonic()
        with pytest.raises(DependencyDown):  # the rest of the run does not wait again
            guarded.scalar("SELECT 1")
        assert time.monotonic() - started < 0.5
    finally:
        pausing.join()
        pg_container.container.unpause()
    assert probe.scalar("SELECT 1") == 1


def test_a_hung_server_times_out_within_the_bound(probe: PostgresExecProbe,
                                                  pg_container: PostgresContainer) -> None:
    """The postmaster stopped: connections are accepted by the kernel and never answered.

    Stopped from the host: inside its PID namespace the container's init ignores SIGSTOP."""
    pg_container.container.reload()
    postmaster = int(pg_container.container.attrs["State"]["Pid"])
    try:
        os.kill(postmaster, signal.SIGSTOP)
    except (PermissionError, ProcessLookupError) as error:
        pytest.skip(f"cannot stop the container's postmaster from here: {error}")
    try:
        started = time.monotonic()
        with pytest.raises(ProbeTimeout, match="did not answer in time") as raised:
            probe.scalar("SELECT 1")
        assert time.monotonic() - started < probe.exec_timeout + 5
    finally:
        os.kill(postmaster, signal.SIGCONT)
    assert raised.value.dependency == "postgres"
    wait_until(lambda: _answers(probe), 15, "PostgreSQL to answer again")


def _answers(probe: PostgresExecProbe) -> bool:
    try:
        return bool(probe.scalar("SELECT 1") == 1)
    except ProbeError:
        return False


# -- the statement scanner and the parameters ---------------------------------------------------

def test_every_statement_examday_sends_passes_the_scanner() -> None:
    from examday.capture.sections import SESSIONS_BY_STATUS_SQL
    from examday.facts.baseline import COUNTS_SQL, MIGRATION_SQL
    from examday.facts.connections import BY_SOURCE
    from examday.facts.invariants import load_invariants
    from examday.facts.losses import LOST_SQL, SESSIONS_SQL
    from examday.facts.reconcile import STORED_SQL

    statements = [SESSIONS_BY_STATUS_SQL, MIGRATION_SQL, BY_SOURCE, LOST_SQL, SESSIONS_SQL, STORED_SQL,
                  *COUNTS_SQL.values(), *(invariant.sql for invariant in load_invariants())]
    assert len(statements) > 15
    for statement in statements:
        assert one_statement(statement).first_word in ("SELECT", "WITH"), statement


@pytest.mark.parametrize("text, body", [
    ("SELECT 1;", "SELECT 1"),
    ("SELECT 1 ; -- trailing comment\n  /* and /* nested */ one */ ", "SELECT 1 "),
    ("SELECT ';' AS a, \"x;y\" FROM t", "SELECT ';' AS a, \"x;y\" FROM t"),
    ("SELECT $tag$ ; $$ ; $tag$, $$;$$", "SELECT $tag$ ; $$ ; $tag$, $$;$$"),
    ("SELECT E'\\'; still a string', 'a''b;'", "SELECT E'\\'; still a string', 'a''b;'"),
    ("SELECT x::int, a[1:2], f(a := 1), foo$bar FROM t", "SELECT x::int, a[1:2], f(a := 1), foo$bar FROM t"),
    ("SELECT 'back\\'", "SELECT 'back\\'"),  # standard_conforming_strings: no escape in ''
])
def test_the_scanner_finds_the_one_statement(text: str, body: str) -> None:
    assert one_statement(text).body == body


@pytest.mark.parametrize("text", [
    "SELECT 1; SELECT 2", "SELECT 'back\\'; DROP TABLE t; --'", "SELECT E'x\\'; DROP TABLE t", "SELECT $$ ; ",
    "SELECT 1 /* unterminated", "SELECT \\x", "SELECT :foo", "SELECT :\"ident\"", "",
])
def test_the_scanner_refuses(text: str) -> None:
    with pytest.raises(StatementRefused):
        one_statement(text)


def test_parameters_are_rendered_as_literals() -> None:
    assert render("SELECT %s, %s, %s, %%", ("it's", None, 3)) == "SELECT 'it''s', NULL, 3, %"
    assert render("SELECT %(a)s, %(a)s", {"a": True}) == "SELECT true, true"
    assert render("SELECT 100%") == "SELECT 100%"  # no parameters: "%" is not special, as in psycopg
    with pytest.raises(StatementRefused, match="cannot be mixed"):
        render("SELECT %s, %(a)s", {"a": 1})
    with pytest.raises(StatementRefused, match="sequence or a mapping"):
        render("SELECT %s", "abc")


# -- configuration and wiring ---------------------------------------------------------------------

def test_docker_exec_through_the_runs_one_docker_client(tmp_path: Path, pg_container: PostgresContainer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMDAY_TEST_PGEXEC_PASSWORD", pg_container.password)
    config = exec_target(tmp_path, f"""
        [docker.containers]
        postgres = "{pg_container.name}"

        [postgres]
        via = "docker_exec"
        password_env = "EXAMDAY_TEST_PGEXEC_PASSWORD"
        statement_timeout_ms = 1500
    """)
    docker = guarded_docker_for(config)
    guarded = postgres_probe(config, docker)
    try:
        assert guarded.exam_mode_flag() is True
        assert guarded.setting("statement_timeout") == "1500ms"
        assert isinstance(guarded.probe, PostgresExecProbe)
        assert guarded.probe._docker() is docker.probe  # the one client, shared
    finally:
        guarded.close()
        docker.close()


def test_no_call_ever_restarted_the_server(pg_container: PostgresContainer) -> None:
    """Last: timeouts, pauses and kills above must never take PostgreSQL down (a killed psql
    orphaned to the postmaster, PID 1, makes it restart as after a crash)."""
    assert pg_container.superuser_sql("SELECT pg_postmaster_start_time()") == pg_container.started_at
