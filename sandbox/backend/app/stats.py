"""The "heavy" jobs that exam mode switches off: statistics recompute and regrade."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class RegradeResult:
    answers_regraded: int
    sessions_rescored: int


def _execute(db: Session | Connection, statement: Any) -> CursorResult[Any]:
    # DML results are cursor results; the cast only tells the type checker so.
    return cast(CursorResult[Any], db.execute(statement))


def recompute_exam_stats(db: Session | Connection) -> int:
    """Upsert one exam_stats row per exam; returns the number of exams."""
    result = _execute(
        db,
        text(
            "INSERT INTO exam_stats (exam_id, sessions_submitted, mean_score, recalculated_at) "
            "SELECT e.id, count(s.id), round(avg(s.score_pct), 2), now() FROM exams e "
            "LEFT JOIN test_sessions s ON s.exam_id = e.id AND s.status = 'SUBMITTED' GROUP BY e.id "
            "ON CONFLICT (exam_id) DO UPDATE SET sessions_submitted = EXCLUDED.sessions_submitted, "
            "mean_score = EXCLUDED.mean_score, recalculated_at = EXCLUDED.recalculated_at"
        ),
    )
    return result.rowcount


def regrade(db: Session | Connection) -> RegradeResult:
    """Re-derive is_correct from the answer key, then the scores of finished sessions.

    Only rows whose value really changes are written, so a regrade with an
    unchanged key is a no-op (answered_at/updated_at are left alone: a regrade
    is not a student's answer).
    """
    answers = _execute(
        db,
        text(
            "UPDATE session_answers a SET is_correct = coalesce(a.selected_index = q.correct_index, false) "
            "FROM questions q WHERE q.id = a.question_id "
            "AND a.is_correct IS DISTINCT FROM coalesce(a.selected_index = q.correct_index, false)"
        ),
    ).rowcount
    sessions = _execute(
        db,
        text(
            "UPDATE test_sessions s SET score_correct = sc.correct, "
            "score_pct = CASE WHEN s.total_questions > 0 THEN round(100.0 * sc.correct / s.total_questions, 2) "
            "ELSE 0 END, updated_at = now() "
            "FROM (SELECT session_id, count(*) FILTER (WHERE is_correct) AS correct FROM session_answers "
            "GROUP BY session_id) sc "
            "WHERE s.id = sc.session_id AND s.status IN ('SUBMITTED', 'EXPIRED') "
            "AND s.score_correct IS DISTINCT FROM sc.correct"
        ),
    ).rowcount
    return RegradeResult(answers_regraded=answers, sessions_rescored=sessions)
