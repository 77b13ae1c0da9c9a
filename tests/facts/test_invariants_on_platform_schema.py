"""The integrity invariants (checks/sql/) and the loss query, run on the real platform's schema.

tests/fixtures/platform_schema.sql is that schema as docs/platform.md describes it
(enums, uuid ids, the CHECK, cascading foreign keys, the append-only trigger),
loaded into a real PostgreSQL 15 (tests/fixtures/services.py). Every test gets
a fresh copy of one seeded, clean database; violations are written as the
superuser, past the constraints where the platform's own bugs or accidents
would (session_replication_role = replica, disabled triggers), and read back
through examday's own read-only probe as exam_user, as on exam day.

The facts module is used through its module object, not `from ... import`, so
each test fails for its own reason on a version that lacks a part of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from examday.facts import invariants as invariants_fact
from examday.facts import losses as losses_fact
from examday.probes.postgres import PostgresProbe
from tests.fixtures.services import PostgresServer
from tests.seen_failing import saw_failing

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "platform_schema.sql"


def U(n: int) -> str:
    """A readable fixed uuid."""
    return f"00000000-0000-4000-8000-{n:012d}"


ALICE, BOB, CAROL = U(1), U(2), U(3)
SUBMITTED_A = U(101)  # Alice, EXAM, SUBMITTED: 3 questions, 3 answers, scored
EXPIRED_B = U(102)  # Bob, EXAM, EXPIRED: 2 questions, 2 answer rows (one never chosen)
ACTIVE_A_TUTOR = U(103)  # Alice, TUTOR, ACTIVE: 2 questions, 1 answer
ACTIVE_B = U(104)  # Bob, EXAM, ACTIVE: 2 questions, no answer yet
ACTIVE_C_EXAM, ACTIVE_C_TUTOR = U(105), U(106)  # Carol: one ACTIVE per mode, which is allowed


def Q(session: str, position: int) -> str:
    """The question at `position` of a seeded session."""
    return U(1000 + 10 * (int(session[-3:]) - 100) + position)


T0 = "timestamptz '2026-11-28 09:00:00+00'"


def at(minutes: float) -> str:
    return f"{T0} + interval '{minutes} minutes'"


def _session(sid: str, user: str, mode: str, status: str, questions: int, answers: list[tuple[int, int | None]],
             submitted_min: float | None = None, score: tuple[int, int, str] | None = None) -> list[str]:
    """One session with its questions, answer rows (position, selected_index) and events."""
    submitted = at(submitted_min) if submitted_min is not None else "NULL"
    correct, total, pct = score or ("NULL", "NULL", "NULL")
    statements = [
        f"INSERT INTO test_sessions (id, user_id, mode, status, year, blocks_json, total_questions, started_at,"
        f" submitted_at, duration_seconds, expires_at, score_correct, score_total, score_pct)"
        f" VALUES ('{sid}', '{user}', '{mode}', '{status}', 1, '[\"B1\"]', {questions}, {T0}, {submitted},"
        f" 3600, {at(60)}, {correct}, {total}, {pct})",
        f"INSERT INTO attempt_events (session_id, user_id, event_type, event_ts, seq)"
        f" VALUES ('{sid}', '{user}', 'SESSION_CREATED', {T0}, 0)",
    ]
    for position in range(1, questions + 1):
        statements.append(f"INSERT INTO session_questions (session_id, position, question_id)"
                          f" VALUES ('{sid}', {position}, '{Q(sid, position)}')")
    for position, selected in answers:
        chosen = "NULL" if selected is None else str(selected)
        answered = "NULL" if selected is None else at(position)
        statements.append(
            f"INSERT INTO session_answers (session_id, question_id, selected_index, is_correct, answered_at)"
            f" VALUES ('{sid}', '{Q(sid, position)}', {chosen}, {'NULL' if selected is None else 'true'}, {answered})")
        if selected is not None:
            statements.append(f"INSERT INTO attempt_events (session_id, user_id, question_id, event_type, event_ts, seq)"
                              f" VALUES ('{sid}', '{user}', '{Q(sid, position)}', 'ANSWER_SAVED', {answered},"
                              f" {position})")
    if submitted_min is not None:
        statements.append(f"INSERT INTO attempt_events (session_id, user_id, event_type, event_ts, seq)"
                          f" VALUES ('{sid}', '{user}', 'SESSION_SUBMITTED', {submitted}, 99)")
    return statements


SEED = [
    f"INSERT INTO users (id, email, password_hash, role) VALUES ('{ALICE}', 'alice@example.org', 'x', 'STUDENT'),"
    f" ('{BOB}', 'bob@example.org', 'x', 'STUDENT'), ('{CAROL}', 'carol@example.org', 'x', 'STUDENT'),"
    f" ('{U(9)}', 'admin@example.org', 'x', 'ADMIN')",
    "INSERT INTO alembic_version VALUES ('0042_platform_head')",
    f"INSERT INTO system_flags (key, value, updated_by) VALUES ('EXAM_MODE', false, '{U(9)}')",
    # an event tied to no session: legitimate, and no invariant may flag it
    f"INSERT INTO attempt_events (user_id, event_type, event_ts) VALUES ('{ALICE}', 'LOGIN', {T0})",
    *_session(SUBMITTED_A, ALICE, "EXAM", "SUBMITTED", 3, [(1, 0), (2, 3), (3, 1)], 10, (2, 3, "66.67")),
    *_session(EXPIRED_B, BOB, "EXAM", "EXPIRED", 2, [(1, 2), (2, None)], 60, (1, 2, "50.00")),
    *_session(ACTIVE_A_TUTOR, ALICE, "TUTOR", "ACTIVE", 2, [(1, 4)]),
    *_session(ACTIVE_B, BOB, "EXAM", "ACTIVE", 2, []),
    *_session(ACTIVE_C_EXAM, CAROL, "EXAM", "ACTIVE", 1, []),
    *_session(ACTIVE_C_TUTOR, CAROL, "TUTOR", "ACTIVE", 1, [(1, 0)]),
]

EXPECTED_INVARIANTS = {
    "answers_without_session", "sessions_submitted_twice", "closed_sessions_missing_answers",
    "submitted_but_unscored", "question_count_mismatch", "events_without_session",
    "closed_sessions_without_submitted_at", "answers_after_submit", "answers_to_questions_not_in_session",
    "submitted_before_started", "two_active_sessions",
}


# -- the database -------------------------------------------------------------------------------

@dataclass
class Platform:
    admin: psycopg.Connection  # the superuser, for writing violations (never what examday uses)
    probe: PostgresProbe  # examday's read-only session, as exam_user

    def write(self, *statements: str, replica: bool = False) -> None:
        """One transaction; with replica, foreign keys and ordinary triggers do not fire."""
        with self.admin.transaction():
            if replica:
                self.admin.execute("SET LOCAL session_replication_role = replica")
            for statement in statements:
                self.admin.execute(statement)


def _superuser(server: PostgresServer, dbname: str) -> psycopg.Connection:
    return psycopg.connect(host=server.superuser_socket_dir, port=server.port, user="postgres", dbname=dbname,
                           autocommit=True)


@pytest.fixture(scope="module")
def seeded_template(postgres_server: PostgresServer) -> Iterator[str]:
    """A database with the platform's schema and a clean seeded exam, copied for each test."""
    name = f"platform_tpl_{uuid.uuid4().hex[:8]}"
    with _superuser(postgres_server, "postgres") as admin:
        admin.execute(f"CREATE DATABASE {name} OWNER {postgres_server.user}")
    with _superuser(postgres_server, name) as admin:
        with admin.transaction():
            # Owned by exam_user, as on the platform: the probe's role reads its own tables.
            admin.execute(f"SET LOCAL ROLE {postgres_server.user}")
            admin.execute(SCHEMA.read_text(encoding="utf-8"))
            for statement in SEED:
                admin.execute(statement)
    yield name
    with _superuser(postgres_server, "postgres") as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def platform(postgres_server: PostgresServer, seeded_template: str) -> Iterator[Platform]:
    name = f"platform_{uuid.uuid4().hex[:8]}"
    with _superuser(postgres_server, "postgres") as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {seeded_template} OWNER {postgres_server.user}")
    admin = _superuser(postgres_server, name)
    probe = PostgresProbe(host=postgres_server.host, port=postgres_server.port, dbname=name,
                          user=postgres_server.user, password=postgres_server.password)
    try:
        yield Platform(admin, probe)
    finally:
        probe.close()
        admin.close()
        with _superuser(postgres_server, "postgres") as dropper:
            dropper.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def invariant(name: str):
    [found] = [i for i in invariants_fact.load_invariants() if i.name == name]
    return found


