"""Seed the sandbox: `python -m app.seed --students 260 --password PW --operator-password OPW`.

Idempotent: a second run finds everything present, inserts nothing and exits 0.
- accounts student001..student260 (student001@exam.localhost ..., STUDENT, verified, one
  password), unverified@exam.localhost (not verified), operator@exam.localhost (ADMIN);
- a question bank: years 1 and 2, blocks A, B, C, 40 questions each, one version each;
- sessions (EXAM, year 1, blocks [A, B], 20 questions, 60 minutes) for students 1..120:
  001-060 SUBMITTED and scored, 061-080 EXPIRED, 081-120 ACTIVE with some answers;
  none for the rest, each range with one user (the platform lets a student open a second ACTIVE
  session, so two users of one account would break an invariant): 121-180 the rehearsal's
  load, 181-199 the simulated students, 200 the canary, 201-260 examday's own sandbox tests.
Every integrity invariant of docs/platform.md holds on it. Deterministic (seeded from 2026).
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
DOMAIN = "exam.localhost"
YEARS, BLOCKS, PER_BLOCK, OPTIONS = (1, 2), ("A", "B", "C"), 40, 5
THEMES, DIFFICULTIES, COGNITIVE = ("cardio", "neuro", "renal", "pulmo"), ("easy", "medium", "hard"), ("recall", "apply")
SESSION_YEAR, SESSION_BLOCKS, SESSION_COUNT, SESSION_SECONDS = 1, ["A", "B"], 20, 3600
SUBMITTED_UPTO, EXPIRED_UPTO, ACTIVE_UPTO = 60, 80, 120


def det_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def student_email(i: int) -> str:
    return f"student{i:03d}@{DOMAIN}"


@dataclass(frozen=True)
class Question:
    id: uuid.UUID
    version_id: uuid.UUID
    snapshot: dict[str, Any]

    @property
    def correct_index(self) -> int:
        return int(self.snapshot["correct_index"])


@dataclass
class Batch:
    sessions: list[tuple[Any, ...]] = field(default_factory=list)
    session_questions: list[tuple[Any, ...]] = field(default_factory=list)
    answers: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)


def seed_questions(conn: psycopg.Connection, rng: random.Random) -> int:
    if conn.execute("SELECT count(*) FROM questions").fetchone()[0]:
        return 0
    questions, versions = [], []
    for year in YEARS:
        for block in BLOCKS:
            for n in range(1, PER_BLOCK + 1):
                qid, vid = det_uuid(rng), det_uuid(rng)
                theme, difficulty, cognitive = rng.choice(THEMES), rng.choice(DIFFICULTIES), rng.choice(COGNITIVE)
                stem = f"Year {year} block {block} question {n}: which option is correct?"
                options = [f"Y{year}{block}{n} option {chr(65 + k)}" for k in range(OPTIONS)]
                correct = rng.randrange(OPTIONS)
                questions.append((qid, year, block, theme, difficulty, cognitive, stem, Jsonb(options), correct))
                snapshot = {"question_id": str(qid), "version": 1, "stem": stem, "options": options,
                            "correct_index": correct, "year": year, "block": block}
                versions.append((vid, qid, 1, Jsonb(snapshot)))
    with conn.cursor() as cur:
        with cur.copy("COPY questions (id, year, block, theme, difficulty, cognitive, stem, options, correct_index) "
                      "FROM STDIN") as copy:
            for row in questions:
                copy.write_row(row)
        with cur.copy("COPY question_versions (id, question_id, version, snapshot_json) FROM STDIN") as copy:
            for row in versions:
                copy.write_row(row)
    return len(questions)


def load_pool(conn: psycopg.Connection) -> list[Question]:
    rows = conn.execute(
        "SELECT q.id, v.id, v.snapshot_json FROM questions q JOIN question_versions v ON v.question_id = q.id "
        "AND v.version = q.current_version WHERE q.year = %s AND q.block = ANY(%s) ORDER BY q.block, q.stem",
        (SESSION_YEAR, SESSION_BLOCKS)).fetchall()
    return [Question(r[0], r[1], r[2]) for r in rows]


def seed_users(conn: psycopg.Connection, rng: random.Random, students: int, pw: str, operator_pw: str) -> int:
    wanted = [(student_email(i), pw, "STUDENT", True, f"Student {i:03d}") for i in range(1, students + 1)]
    wanted += [(f"unverified@{DOMAIN}", pw, "STUDENT", False, "Unverified Student"),
               (f"operator@{DOMAIN}", operator_pw, "ADMIN", True, "Exam Operator")]
    existing = {r[0] for r in conn.execute("SELECT email FROM users")}
    rows = [(det_uuid(rng), email, hash_password(password, salt=f"{rng.getrandbits(64):016x}"), role, verified, name)
            for email, password, role, verified, name in wanted if email not in existing]
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO users (id, email, password_hash, role, email_verified, full_name) "
                        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (email) DO NOTHING", rows)
    return len(rows)


def planned_status(i: int) -> str | None:
    if i <= SUBMITTED_UPTO:
        return "SUBMITTED"
    if i <= EXPIRED_UPTO:
        return "EXPIRED"
    if i <= ACTIVE_UPTO:
        return "ACTIVE"
    return None


class SessionBuilder:
    def __init__(self, batch: Batch, rng: random.Random, user_id: uuid.UUID, pool: list[Question],
                 now: datetime) -> None:
        self.batch, self.rng, self.user_id, self.now = batch, rng, user_id, now
        self.questions = rng.sample(pool, SESSION_COUNT)
        self.session_id = det_uuid(rng)
        self.seq = 0

    def event(self, kind: str, ts: datetime, question_id: uuid.UUID | None, payload: dict[str, Any]) -> None:
        self.seq += 1
        self.batch.events.append((det_uuid(self.rng), kind, ts, ts, self.seq, self.session_id, self.user_id,
                                  question_id, Jsonb(payload), "api"))

    def build(self, status: str) -> None:
        rng = self.rng
        if status == "ACTIVE":
            started = self.now - timedelta(minutes=rng.uniform(2, 25))
        else:
            started = self.now - timedelta(days=rng.uniform(1, 3))
        expires = started + timedelta(seconds=SESSION_SECONDS)
        self.event("SESSION_STARTED", started, None,
                   {"mode": "EXAM", "year": SESSION_YEAR, "blocks": SESSION_BLOCKS, "count": SESSION_COUNT})
        for pos, q in enumerate(self.questions, start=1):
            self.batch.session_questions.append((det_uuid(rng), self.session_id, pos, q.id, q.version_id,
                                                 Jsonb(q.snapshot)))
        ability = rng.uniform(0.45, 0.9)
        if status == "SUBMITTED":
            end, answered = started + (expires - started) * rng.uniform(0.4, 0.95), self.questions
        elif status == "EXPIRED":
            end, answered = expires, self.questions[: int(SESSION_COUNT * rng.uniform(0.3, 0.9))]
        else:
            end, answered = self.now, self.questions[: rng.randint(1, SESSION_COUNT // 2)]
        step = (end - started) / (SESSION_COUNT + 1)
        correct = 0
        for n, q in enumerate(answered):
            ts = started + step * (n + 1)
            choice = q.correct_index if rng.random() < ability else rng.choice(
                [k for k in range(OPTIONS) if k != q.correct_index])
            marked = rng.random() < 0.05
            correct += choice == q.correct_index
            self.batch.answers.append((det_uuid(rng), self.session_id, q.id, choice, choice == q.correct_index, ts,
                                       0, marked))
            self.event("ANSWER_SAVED", ts, q.id, {"selected_index": choice, "marked_for_review": marked})
        score: tuple[Any, ...] = (None, None, None)
        submitted_at = None
        if status != "ACTIVE":
            submitted_at = end + timedelta(seconds=1) if status == "SUBMITTED" else expires
            for q in self.questions[len(answered):]:
                self.batch.answers.append((det_uuid(rng), self.session_id, q.id, None, False, None, 0, False))
            score = (correct, SESSION_COUNT, round(100 * correct / SESSION_COUNT, 2))
            kind = "SESSION_SUBMITTED" if status == "SUBMITTED" else "SESSION_EXPIRED"
            self.event(kind, submitted_at, None, {"score_correct": correct, "score_total": SESSION_COUNT})
        self.batch.sessions.append((self.session_id, self.user_id, "EXAM", status, SESSION_YEAR,
                                    Jsonb(SESSION_BLOCKS), SESSION_COUNT, started, submitted_at, SESSION_SECONDS,
                                    expires, *score, False, False, started, submitted_at or started))


def seed_sessions(conn: psycopg.Connection, students: int) -> Batch:
    users = dict(conn.execute("SELECT email, id FROM users WHERE role = 'STUDENT'").fetchall())
    with_session = {r[0] for r in conn.execute("SELECT DISTINCT user_id FROM test_sessions")}
    pool = load_pool(conn)
    now = datetime.now(timezone.utc)
    batch = Batch()
    for i in range(1, min(students, ACTIVE_UPTO) + 1):
        user_id, status = users.get(student_email(i)), planned_status(i)
        if user_id is None or status is None or user_id in with_session:
            continue
        rng = random.Random(f"{SEED}:student{i:03d}")
        SessionBuilder(batch, rng, user_id, pool, now).build(status)
    tables = (
        ("test_sessions (id, user_id, mode, status, year, blocks_json, total_questions, started_at, submitted_at, "
         "duration_seconds, expires_at, score_correct, score_total, score_pct, exam_mode_at_start, "
         "freeze_updates_at_start, created_at, updated_at)", batch.sessions),
        ("session_questions (id, session_id, position, question_id, question_version_id, snapshot_json)",
         batch.session_questions),
        ("session_answers (id, session_id, question_id, selected_index, is_correct, answered_at, changed_count, "
         "marked_for_review)", batch.answers),
        ("attempt_events (id, event_type, event_ts, client_ts, seq, session_id, user_id, question_id, "
         "payload_json, source)", batch.events),
    )
    with conn.cursor() as cur:
        for target, rows in tables:
            if rows:
                with cur.copy(f"COPY {target} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
    return batch


def totals(conn: psycopg.Connection) -> dict[str, Any]:
    def count(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    return {
        "users": count("SELECT count(*) FROM users"),
        "questions": count("SELECT count(*) FROM questions"),
        "sessions": {k: int(v) for k, v in conn.execute(
            "SELECT status::text, count(*) FROM test_sessions GROUP BY 1 ORDER BY 1")},
        "answers": count("SELECT count(*) FROM session_answers"),
        "events": count("SELECT count(*) FROM attempt_events"),
    }


def seed(dsn: str, students: int, password: str, operator_password: str) -> dict[str, Any]:
    rng = random.Random(SEED)
    with psycopg.connect(dsn, connect_timeout=10, application_name="exam_platform_seed") as conn:
        apply_schema(conn)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SEED_LOCK_KEY,))
            questions = seed_questions(conn, rng)
            users = seed_users(conn, rng, students, password, operator_password)
            batch = seed_sessions(conn, students)
        inserted = {"questions": questions, "users": users, "sessions": len(batch.sessions),
                    "answers": len(batch.answers), "events": len(batch.events)}
        return {"event": "seed.done", "inserted": inserted, "totals": totals(conn)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.seed")
    parser.add_argument("--students", type=int, default=260)
    parser.add_argument("--password", required=True, help="password of every student account")
    parser.add_argument("--operator-password", required=True, help="password of operator@exam.localhost")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    summary = seed(libpq_url(settings.database_url), args.students, args.password, args.operator_password)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
