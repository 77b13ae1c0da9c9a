"""Seed the sandbox: `python -m app.seed --students 200 --password PW --admin-password APW`.

Idempotent: a second run finds everything present, inserts nothing and exits 0.
The data looks like the morning after a mock exam and during the next one:
students 001-060 SUBMITTED, 061-080 EXPIRED, 081-120 ACTIVE with some answers,
121+ without a session (the rehearsal load logs in as them). Every integrity
invariant in PLATFORM.md holds on it, so a failing check means a real fault.
Randomness is deterministic (seeded from 2026) so every sandbox gets the same data.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from app.db import libpq_url
from app.logs import configure_logging
from app.migrate import apply_schema
from app.security import hash_password
from app.settings import SettingsError, get_settings

SEED = 2026
SEED_LOCK_KEY = 7_202_612
OPTIONS_PER_QUESTION = 4
SUBMITTED_UPTO, EXPIRED_UPTO, ACTIVE_UPTO = 60, 80, 120


@dataclass(frozen=True)
class ExamSpec:
    code: str
    title: str
    question_count: int
    duration_minutes: int


EXAMS = (
    ExamSpec("MED-2026-A", "Medicine mock exam A", 40, 90),
    ExamSpec("MED-2026-B", "Medicine mock exam B", 30, 60),
)


@dataclass(frozen=True)
class Question:
    id: uuid.UUID
    position: int
    correct_index: int


@dataclass(frozen=True)
class Exam:
    id: uuid.UUID
    duration_seconds: int
    questions: list[Question]


@dataclass
class Batch:
    """Rows for one COPY per table, gathered before writing."""

    sessions: list[tuple[Any, ...]] = field(default_factory=list)
    session_questions: list[tuple[Any, ...]] = field(default_factory=list)
    answers: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)


def det_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def username(i: int) -> str:
    return f"student{i:03d}"


# --- catalogue -----------------------------------------------------------------


def seed_exams(conn: psycopg.Connection, rng: random.Random) -> tuple[dict[str, Exam], int]:
    inserted = 0
    exams: dict[str, Exam] = {}
    for spec in EXAMS:
        exam_id = det_uuid(rng)
        cur = conn.execute(
            "INSERT INTO exams (id, code, title, duration_seconds, question_count) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (code) DO NOTHING",
            (exam_id, spec.code, spec.title, spec.duration_minutes * 60, spec.question_count),
        )
        inserted += cur.rowcount
        row = conn.execute("SELECT id, duration_seconds FROM exams WHERE code = %s", (spec.code,)).fetchone()
        assert row is not None
        inserted += seed_questions(conn, rng, row[0], spec)
        questions = [
            Question(id=q[0], position=q[1], correct_index=q[2])
            for q in conn.execute(
                "SELECT id, position, correct_index FROM questions WHERE exam_id = %s ORDER BY position", (row[0],)
            )
        ]
        exams[spec.code] = Exam(id=row[0], duration_seconds=row[1], questions=questions)
    return exams, inserted


def seed_questions(conn: psycopg.Connection, rng: random.Random, exam_id: uuid.UUID, spec: ExamSpec) -> int:
    rows = []
    for position in range(1, spec.question_count + 1):
        options = [f"{spec.code} Q{position} option {chr(65 + k)}" for k in range(OPTIONS_PER_QUESTION)]
        prompt = f"{spec.code} question {position}: which option is correct?"
        rows.append((det_uuid(rng), exam_id, position, prompt, Jsonb(options), rng.randrange(OPTIONS_PER_QUESTION)))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO questions (id, exam_id, position, prompt, options, correct_index) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (exam_id, position) DO NOTHING",
            rows,
        )
        # executemany's rowcount is the sum over all rows.
        return max(cur.rowcount, 0)


def seed_users(conn: psycopg.Connection, rng: random.Random, students: int, pw: str, admin_pw: str) -> int:
    wanted = [(username(i), pw, "STUDENT") for i in range(1, students + 1)] + [("admin", admin_pw, "ADMIN")]
    existing = {r[0] for r in conn.execute("SELECT username FROM users")}
    rows = [
        (det_uuid(rng), name, hash_password(password, salt=f"{rng.getrandbits(64):016x}"), role)
        for name, password, role in wanted
        if name not in existing
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO users (id, username, password_hash, role) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (username) DO NOTHING",
            rows,
        )
    return len(rows)


# --- sessions ------------------------------------------------------------------


def planned_status(i: int) -> str | None:
    if i <= SUBMITTED_UPTO:
        return "SUBMITTED"
    if i <= EXPIRED_UPTO:
        return "EXPIRED"
    if i <= ACTIVE_UPTO:
        return "ACTIVE"
    return None


class SessionBuilder:
    """Builds one session's rows with consistent timestamps:
    started_at <= created_at <= answered_at <= updated_at <= submitted_at."""

    def __init__(self, batch: Batch, rng: random.Random, user_id: uuid.UUID, exam: Exam, now: datetime) -> None:
        self.batch, self.rng, self.user_id, self.exam, self.now = batch, rng, user_id, exam, now
        self.session_id = det_uuid(rng)
        self.seq = 0

    def event(self, kind: str, ts: datetime, question_id: uuid.UUID | None, payload: dict[str, Any]) -> None:
        self.seq += 1
        self.batch.events.append((kind, ts, ts, self.seq, self.session_id, self.user_id, question_id, Jsonb(payload)))

    def answer(self, q: Question, ts: datetime, started: datetime, ability: float) -> bool:
        rng = self.rng
        if rng.random() < ability:
            choice = q.correct_index
        else:
            choice = rng.choice([k for k in range(OPTIONS_PER_QUESTION) if k != q.correct_index])
        changes = rng.choice((0, 0, 0, 0, 1, 1, 2))
        marked = rng.random() < 0.05
        created = max(started, ts - timedelta(seconds=20 * changes))
        correct = choice == q.correct_index
        self.batch.answers.append((self.session_id, q.id, choice, correct, ts, changes, marked, created, ts))
        for n in range(changes + 1):
            # The first save at created_at, the last (the kept choice) at answered_at.
            ev_ts = created + (ts - created) * (n / changes if changes else 1)
            self.event("ANSWER_SAVED", ev_ts, q.id, {"selected_index": choice, "marked_for_review": marked})
        return correct

    def fill_unanswered(self, unanswered: list[Question], closed_at: datetime) -> None:
        for q in unanswered:
            self.batch.answers.append((self.session_id, q.id, None, False, None, 0, False, closed_at, closed_at))

    def build(self, status: str) -> None:
        rng, exam = self.rng, self.exam
        duration = timedelta(seconds=exam.duration_seconds)
        if status == "ACTIVE":
            started = self.now - timedelta(minutes=rng.uniform(2, 25))
        else:
            started = self.now - timedelta(days=rng.uniform(1, 3))
        expires = started + duration
        self.event("SESSION_STARTED", started, None, {"mode": "EXAM"})
        for q in exam.questions:
            self.batch.session_questions.append((self.session_id, q.position, q.id))
        correct, submitted_at = self._answers(status, started, expires)
        total = len(exam.questions)
        score = (correct, total, round(100 * correct / total, 2)) if status != "ACTIVE" else (None, None, None)
        if submitted_at is not None:
            kind = "SESSION_SUBMITTED" if status == "SUBMITTED" else "SESSION_EXPIRED"
            self.event(kind, submitted_at, None, {"score_correct": correct, "score_total": total})
        updated = submitted_at or started
        self.batch.sessions.append(
            (
                self.session_id,
                self.user_id,
                exam.id,
                "EXAM",
                status,
                total,
                started,
                submitted_at,
                expires,
                exam.duration_seconds,
                *score,
                False,
                started,
                updated,
            )
        )

    def _answers(self, status: str, started: datetime, expires: datetime) -> tuple[int, datetime | None]:
        rng, questions = self.rng, self.exam.questions
        ability = rng.uniform(0.45, 0.9)
        if status == "SUBMITTED":
            end, answered = started + (expires - started) * rng.uniform(0.4, 0.95), questions
        elif status == "EXPIRED":
            end, answered = expires, questions[: int(len(questions) * rng.uniform(0.3, 0.9))]
        else:
            end, answered = self.now, questions[: rng.randint(0, len(questions) // 2)]
        # Answers spread over the time used, strictly before the end, in order.
        step = (end - started) / (len(questions) + 1)
        correct = sum(self.answer(q, started + step * (n + 1), started, ability) for n, q in enumerate(answered))
        if status == "ACTIVE":
            return correct, None
        submitted_at = end + timedelta(seconds=1) if status == "SUBMITTED" else expires
        self.fill_unanswered(questions[len(answered) :], submitted_at)
        return correct, submitted_at


def seed_sessions(conn: psycopg.Connection, students: int, exams: dict[str, Exam]) -> Batch:
    users: dict[str, uuid.UUID] = dict(conn.execute("SELECT username, id FROM users WHERE role = 'STUDENT'").fetchall())
    with_session = {r[0] for r in conn.execute("SELECT DISTINCT user_id FROM test_sessions")}
    now = datetime.now(timezone.utc)
    batch = Batch()
    exam_list = [exams[spec.code] for spec in EXAMS]
    for i in range(1, min(students, ACTIVE_UPTO) + 1):
        user_id = users.get(username(i))
        status = planned_status(i)
        if user_id is None or status is None or user_id in with_session:
            continue
        # One generator per student: the same student gets the same data whatever else exists.
        rng = random.Random(f"{SEED}:{username(i)}")
        SessionBuilder(batch, rng, user_id, rng.choice(exam_list), now).build(status)
    write_batch(conn, batch)
    return batch


def write_batch(conn: psycopg.Connection, batch: Batch) -> None:
    tables = (
        (
            "test_sessions (id, user_id, exam_id, mode, status, total_questions, started_at, submitted_at, "
            "expires_at, duration_seconds, score_correct, score_total, score_pct, exam_mode_at_start, "
            "created_at, updated_at)",
            batch.sessions,
        ),
        ("session_questions (session_id, position, question_id)", batch.session_questions),
        (
            "session_answers (session_id, question_id, selected_index, is_correct, answered_at, changed_count, "
            "marked_for_review, created_at, updated_at)",
            batch.answers,
        ),
        (
            "attempt_events (event_type, event_ts, client_ts, seq, session_id, user_id, question_id, payload_json)",
            batch.events,
        ),
    )
    with conn.cursor() as cur:
        for target, rows in tables:
            if not rows:
                continue
            with cur.copy(f"COPY {target} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


# --- entry point ---------------------------------------------------------------


def totals(conn: psycopg.Connection) -> dict[str, Any]:
    def count(sql: str) -> int:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0

    by_status: dict[str, int] = dict(
        conn.execute("SELECT status, count(*) FROM test_sessions GROUP BY status ORDER BY status")
    )
    return {
        "users": count("SELECT count(*) FROM users"),
        "exams": count("SELECT count(*) FROM exams"),
        "questions": count("SELECT count(*) FROM questions"),
        "sessions": {k: int(v) for k, v in by_status.items()},
        "answers": count("SELECT count(*) FROM session_answers"),
        "events": count("SELECT count(*) FROM attempt_events"),
    }


def seed(dsn: str, students: int, password: str, admin_password: str) -> dict[str, Any]:
    rng = random.Random(SEED)
    with psycopg.connect(dsn, connect_timeout=5, application_name="exam_platform_seed") as conn:
        # The schema first (idempotent), so seeding works before the backend ever started.
        apply_schema(conn)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SEED_LOCK_KEY,))
            exams, catalogue_rows = seed_exams(conn, rng)
            users = seed_users(conn, rng, students, password, admin_password)
            batch = seed_sessions(conn, students, exams)
        inserted = {
            "catalogue_rows": catalogue_rows,
            "users": users,
            "sessions": len(batch.sessions),
            "answers": len(batch.answers),
            "events": len(batch.events),
        }
        return {"event": "seed.done", "inserted": inserted, "totals": totals(conn)}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.seed", description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200, help="number of student accounts (default 200)")
    parser.add_argument("--password", required=True, help="password of every student account")
    parser.add_argument("--admin-password", required=True, help="password of the 'admin' account")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    summary = seed(libpq_url(settings.database_url), args.students, args.password, args.admin_password)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
