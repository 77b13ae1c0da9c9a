"""Test sessions: create, read (expiring an overdue one), answer, submit.

- An answer holds a SHARE lock on its session row and a submit an UPDATE lock, so no
  answer lands after the submit that closed the session.
- Finishing (submit or expiry) fills unanswered questions with NULL rows, scores the
  session and writes exactly one closing event, under the row lock.
- Nothing stops a second ACTIVE session for the same user: the platform has no such rule.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from app import faults, flags
from app.serialize import scalar

FINISHED = ("SUBMITTED", "EXPIRED")
CLOSING_EVENT = {"SUBMITTED": "SESSION_SUBMITTED", "EXPIRED": "SESSION_EXPIRED"}


class SessionError(Exception):
    pass


class NotFound(SessionError):
    pass


class Conflict(SessionError):
    pass


class Invalid(SessionError):
    pass


def record_event(db: Session, event_type: str, session_id: Any, user_id: Any, question_id: Any = None,
                 payload: dict[str, Any] | None = None, client_ts: Any = None) -> None:
    db.execute(text(
        "INSERT INTO attempt_events (event_type, event_ts, client_ts, seq, session_id, user_id, question_id, "
        "payload_json, source) SELECT :type, clock_timestamp(), :client_ts, coalesce(max(seq), 0) + 1, :sid, :uid, "
        ":qid, CAST(:payload AS jsonb), 'api' FROM attempt_events WHERE session_id = :sid"),
        {"type": event_type, "client_ts": client_ts, "sid": session_id, "uid": user_id, "qid": question_id,
         "payload": json.dumps(payload or {})})


def progress(db: Session, session_id: Any, total: int) -> dict[str, int]:
    row = db.execute(text(
        "SELECT count(*) FILTER (WHERE selected_index IS NOT NULL) AS answered, "
        "count(*) FILTER (WHERE marked_for_review) AS marked FROM session_answers WHERE session_id = :sid"),
        {"sid": session_id}).one()
    return {"answered": int(row.answered), "total": total, "marked_for_review": int(row.marked)}


def session_body(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {
        "id": scalar(m["id"]), "user_id": scalar(m["user_id"]), "mode": m["mode"], "status": m["status"],
        "year": m["year"], "blocks": m["blocks_json"], "total_questions": m["total_questions"],
        "started_at": scalar(m["started_at"]), "submitted_at": scalar(m["submitted_at"]),
        "duration_seconds": m["duration_seconds"], "expires_at": scalar(m["expires_at"]),
        "score_correct": m["score_correct"], "score_total": m["score_total"], "score_pct": scalar(m["score_pct"]),
        "exam_mode_at_start": m["exam_mode_at_start"], "freeze_updates_at_start": m["freeze_updates_at_start"],
    }


def result_body(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {"session_id": scalar(m["id"]), "status": m["status"], "score_correct": m["score_correct"],
            "score_total": m["score_total"], "score_pct": scalar(m["score_pct"]),
            "submitted_at": scalar(m["submitted_at"])}


def create(db: Session, user_id: str, mode: str, year: int, blocks: list[str], count: int,
           duration_seconds: int | None, themes: list[str] | None, difficulty: str | None,
           cognitive: str | None) -> dict[str, Any]:
    faults.sessions_500("creating a session")
    where = ["q.year = :year", "q.block = ANY(:blocks)"]
    params: dict[str, Any] = {"year": year, "blocks": blocks, "count": count}
    if themes:
        where.append("q.theme = ANY(:themes)")
        params["themes"] = themes
    if difficulty:
        where.append("q.difficulty = :difficulty")
        params["difficulty"] = difficulty
    if cognitive:
        where.append("q.cognitive = :cognitive")
        params["cognitive"] = cognitive
    picked = db.execute(text(
        "SELECT q.id, v.id AS version_id, v.snapshot_json FROM questions q JOIN question_versions v "
        "ON v.question_id = q.id AND v.version = q.current_version WHERE " + " AND ".join(where)
        + " ORDER BY random() LIMIT :count"), params).all()
    if not picked:
        db.rollback()
        raise Invalid("no questions match year, blocks and filters")
    session = db.execute(text(
        "INSERT INTO test_sessions (user_id, mode, status, year, blocks_json, themes_json, total_questions, "
        "started_at, duration_seconds, expires_at, exam_mode_at_start, freeze_updates_at_start) "
        "VALUES (:uid, CAST(:mode AS session_mode), 'ACTIVE', :year, CAST(:blocks_json AS jsonb), "
        "CAST(:themes_json AS jsonb), :total, now(), :duration, "
        "CASE WHEN CAST(:duration AS integer) IS NULL THEN NULL "
        "ELSE now() + make_interval(secs => CAST(:duration AS integer)) END, :exam_mode, :freeze) RETURNING *"),
        {"uid": user_id, "mode": mode, "year": year, "blocks_json": json.dumps(blocks),
         "themes_json": json.dumps(themes) if themes else None, "total": len(picked),
         "duration": duration_seconds, "exam_mode": flags.exam_mode(), "freeze": flags.freeze_updates()}).one()
    db.execute(text(
        "INSERT INTO session_questions (session_id, position, question_id, question_version_id, snapshot_json) "
        "VALUES (:sid, :pos, :qid, :vid, CAST(:snap AS jsonb))"),
        [{"sid": session.id, "pos": n, "qid": q.id, "vid": q.version_id, "snap": json.dumps(q.snapshot_json)}
         for n, q in enumerate(picked, start=1)])
    record_event(db, "SESSION_STARTED", session.id, user_id,
                 payload={"mode": mode, "year": year, "blocks": blocks, "count": len(picked)})
    db.commit()
    return {"session_id": str(session.id), "status": session.status, "mode": session.mode,
            "total_questions": session.total_questions, "started_at": scalar(session.started_at),
            "expires_at": scalar(session.expires_at),
            "progress": {"answered": 0, "total": session.total_questions, "marked_for_review": 0}}


def _owned(db: Session, session_id: str, user_id: str) -> Row[Any]:
    row = db.execute(text(
        "SELECT *, expires_at IS NOT NULL AND expires_at <= now() AS is_expired, "
        "CASE WHEN status = 'ACTIVE' AND expires_at IS NOT NULL "
        "THEN greatest(0, ceil(extract(epoch FROM expires_at - now())))::int END AS remaining_seconds "
        "FROM test_sessions WHERE id = :sid AND user_id = :uid"), {"sid": session_id, "uid": user_id}).first()
    if row is None:
        raise NotFound("Session not found")
    return row


def _current(db: Session, session_id: str, user_id: str) -> Row[Any]:
    """The owner's session; an overdue ACTIVE one is submitted as EXPIRED right here."""
    row = _owned(db, session_id, user_id)
    if row.duration_seconds is not None:
        faults.sessions_500("reading a timed session")
    if row.status == "ACTIVE" and row.is_expired:
        expire(db, session_id, user_id)
        row = _owned(db, session_id, user_id)
    return row