def violations(platform: Platform) -> dict[str, list[tuple[str, ...]]]:
    """Every invariant's rows (stringified), keyed by file name; only the ones with rows."""
    found = {}
    for each in invariants_fact.load_invariants():
        rows = platform.probe.query(each.sql).rows
        if rows:
            found[each.name] = sorted(tuple(map(str, row)) for row in rows)
    return found


# -- the invariants: clean, then each one broken on its own ----------------------------------------

def test_every_invariant_of_platform_md_has_its_file():
    assert {i.name for i in invariants_fact.load_invariants()} == EXPECTED_INVARIANTS


def test_a_clean_exam_violates_no_invariant_on_the_real_schema(platform):
    # Each query also has to *run* here: enum comparisons with valid labels only, real columns only.
    assert violations(platform) == {}


# name -> (what breaks it, as superuser; past constraints?; the leading columns of the rows expected)
VIOLATIONS = {
    "answers_without_session": (
        [f"INSERT INTO session_answers (session_id, question_id, selected_index, answered_at)"
         f" VALUES ('{U(999)}', '{U(1001)}', 1, {at(5)})"], True,
        [(U(999), U(1001))]),
    "events_without_session": (
        [f"INSERT INTO attempt_events (id, session_id, event_type) VALUES ('{U(5001)}', '{U(998)}', 'ANSWER_SAVED')"],
        True, [(U(5001), "ANSWER_SAVED", U(998))]),
    "sessions_submitted_twice": (
        [f"INSERT INTO attempt_events (session_id, user_id, event_type, event_ts, seq)"
         f" VALUES ('{SUBMITTED_A}', '{ALICE}', 'SESSION_SUBMITTED', {at(10.01)}, 100)"], False,
        [(SUBMITTED_A, "2")]),
    "closed_sessions_missing_answers": (
        [f"DELETE FROM session_answers WHERE session_id = '{SUBMITTED_A}' AND question_id = '{Q(SUBMITTED_A, 3)}'"],
        False, [(SUBMITTED_A, "SUBMITTED", "3", "2")]),
    "closed_sessions_without_submitted_at": (
        # allowed by the CHECK: it names SUBMITTED only
        [f"UPDATE test_sessions SET submitted_at = NULL WHERE id = '{EXPIRED_B}'"], False,
        [(EXPIRED_B, "EXPIRED")]),
    "submitted_but_unscored": (
        [f"UPDATE test_sessions SET score_total = NULL WHERE id = '{SUBMITTED_A}'"], False,
        [(SUBMITTED_A, "SUBMITTED")]),
    "question_count_mismatch": (
        [f"INSERT INTO session_questions (session_id, position, question_id) VALUES ('{ACTIVE_B}', 3, '{U(1099)}')"],
        False, [(ACTIVE_B, "ACTIVE", "2", "3")]),
    "answers_to_questions_not_in_session": (
        [f"UPDATE session_answers SET question_id = '{U(1098)}' WHERE session_id = '{ACTIVE_A_TUTOR}'"], False,
        [(ACTIVE_A_TUTOR, U(1098))]),
    "answers_after_submit": (
        # question 1 changed within the 2 s grace (a racing request), question 2 ten minutes late
        [f"UPDATE session_answers SET answered_at = {at(10)} + interval '1 second', changed_count = 1"
         f" WHERE session_id = '{SUBMITTED_A}' AND question_id = '{Q(SUBMITTED_A, 1)}'",
         f"UPDATE session_answers SET answered_at = {at(20)}, changed_count = 1"
         f" WHERE session_id = '{SUBMITTED_A}' AND question_id = '{Q(SUBMITTED_A, 2)}'"], False,
        [(SUBMITTED_A, Q(SUBMITTED_A, 2))]),
    "submitted_before_started": (
        # started_at moved past submitted_at (not submitted_at back, which would make the answers late)
        [f"UPDATE test_sessions SET started_at = submitted_at + interval '1 minute' WHERE id = '{EXPIRED_B}'"],
        False, [(EXPIRED_B, "EXPIRED")]),
    "two_active_sessions": (
        [*_session(U(107), BOB, "EXAM", "ACTIVE", 1, [])], False,
        [(BOB, "EXAM", "2", f"{ACTIVE_B}, {U(107)}")]),
}


