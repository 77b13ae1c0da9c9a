"""The restore test's guard: the scratch database must not be the target's, nor someone else's."""

from __future__ import annotations

from examday.facts.scratch_database import (
    SCRATCH_MARK, SEPARATOR, DatabaseIdentity, ScratchReading, parse_scratch_reading, scratch_refusal,
)

TARGET = DatabaseIdentity("exam_platform", "2026-12-02 17:51:03.123456")
DSN = "postgresql://restore_user:s3cret@db:5432/restore_scratch"


def reading(name: str = "restore_scratch", started: str = TARGET.server_started, tables: int = 0,
            comment: str = "") -> ScratchReading:
    return ScratchReading(DatabaseIdentity(name, started), tables, comment)


def test_the_targets_own_database_is_refused_however_it_was_reached():
    refusal = scratch_refusal(TARGET, reading("exam_platform"))
    assert refusal and "the target's own" in refusal and "restore_test_dsn" in refusal


def test_a_database_of_the_same_name_on_another_server_may_be_restored_into():
    assert scratch_refusal(TARGET, reading("exam_platform", started="2026-11-30 08:00:00.000001")) is None


def test_an_empty_database_or_one_marked_as_examdays_may_be_restored_into():
    assert scratch_refusal(TARGET, reading()) is None
    assert scratch_refusal(TARGET, reading(tables=12, comment=SCRATCH_MARK)) is None


def test_a_database_with_tables_and_no_mark_is_refused_saying_how_to_mark_it():
    refusal = scratch_refusal(TARGET, reading(tables=3, comment="reporting copy"))
    assert refusal and "3 table(s)" in refusal and f"COMMENT ON DATABASE restore_scratch IS '{SCRATCH_MARK}'" in refusal


def test_psqls_row_is_read_and_its_error_loses_the_dsn():
    row = SEPARATOR.join(["restore_scratch", TARGET.server_started, "4", SCRATCH_MARK]) + "\n"
    assert parse_scratch_reading(0, row, DSN) == reading(tables=4, comment=SCRATCH_MARK)
    no_comment = SEPARATOR.join(["restore_scratch", TARGET.server_started, "0", ""]) + "\n"  # ends in the separator
    assert parse_scratch_reading(0, no_comment, DSN) == reading()
    failed = parse_scratch_reading(2, f'psql: error: connection to "{DSN}" failed: FATAL: database "x" does not exist',
                                   DSN)
    assert failed.identity is None and "s3cret" not in failed.error and 'database "x" does not exist' in failed.error
    refusal = scratch_refusal(TARGET, failed)
    assert refusal and "cannot be read" in refusal
