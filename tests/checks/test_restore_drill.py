"""PRE-INF-08: the restore test restores the newest dump into a scratch database, and never into the
target's own (however the DSN spells it) or a database with tables that is not marked as examday's."""

from __future__ import annotations

import os
import subprocess

import pytest

from examday.facts.scratch_database import SCRATCH_MARK
from tests.checks.runner import fails_for, run_checklist, sandbox_config, verdict_of_run
from tests.seen_failing import saw_failing

pytestmark = [pytest.mark.sandbox]
SCRATCH_DB = "examday_restore_scratch"


@pytest.fixture
def scratch_database(sandbox) -> str:
    """A scratch database in the sandbox's PostgreSQL (made by the test, not by examday)."""
    psql = ["docker", "exec", "exam_platform_postgres", "psql", "-U", "exam_user", "-d", "exam_platform", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {SCRATCH_DB}"], check=True, capture_output=True)
    subprocess.run([*psql, f"CREATE DATABASE {SCRATCH_DB}"], check=True, capture_output=True)
    password = sandbox.paths.postgres_password.read_text().strip()
    yield f"postgresql://exam_user:{password}@exam_platform_postgres:5432/{SCRATCH_DB}"
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {SCRATCH_DB}"], capture_output=True)


def _run(tmp_path, dsn: str):
    config = sandbox_config(tmp_path, backup={"restore_test_dsn_env": "EXAMDAY_TEST_SCRATCH_DSN",
                                              "restore_test_dsn_file": None})
    os.environ["EXAMDAY_TEST_SCRATCH_DSN"] = dsn
    try:
        return run_checklist("preexam", tmp_path, "--target", str(config), "-k", "restores_into_a_scratch")
    finally:
        del os.environ["EXAMDAY_TEST_SCRATCH_DSN"]


def _psql(database: str, sql: str) -> str:
    return subprocess.run(["docker", "exec", "exam_platform_postgres", "psql", "-U", "exam_user", "-d", database,
                           "-qAtc", sql], check=True, capture_output=True, text=True).stdout.strip()


def _target_tables() -> str:
    """The platform's tables by oid: a `pg_restore --clean` there would drop and recreate them."""
    return _psql("exam_platform", "SELECT string_agg(relname || '=' || oid, ',' ORDER BY relname) FROM pg_class "
                                  "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")


def test_restore_into_scratch_database_passes_and_marks_it(scratch_database, tmp_path):
    run = _run(tmp_path, scratch_database)
    [result] = run.by_id("PRE-INF-08")
    assert result.outcome == "passed", run.stdout[-2000:]
    assert result.evidence["scratch_tables_before"] == 0
    assert _psql(SCRATCH_DB, f"SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                             f"WHERE datname = '{SCRATCH_DB}'") == SCRATCH_MARK
    again = _run(tmp_path, scratch_database)  # not empty now, but marked as examday's
    assert again.by_id("PRE-INF-08")[0].outcome == "passed", again.stdout[-2000:]


@pytest.mark.parametrize("host", ["exam_platform_postgres", "postgres", "container-ip"])
def test_a_restore_aimed_at_the_targets_own_database_is_refused_and_writes_nothing(sandbox, tmp_path, host):
    """The platform's own database, under its container name, its compose alias or its address."""
    if host == "container-ip":
        host = subprocess.run(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                               "exam_platform_postgres"], check=True, capture_output=True, text=True).stdout.split()[0]
    password = sandbox.paths.postgres_password.read_text().strip()
    before = _target_tables()
    run = _run(tmp_path, f"postgresql://exam_user:{password}@{host}:5432/exam_platform")
    fails_for(run, "PRE-INF-08", "the target's own")
    assert _target_tables() == before
    assert password not in run.stdout


def test_a_scratch_database_with_tables_and_no_mark_is_refused(scratch_database, tmp_path):
    _psql(SCRATCH_DB, "CREATE TABLE someone_elses (id int)")
    run = _run(tmp_path, scratch_database)
    fails_for(run, "PRE-INF-08", "is not marked as examday's")
    assert _psql(SCRATCH_DB, "SELECT count(*) FROM pg_tables WHERE tablename = 'someone_elses'") == "1"


def test_a_failing_restore_fails_without_showing_the_password(scratch_database, tmp_path):
    broken = scratch_database.replace(SCRATCH_DB, "no_such_database")
    run = _run(tmp_path, broken)
    [result] = run.by_id("PRE-INF-08")
    assert result.outcome == "failed"
    saw_failing("PRE-INF-08", result.message, "no_such_database")
    password = broken.split(":")[2].split("@")[0]
    assert password not in run.stdout and password not in result.message
    assert "no_such_database" in result.message


def test_the_sandboxs_own_scratch_database_restores(sandbox, tmp_path):
    run = run_checklist("preexam", tmp_path, "-k", "restores_into_a_scratch")
    [result] = run.by_id("PRE-INF-08")
    assert result.outcome == "passed", run.stdout[-2000:]


def test_without_a_scratch_database_it_is_not_checked_and_the_run_incomplete(sandbox, tmp_path):
    config = sandbox_config(tmp_path, backup={"restore_test_dsn_file": None})
    run = run_checklist("preexam", tmp_path, "--target", str(config), "-k", "restores_into_a_scratch")
    [result] = run.by_id("PRE-INF-08")
    assert result.outcome == "skipped"  # not checked: no scratch database is no reason the target declares
    assert "restore_test_dsn_env or restore_test_dsn_file" in result.message
    assert verdict_of_run(run) == "INCOMPLETE" and run.exit_code == 1