def test_each_invariant_has_a_violation_case():
    assert set(VIOLATIONS) == EXPECTED_INVARIANTS


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_a_violation_gives_exactly_its_rows_and_fires_no_other_invariant(platform, name):
    statements, past_constraints, expected = VIOLATIONS[name]
    platform.write(*statements, replica=past_constraints)
    found = violations(platform)
    assert set(found) == {name}, f"{name}: other invariants fired too: {found}"
    width = len(expected[0])
    assert [row[:width] for row in found[name]] == sorted(expected)
    saw_failing(f"invariant:{name}", str(found[name]), str(expected[0][0]))  # the row it names


def test_the_check_constraint_refuses_submitted_without_submitted_at_but_not_expired(platform):
    # The schema fixture's fidelity: what the closed_sessions_without_submitted_at header claims.
    with pytest.raises(psycopg.errors.CheckViolation):
        platform.write(f"UPDATE test_sessions SET submitted_at = NULL WHERE id = '{SUBMITTED_A}'")
    platform.write(f"UPDATE test_sessions SET submitted_at = NULL WHERE id = '{EXPIRED_B}'")


def test_an_enum_compared_with_a_string_not_among_its_labels_is_an_error(platform):
    # Why the loss query casts to text: docs/platform.md's trap, reproduced on the fixture.
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        platform.write("SELECT count(*) FROM test_sessions WHERE status = 'MISSING'")


