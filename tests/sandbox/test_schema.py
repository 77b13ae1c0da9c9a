"""The data model's traps, as docs/platform.md has them (asserted through docker exec psql)."""

from __future__ import annotations

import pytest

from tests.sandbox.helpers import DockerPsql, rows

pytestmark = pytest.mark.sandbox


def test_comparing_the_status_enum_with_an_unknown_string_is_an_error(db: DockerPsql) -> None:
    done = db.run("SELECT count(*) FROM test_sessions WHERE status = 'FINISHED'")
    assert done.returncode != 0
    assert "invalid input value for enum session_status" in done.stderr


def test_comparing_the_mode_enum_with_an_unknown_string_is_an_error(db: DockerPsql) -> None:
    done = db.run("SELECT count(*) FROM test_sessions WHERE mode = 'exam'")
    assert "invalid input value for enum session_mode" in done.stderr


def test_attempt_events_are_append_only(db: DockerPsql) -> None:
    one = rows(db, "SELECT id FROM attempt_events LIMIT 1")[0][0]
    for sql in (f"DELETE FROM attempt_events WHERE id = '{one}'",
                f"UPDATE attempt_events SET event_type = 'X' WHERE id = '{one}'"):
        done = db.run("BEGIN; " + sql + "; ROLLBACK;", read_only=False)
        assert done.returncode != 0 and "append-only" in done.stderr, (sql, done.stderr)


def test_a_session_with_events_cannot_be_deleted(db: DockerPsql) -> None:
    session = rows(db, "SELECT session_id FROM attempt_events LIMIT 1")[0][0]
    done = db.run(f"BEGIN; DELETE FROM test_sessions WHERE id = '{session}'; ROLLBACK;", read_only=False)
    assert done.returncode != 0 and "append-only" in done.stderr


def test_schema_facts(db: DockerPsql) -> None:
    assert rows(db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'test_sessions' "
                    "AND column_name = 'exam_id'") == [(0,)]
    assert rows(db, "SELECT to_regclass('public.exams') IS NULL") == [("t",)]
    fks = rows(db, "SELECT confrelid::regclass::text FROM pg_constraint WHERE conrelid = "
                   "'session_answers'::regclass AND contype = 'f'")
    assert fks == [("test_sessions",)]  # no foreign key to session_questions
    assert rows(db, "SELECT key, value::text FROM system_flags ORDER BY key") == [
        ("EXAM_MODE", rows(db, "SELECT value::text FROM system_flags WHERE key = 'EXAM_MODE'")[0][0]),
        ("FREEZE_UPDATES", "false")]
    assert rows(db, "SELECT data_type FROM information_schema.columns WHERE table_name = 'users' "
                    "AND column_name = 'role'") == [("character varying",)]
    assert rows(db, "SELECT count(*) FROM alembic_version") == [(1,)]
    # No "one ACTIVE session per user" index.
    assert rows(db, "SELECT count(*) FROM pg_indexes WHERE tablename = 'test_sessions' "
                    "AND indexdef ILIKE '%UNIQUE%' AND indexname <> 'test_sessions_pkey'") == [(0,)]


def test_expired_without_submitted_at_is_allowed_but_submitted_is_not(db: DockerPsql) -> None:
    check = rows(db, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                     "WHERE conname = 'test_sessions_submitted_at_check'")[0][0]
    assert "SUBMITTED" in check and "EXPIRED" not in check