def _question_rows(db: Session, session_id: str) -> list[Row[Any]]:
    return list(db.execute(text(
        "SELECT sq.position, sq.question_id, sq.snapshot_json, a.selected_index, "
        "coalesce(a.marked_for_review, false) AS marked_for_review, a.answered_at "
        "FROM session_questions sq LEFT JOIN session_answers a "
        "ON a.session_id = sq.session_id AND a.question_id = sq.question_id "
        "WHERE sq.session_id = :sid ORDER BY sq.position"), {"sid": session_id}).all())


def _question_body(q: Row[Any], total: int) -> dict[str, Any]:
    snapshot = q.snapshot_json or {}
    return {"index": q.position, "total": total, "question_id": str(q.question_id), "stem": snapshot.get("stem"),
            "options": snapshot.get("options"), "selected_index": q.selected_index,
            "marked_for_review": q.marked_for_review}


def get(db: Session, session_id: str, user_id: str) -> dict[str, Any]:
    row = _current(db, session_id, user_id)
    questions = _question_rows(db, session_id)
    prog = progress(db, session_id, row.total_questions)
    db.rollback()
    current = next((q for q in questions if q.selected_index is None), questions[-1] if questions else None)
    return {
        "session": session_body(row),
        "progress": prog,
        "questions": [{"position": q.position, "question_id": str(q.question_id),
                       "has_answer": q.selected_index is not None, "marked_for_review": q.marked_for_review}
                      for q in questions],
        "current_question": _question_body(current, row.total_questions) if current is not None else None,
    }


def state(db: Session, session_id: str, user_id: str) -> dict[str, Any]:
    row = _current(db, session_id, user_id)
    questions = _question_rows(db, session_id)
    prog = progress(db, session_id, row.total_questions)
    db.rollback()
    return {
        "session_id": str(row.id), "status": row.status, "mode": row.mode,
        "started_at": scalar(row.started_at), "expires_at": scalar(row.expires_at),
        "remaining_seconds": row.remaining_seconds, "progress": prog,
        "answers": [{"position": q.position, "question_id": str(q.question_id), "selected_index": q.selected_index,
                     "marked_for_review": q.marked_for_review, "answered_at": scalar(q.answered_at)}
                    for q in questions if q.answered_at is not None or q.marked_for_review],
    }


def question(db: Session, session_id: str, user_id: str, index: int) -> dict[str, Any]:
    row = _current(db, session_id, user_id)
    questions = _question_rows(db, session_id)
    db.rollback()
    if not 1 <= index <= len(questions):
        raise NotFound(f"index must be between 1 and {len(questions)}")
    return _question_body(questions[index - 1], row.total_questions)


_UPSERT = text(
    "INSERT INTO session_answers AS a (session_id, question_id, selected_index, is_correct, answered_at, "
    "changed_count, marked_for_review) VALUES (:sid, :qid, :sel, :correct, now(), 0, coalesce(:mark, false)) "
    "ON CONFLICT (session_id, question_id) DO UPDATE SET selected_index = EXCLUDED.selected_index, "
    "is_correct = EXCLUDED.is_correct, "
    "changed_count = a.changed_count + CASE WHEN a.selected_index IS DISTINCT FROM EXCLUDED.selected_index "
    "AND a.selected_index IS NOT NULL THEN 1 ELSE 0 END, "
    "marked_for_review = coalesce(:mark, a.marked_for_review), "
    "answered_at = CASE WHEN a.selected_index IS DISTINCT FROM EXCLUDED.selected_index THEN now() "
    "ELSE coalesce(a.answered_at, now()) END RETURNING a.*")