# -- guaranteed-by: what the schema makes impossible, shown both ways ------------------------------

def test_every_header_names_constraints_the_platform_schema_has(platform):
    for each in invariants_fact.load_invariants():
        guarantees = invariants_fact.guarantees_on(platform.probe, each)
        assert all(f.enforced for f in guarantees.findings), (each.name, guarantees.as_evidence())


def test_guaranteed_by_header_per_invariant():
    named = {i.name: [str(g) for g in i.guarantees] for i in invariants_fact.load_invariants()}
    assert named == {
        "answers_without_session": ["foreign key session_answers.session_id -> test_sessions",
                                    "not null session_answers.session_id"],
        "events_without_session": ["foreign key attempt_events.session_id -> test_sessions"],
        "closed_sessions_without_submitted_at": [
            "check test_sessions status <> 'SUBMITTED' OR submitted_at IS NOT NULL"],
        **{name: [] for name in EXPECTED_INVARIANTS - {
            "answers_without_session", "events_without_session", "closed_sessions_without_submitted_at"}},
    }
    # The CHECK covers SUBMITTED only: the header must say the EXPIRED part is left to the query.
    assert "EXPIRED" in (invariant("closed_sessions_without_submitted_at").not_covered or "")


def test_a_present_foreign_key_is_named_and_its_bypass_still_fails_the_invariant(platform):
    orphans = invariant("answers_without_session")
    guarantees = invariants_fact.guarantees_on(platform.probe, orphans)
    assert guarantees.enforced
    assert guarantees.as_evidence() == [
        "guaranteed by constraint session_answers_session_id_fkey "
        "(FOREIGN KEY (session_id) REFERENCES test_sessions(id) ON DELETE CASCADE)",
        "guaranteed by session_answers.session_id NOT NULL",
    ]
    # The sandbox's orphan-answers fault, on the real schema: the constraint is there, the rows too.
    platform.write(*VIOLATIONS["answers_without_session"][0], replica=True)
    assert platform.probe.query(orphans.sql).rows
    assert "found despite session_answers_session_id_fkey" in guarantees.on_violation()


def test_a_dropped_foreign_key_is_reported_as_drift_and_the_rows_decide(platform):
    orphans = invariant("answers_without_session")
    platform.write("ALTER TABLE session_answers DROP CONSTRAINT session_answers_session_id_fkey")
    guarantees = invariants_fact.guarantees_on(platform.probe, orphans)
    assert not guarantees.enforced
    [fk, not_null] = guarantees.as_evidence()
    assert fk == ("the schema has drifted: the target has no constraint matching "
                  "`foreign key session_answers.session_id -> test_sessions`, which this check expects; "
                  "the query's rows decide")
    assert not_null == "guaranteed by session_answers.session_id NOT NULL"
    assert platform.probe.query(orphans.sql).rows == []  # no rows: it passes, drift or not
    platform.write(f"INSERT INTO session_answers (session_id, question_id) VALUES ('{U(997)}', '{U(1001)}')")
    assert platform.probe.query(orphans.sql).rows
    assert "the schema has drifted" in guarantees.on_violation()


