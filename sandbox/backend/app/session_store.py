"""Test-session persistence: create/resume, answer, submit, expire.

The rules that keep "no answers lost" true live here:
- at most one ACTIVE session per user and exam (partial unique index + ON CONFLICT);
- an answer holds a SHARE lock on its session row, a submit an UPDATE lock, so
  no answer can land after the submit that closed the session;
- finishing a session (submit or expiry) fills unanswered questions with NULL
  rows, scores it and writes exactly one closing event, under the row lock.
All timestamps come from PostgreSQL so they are comparable with each other.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from app.exam_mode import effective_exam_mode

FINISHED = ("SUBMITTED", "EXPIRED")
CLOSING_EVENT = {"SUBMITTED": "SESSION_SUBMITTED", "EXPIRED": "SESSION_EXPIRED"}


class SessionError(Exception):
    """Base for outcomes the API turns into 4xx answers."""


class NotFound(SessionError):
    pass


class Conflict(SessionError):
    pass


class Invalid(SessionError):
    pass


def record_event(
    db: Session,
    event_type: str,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    question_id: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
    client_ts: Any = None,
) -> None:
    # seq numbers a session's events in order; computed in the same statement.
    db.execute(
        text(
            "INSERT INTO attempt_events (event_type, event_ts, client_ts, seq, session_id, user_id, question_id, "
            "payload_json) SELECT :type, clock_timestamp(), :client_ts, coalesce(max(seq), 0) + 1, :sid, :uid, :qid, "
            "CAST(:payload AS jsonb) FROM attempt_events WHERE session_id = :sid"
        ),
        {
            "type": event_type,
            "client_ts": client_ts,
            "sid": session_id,
            "uid": user_id,
            "qid": question_id,
            "payload": json.dumps(payload or {}),
        },
    )


def _active_session(db: Session, user_id: uuid.UUID, exam_id: uuid.UUID) -> Row[Any] | None:
    return db.execute(
        text(
            "SELECT *, expires_at <= now() AS is_expired FROM test_sessions "
            "WHERE user_id = :uid AND exam_id = :eid AND status = 'ACTIVE'"
        ),
        {"uid": user_id, "eid": exam_id},
    ).first()


def _insert_session(db: Session, user_id: uuid.UUID, exam_id: uuid.UUID, mode: str) -> Row[Any] | None:
    exam_mode = effective_exam_mode(db).enabled
    return db.execute(
        text(
            "INSERT INTO test_sessions (user_id, exam_id, mode, status, total_questions, started_at, expires_at, "
            "duration_seconds, exam_mode_at_start) "
            "SELECT :uid, e.id, :mode, 'ACTIVE', (SELECT count(*) FROM questions q WHERE q.exam_id = e.id), "
            "now(), now() + make_interval(secs => e.duration_seconds), e.duration_seconds, :exam_mode "
            "FROM exams e WHERE e.id = :eid "
            "ON CONFLICT (user_id, exam_id) WHERE status = 'ACTIVE' DO NOTHING RETURNING *"
        ),
        {"uid": user_id, "eid": exam_id, "mode": mode, "exam_mode": exam_mode},
    ).first()


def create_or_resume(db: Session, user_id: uuid.UUID, exam_id: uuid.UUID, mode: str) -> tuple[Row[Any], bool]:
    """Return (session, created). An unexpired ACTIVE session is resumed, never doubled."""
    if db.execute(text("SELECT 1 FROM exams WHERE id = :eid"), {"eid": exam_id}).first() is None:
        raise NotFound("exam not found")
    existing = _active_session(db, user_id, exam_id)
    if existing is not None and not existing.is_expired:
        db.rollback()
        return existing, False
    if existing is not None:
        expire(db, existing.id, user_id)
    created = _insert_session(db, user_id, exam_id, mode)
    if created is None:
        # Lost a race with a concurrent create: the other request's session is the one.
        db.rollback()
        winner = _active_session(db, user_id, exam_id)
        if winner is None:
            raise Conflict("session creation raced; retry")
        db.rollback()
        return winner, False
    db.execute(
        text(
            "INSERT INTO session_questions (session_id, position, question_id) "
            "SELECT :sid, q.position, q.id FROM questions q WHERE q.exam_id = :eid"
        ),
        {"sid": created.id, "eid": exam_id},
    )
    record_event(db, "SESSION_STARTED", created.id, user_id, payload={"mode": mode})
    db.commit()
    return created, True


def get_owned(db: Session, session_id: uuid.UUID, user_id: uuid.UUID) -> Row[Any]:
    row = db.execute(
        text(
            "SELECT *, CASE WHEN status = 'ACTIVE' "
            "THEN greatest(0, ceil(extract(epoch FROM expires_at - now())))::int ELSE 0 END AS remaining_seconds "
            "FROM test_sessions WHERE id = :sid AND user_id = :uid"
        ),
        {"sid": session_id, "uid": user_id},
    ).first()
    if row is None:
        raise NotFound("session not found")
    return row


def get_state(db: Session, session_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
    session = get_owned(db, session_id, user_id)
    questions = db.execute(
        text(
            "SELECT sq.position, q.id AS question_id, q.prompt, q.options FROM session_questions sq "
            "JOIN questions q ON q.id = sq.question_id WHERE sq.session_id = :sid ORDER BY sq.position"
        ),
        {"sid": session_id},
    ).all()
    answers = db.execute(
        text("SELECT * FROM session_answers WHERE session_id = :sid ORDER BY created_at, question_id"),
        {"sid": session_id},
    ).all()
    db.rollback()
    return {"session": session, "questions": questions, "answers": answers}


def _lock_for_answer(db: Session, session_id: uuid.UUID, user_id: uuid.UUID, question_id: uuid.UUID) -> Row[Any]:
    # SHARE lock: answers of one session may run side by side, a submit waits for them.
    row = db.execute(
        text(
            "SELECT s.status, s.expires_at <= now() AS is_expired, q.correct_index, "
            "jsonb_array_length(q.options) AS option_count, sq.question_id IS NOT NULL AS in_session "
            "FROM test_sessions s "
            "LEFT JOIN session_questions sq ON sq.session_id = s.id AND sq.question_id = :qid "
            "LEFT JOIN questions q ON q.id = sq.question_id "
            "WHERE s.id = :sid AND s.user_id = :uid FOR SHARE OF s"
        ),
        {"sid": session_id, "uid": user_id, "qid": question_id},
    ).first()
    if row is None:
        raise NotFound("session not found")
    return row


_UPSERT_ANSWER = text(
    "INSERT INTO session_answers AS a (session_id, question_id, selected_index, is_correct, answered_at, "
    "changed_count, marked_for_review, created_at, updated_at) "
    "VALUES (:sid, :qid, :sel, :correct, now(), 0, coalesce(:mark, false), now(), now()) "
    "ON CONFLICT (session_id, question_id) DO UPDATE SET "
    "selected_index = EXCLUDED.selected_index, "
    "is_correct = EXCLUDED.is_correct, "
    # Only a different choice counts as a change, so a retried request is harmless.
    "changed_count = a.changed_count + CASE WHEN a.selected_index IS DISTINCT FROM EXCLUDED.selected_index "
    "THEN 1 ELSE 0 END, "
    "marked_for_review = coalesce(:mark, a.marked_for_review), "
    "answered_at = CASE WHEN a.selected_index IS DISTINCT FROM EXCLUDED.selected_index THEN now() "
    "ELSE a.answered_at END, "
    "updated_at = CASE WHEN a.selected_index IS DISTINCT FROM EXCLUDED.selected_index "
    "OR a.marked_for_review IS DISTINCT FROM coalesce(:mark, a.marked_for_review) THEN now() ELSE a.updated_at END "
    "RETURNING a.*"
)


def save_answer(
    db: Session,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    question_id: uuid.UUID,
    selected_index: int | None,
    marked_for_review: bool | None,
    client_ts: Any,
) -> Row[Any]:
    lock = _lock_for_answer(db, session_id, user_id, question_id)
    if lock.status != "ACTIVE":
        db.rollback()
        raise Conflict(f"session is {lock.status}")
    if lock.is_expired:
        # Upgrading the SHARE lock in place could deadlock with a sibling answer: start over.
        db.rollback()
        expire(db, session_id, user_id)
        raise Conflict("session expired")
    if not lock.in_session:
        db.rollback()
        raise Invalid("question is not part of this session")
    if selected_index is not None and not 0 <= selected_index < lock.option_count:
        db.rollback()
        raise Invalid(f"selected_index must be between 0 and {lock.option_count - 1}")
    saved = db.execute(
        _UPSERT_ANSWER,
        {
            "sid": session_id,
            "qid": question_id,
            "sel": selected_index,
            "correct": selected_index is not None and selected_index == lock.correct_index,
            "mark": marked_for_review,
        },
    ).one()
    payload = {"selected_index": selected_index, "marked_for_review": saved.marked_for_review}
    record_event(db, "ANSWER_SAVED", session_id, user_id, question_id, payload, client_ts)
    db.commit()
    return saved


def _lock_for_finish(db: Session, session_id: uuid.UUID, user_id: uuid.UUID) -> Row[Any]:
    row = db.execute(
        text(
            "SELECT *, expires_at <= now() AS is_expired FROM test_sessions "
            "WHERE id = :sid AND user_id = :uid FOR UPDATE"
        ),
        {"sid": session_id, "uid": user_id},
    ).first()
    if row is None:
        raise NotFound("session not found")
    return row


def finish(db: Session, session_id: uuid.UUID, user_id: uuid.UUID, status: str) -> Row[Any]:
    """Fill, score and close a session the caller holds FOR UPDATE. No commit."""
    # clock_timestamp(), not now(): it is read after the lock was won, so it is
    # later than every answer that committed before this submit.
    closed_at = "s.expires_at" if status == "EXPIRED" else "clock_timestamp()"
    db.execute(
        text(
            "INSERT INTO session_answers (session_id, question_id, selected_index, is_correct, answered_at, "
            "changed_count, marked_for_review, created_at, updated_at) "
            f"SELECT sq.session_id, sq.question_id, NULL, false, NULL, 0, false, {closed_at}, {closed_at} "
            "FROM session_questions sq JOIN test_sessions s ON s.id = sq.session_id WHERE sq.session_id = :sid "
            "ON CONFLICT (session_id, question_id) DO NOTHING"
        ),
        {"sid": session_id},
    )
    row = db.execute(
        text(
            f"UPDATE test_sessions s SET status = :status, submitted_at = {closed_at}, "
            "score_correct = sc.correct, score_total = s.total_questions, "
            "score_pct = CASE WHEN s.total_questions > 0 "
            "THEN round(100.0 * sc.correct / s.total_questions, 2) ELSE 0 END, updated_at = now() "
            "FROM (SELECT count(*) FILTER (WHERE is_correct) AS correct FROM session_answers "
            "WHERE session_id = :sid) sc WHERE s.id = :sid RETURNING s.*"
        ),
        {"sid": session_id, "status": status},
    ).one()
    payload = {"score_correct": row.score_correct, "score_total": row.score_total}
    record_event(db, CLOSING_EVENT[status], session_id, user_id, payload=payload)
    return row


def submit(db: Session, session_id: uuid.UUID, user_id: uuid.UUID) -> Row[Any]:
    """Idempotent: a finished session's stored result is returned and nothing is written."""
    session = _lock_for_finish(db, session_id, user_id)
    if session.status in FINISHED:
        db.rollback()
        return session
    result = finish(db, session_id, user_id, "EXPIRED" if session.is_expired else "SUBMITTED")
    db.commit()
    return result


def expire(db: Session, session_id: uuid.UUID, user_id: uuid.UUID) -> None:
    session = _lock_for_finish(db, session_id, user_id)
    if session.status == "ACTIVE" and session.is_expired:
        finish(db, session_id, user_id, "EXPIRED")
    db.commit()