def answer(db: Session, session_id: str, user_id: str, question_id: str, selected_index: int | None,
           marked_for_review: bool | None, extra_payload: dict[str, Any] | None = None) -> dict[str, Any]:
    lock = db.execute(text(
        "SELECT s.status, s.total_questions, s.expires_at IS NOT NULL AND s.expires_at <= now() AS is_expired, "
        "sq.snapshot_json FROM test_sessions s LEFT JOIN session_questions sq "
        "ON sq.session_id = s.id AND sq.question_id = :qid WHERE s.id = :sid AND s.user_id = :uid FOR SHARE OF s"),
        {"sid": session_id, "uid": user_id, "qid": question_id}).first()
    if lock is None:
        db.rollback()
        raise NotFound("Session not found")
    if lock.status != "ACTIVE":
        db.rollback()
        raise Conflict(f"Session is {lock.status}")
    if lock.is_expired:
        db.rollback()
        expire(db, session_id, user_id)
        raise Conflict("Session expired")
    if lock.snapshot_json is None:
        db.rollback()
        raise Invalid("question is not part of this session")
    options = lock.snapshot_json.get("options") or []
    if selected_index is not None and selected_index >= len(options):
        db.rollback()
        raise Invalid(f"selected_index must be between 0 and {len(options) - 1}")
    correct = None if selected_index is None else selected_index == lock.snapshot_json.get("correct_index")
    saved = db.execute(_UPSERT, {"sid": session_id, "qid": question_id, "sel": selected_index,
                                 "correct": correct, "mark": marked_for_review}).one()
    record_event(db, "ANSWER_SAVED", session_id, user_id, question_id,
                 {"selected_index": selected_index, "marked_for_review": saved.marked_for_review,
                  **(extra_payload or {})})
    prog = progress(db, session_id, lock.total_questions)
    db.commit()
    return {"answer": {"question_id": str(saved.question_id), "selected_index": saved.selected_index,
                       "marked_for_review": saved.marked_for_review, "changed_count": saved.changed_count,
                       "answered_at": scalar(saved.answered_at)},
            "progress": prog}


def _lock_for_finish(db: Session, session_id: str, user_id: str) -> Row[Any]:
    row = db.execute(text(
        "SELECT *, expires_at IS NOT NULL AND expires_at <= now() AS is_expired FROM test_sessions "
        "WHERE id = :sid AND user_id = :uid FOR UPDATE"), {"sid": session_id, "uid": user_id}).first()
    if row is None:
        db.rollback()
        raise NotFound("Session not found")
    return row


def finish(db: Session, session_id: str, user_id: str, status: str) -> Row[Any]:
    """Fill, score and close a session the caller holds FOR UPDATE. No commit."""
    closed_at = "s.expires_at" if status == "EXPIRED" else "clock_timestamp()"
    db.execute(text(
        "INSERT INTO session_answers (session_id, question_id, selected_index, is_correct, answered_at, "
        "changed_count, marked_for_review) SELECT sq.session_id, sq.question_id, NULL, false, NULL, 0, false "
        "FROM session_questions sq WHERE sq.session_id = :sid ON CONFLICT (session_id, question_id) DO NOTHING"),
        {"sid": session_id})
    row = db.execute(text(
        f"UPDATE test_sessions s SET status = CAST(:status AS session_status), submitted_at = {closed_at}, "
        "score_correct = sc.correct, score_total = s.total_questions, "
        "score_pct = CASE WHEN s.total_questions > 0 THEN round(100.0 * sc.correct / s.total_questions, 2) "
        "ELSE 0 END, updated_at = now() FROM (SELECT count(*) FILTER (WHERE is_correct) AS correct "
        "FROM session_answers WHERE session_id = :sid) sc WHERE s.id = :sid RETURNING s.*"),
        {"sid": session_id, "status": status}).one()
    record_event(db, CLOSING_EVENT[status], session_id, user_id,
                 payload={"score_correct": row.score_correct, "score_total": row.score_total})
    return row


def submit(db: Session, session_id: str, user_id: str) -> dict[str, Any]:
    """Idempotent by status: a finished session's stored result is returned, nothing written."""
    session = _lock_for_finish(db, session_id, user_id)
    if session.status in FINISHED:
        db.rollback()
        return result_body(session)
    result = finish(db, session_id, user_id, "EXPIRED" if session.is_expired else "SUBMITTED")
    db.commit()
    return result_body(result)


def expire(db: Session, session_id: str, user_id: str) -> None:
    session = _lock_for_finish(db, session_id, user_id)
    if session.status == "ACTIVE" and session.is_expired:
        finish(db, session_id, user_id, "EXPIRED")
    db.commit()