def test_a_foreign_key_with_disabled_triggers_or_not_valid_is_not_a_guarantee(platform):
    events = invariant("events_without_session")
    platform.write("ALTER TABLE attempt_events DISABLE TRIGGER ALL")
    [finding] = invariants_fact.guarantees_on(platform.probe, events).findings
    assert not finding.enforced and "enforcement triggers are disabled" in finding.message
    platform.write("ALTER TABLE attempt_events ENABLE TRIGGER ALL",
                   "ALTER TABLE attempt_events DROP CONSTRAINT attempt_events_session_id_fkey",
                   "ALTER TABLE attempt_events ADD CONSTRAINT attempt_events_session_fk FOREIGN KEY (session_id)"
                   " REFERENCES test_sessions (id) ON DELETE CASCADE NOT VALID")
    [finding] = invariants_fact.guarantees_on(platform.probe, events).findings
    assert not finding.enforced and finding.constraint == "attempt_events_session_fk"
    assert "is NOT VALID" in finding.message


def test_the_check_is_a_partial_guarantee_both_ways(platform):
    closed = invariant("closed_sessions_without_submitted_at")
    guarantees = invariants_fact.guarantees_on(platform.probe, closed)
    assert guarantees.as_evidence() == [
        "guaranteed by constraint ck_test_sessions_submitted_has_time "
        "(CHECK (((status <> 'SUBMITTED'::session_status) OR (submitted_at IS NOT NULL))))",
        "not covered by those: EXPIRED sessions without submitted_at (the CHECK names SUBMITTED only)",
    ]
    # EXPIRED is not covered: rows despite the constraint are no bypass, and not called one.
    platform.write(*VIOLATIONS["closed_sessions_without_submitted_at"][0])
    assert platform.probe.query(closed.sql).rows
    assert "despite" not in guarantees.on_violation()

    platform.write("ALTER TABLE test_sessions DROP CONSTRAINT ck_test_sessions_submitted_has_time",
                   f"UPDATE test_sessions SET submitted_at = NULL WHERE id = '{SUBMITTED_A}'")
    dropped = invariants_fact.guarantees_on(platform.probe, closed)
    assert dropped.as_evidence()[0].startswith("the schema has drifted: the target has no constraint matching "
                                               "`check test_sessions status <> 'SUBMITTED'")
    rows = sorted(tuple(map(str, r)) for r in platform.probe.query(closed.sql).rows)
    assert rows == [(SUBMITTED_A, "SUBMITTED"), (EXPIRED_B, "EXPIRED")]


def test_an_invariant_without_guarantees_reads_no_catalog_and_says_so(platform):
    guarantees = invariants_fact.guarantees_on(platform.probe, invariant("two_active_sessions"))
    assert guarantees.as_evidence() == ["no constraint guarantees this: only the query does"]
    assert guarantees.on_violation() == ""


def test_check_expressions_match_as_postgresql_prints_them_back():
    normalized = invariants_fact.normalized_expression
    header = "status <> 'SUBMITTED' OR submitted_at IS NOT NULL"
    assert normalized(header) == normalized(
        "CHECK (((status <> 'SUBMITTED'::session_status) OR (submitted_at IS NOT NULL)))")
    assert normalized(header) == normalized("CHECK ((status)::text <> 'SUBMITTED'::character varying OR "
                                            "submitted_at IS NOT NULL) NOT VALID")
    assert normalized(header) != normalized("CHECK (status <> 'submitted' OR submitted_at IS NOT NULL)")
    assert normalized(header) != normalized("CHECK (status <> 'EXPIRED' OR submitted_at IS NOT NULL)")


def test_an_unreadable_header_stops_the_run_naming_the_file_and_line(tmp_path):
    (tmp_path / "bad.sql").write_text("-- Something forbidden.\n-- guaranteed-by: unique index on x\nSELECT 1\n")
    with pytest.raises(invariants_fact.InvariantFileError, match=r"bad.sql line 2: guaranteed-by `unique index"):
        invariants_fact.load_invariants(tmp_path)


# -- POST-INT-02: nothing lost since the freeze --------------------------------------------------

def lost_since(platform: Platform, baseline) -> list:
    return list(losses_fact.sessions_that_lost_rows(platform.probe, baseline.answers, baseline.closed, 20).sessions)


def test_nothing_changed_since_the_freeze_names_no_session(platform):
    baseline = losses_fact.snapshot_sessions(platform.probe)
    assert baseline.closed == sorted([SUBMITTED_A, EXPIRED_B])
    assert baseline.answers[SUBMITTED_A] == 3 and baseline.answers[ACTIVE_B] == 0
    assert lost_since(platform, baseline) == []


def test_a_lost_answer_of_an_open_session_is_named_and_no_invariant_sees_it(platform):
    baseline = losses_fact.snapshot_sessions(platform.probe)
    platform.write(f"DELETE FROM session_answers WHERE session_id = '{ACTIVE_A_TUTOR}'")
    [lost] = lost_since(platform, baseline)
    assert lost == losses_fact.LostSession(ACTIVE_A_TUTOR, 1, 0, False, "ACTIVE")
    assert lost.describe() == f"{ACTIVE_A_TUTOR}: 0 answer rows now, 1 at the freeze"
    assert violations(platform) == {}  # only the baseline knows it was there


def test_a_session_with_events_cannot_be_deleted_by_the_platform(platform):
    # The append-only trigger: a cascade to attempt_events is a delete too.
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        platform.write(f"DELETE FROM test_sessions WHERE id = '{SUBMITTED_A}'")


def test_a_deleted_session_is_named_as_gone(platform):
    baseline = losses_fact.snapshot_sessions(platform.probe)
    # Past the append-only trigger, as only an operator or a restore could.
    platform.write("ALTER TABLE attempt_events DISABLE TRIGGER trg_attempt_events_append_only",
                   f"DELETE FROM test_sessions WHERE id = '{SUBMITTED_A}'",
                   "ALTER TABLE attempt_events ENABLE TRIGGER trg_attempt_events_append_only")
    [lost] = lost_since(platform, baseline)
    assert lost == losses_fact.LostSession(SUBMITTED_A, 3, 0, True, "MISSING")
    assert lost.describe() == f"{SUBMITTED_A}: session row gone, 0 answer rows now, 3 at the freeze"


def test_a_session_deleted_past_its_foreign_keys_shows_the_answers_left_behind(platform):
    baseline = losses_fact.snapshot_sessions(platform.probe)
    platform.write(f"DELETE FROM test_sessions WHERE id = '{EXPIRED_B}'", replica=True)
    [lost] = lost_since(platform, baseline)
    assert lost == losses_fact.LostSession(EXPIRED_B, 2, 2, True, "MISSING")
    assert set(violations(platform)) == {"answers_without_session", "events_without_session"}


def test_a_session_no_longer_submitted_is_named(platform):
    baseline = losses_fact.snapshot_sessions(platform.probe)
    platform.write(f"UPDATE test_sessions SET status = 'ACTIVE' WHERE id = '{SUBMITTED_A}'")
    [lost] = lost_since(platform, baseline)
    assert lost == losses_fact.LostSession(SUBMITTED_A, 3, 3, True, "ACTIVE")
    assert lost.describe() == f"{SUBMITTED_A}: closed at the freeze, now ACTIVE"


def test_every_kind_of_loss_at_once_names_every_session(platform):
    baseline = losses_fact.snapshot_sessions(platform.probe)
    platform.write(f"DELETE FROM session_answers WHERE session_id = '{ACTIVE_C_TUTOR}'",
                   f"UPDATE test_sessions SET status = 'ACTIVE' WHERE id = '{SUBMITTED_A}'",
                   "ALTER TABLE attempt_events DISABLE TRIGGER trg_attempt_events_append_only",
                   f"DELETE FROM test_sessions WHERE id = '{EXPIRED_B}'",
                   "ALTER TABLE attempt_events ENABLE TRIGGER trg_attempt_events_append_only")
    result = losses_fact.sessions_that_lost_rows(platform.probe, baseline.answers, baseline.closed, 20)
    assert [(s.session_id, s.status_now) for s in result.sessions] == [
        (SUBMITTED_A, "ACTIVE"), (EXPIRED_B, "MISSING"), (ACTIVE_C_TUTOR, "ACTIVE")]
    assert result.columns == ["session_id", "answers_at_freeze", "answers_now", "at_freeze", "status_now"]
    assert not result.truncated


def test_a_new_session_since_the_freeze_is_no_loss(platform):
    baseline = losses_fact.snapshot_sessions(platform.probe)
    platform.write(*_session(U(108), CAROL, "EXAM", "SUBMITTED", 1, [(1, 2)], 5, (1, 1, "100.00")))
    assert lost_since(platform, baseline) == []
