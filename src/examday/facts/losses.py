"""Nothing lost: every session, answer and submission that existed at the freeze is still there.

The freeze baseline keeps, per session, how many answer rows it had and
whether it was submitted (or expired). Rows never disappear from a healthy
platform, so any session now missing, with fewer answer rows, or no longer
closed is a loss. One read-only query compares the baseline (passed as
arrays) with the tables and returns the sessions that lost something.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CLOSED_STATUSES = ("SUBMITTED", "EXPIRED")

SESSIONS_SQL = """
SELECT s.id::text, s.status IN ('SUBMITTED', 'EXPIRED'), count(a.question_id)
FROM test_sessions s LEFT JOIN session_answers a ON a.session_id = s.id
GROUP BY s.id, s.status
"""

LOST_SQL = """
WITH baseline(session_id, answers, closed) AS (
    SELECT * FROM unnest(%(ids)s::uuid[], %(answers)s::int[], %(closed)s::bool[])
)
SELECT b.session_id, b.answers AS answers_at_freeze, count(a.question_id) AS answers_now,
       CASE WHEN b.closed THEN 'closed' ELSE 'open' END AS at_freeze, coalesce(s.status, 'MISSING') AS status_now
FROM baseline b
LEFT JOIN test_sessions s ON s.id = b.session_id
LEFT JOIN session_answers a ON a.session_id = b.session_id
GROUP BY b.session_id, b.answers, b.closed, s.status
HAVING s.status IS NULL
    OR count(a.question_id) < b.answers
    OR (b.closed AND s.status NOT IN ('SUBMITTED', 'EXPIRED'))
ORDER BY b.session_id
"""


@dataclass(frozen=True)
class SessionSnapshot:
    """Per session at one moment: answer rows and whether it was closed (submitted or expired)."""

    answers: dict[str, int]
    closed: list[str]

    def as_baseline_fields(self) -> dict[str, Any]:
        return {"session_answers": self.answers, "closed_sessions": self.closed}


@dataclass(frozen=True)
class LostRows:
    columns: list[str]
    rows: list[list[str]]
    truncated: bool


def snapshot_sessions(postgres: Any) -> SessionSnapshot:
    result = postgres.query(SESSIONS_SQL)
    answers = {str(session_id): int(count) for session_id, _closed, count in result.rows}
    closed = sorted(str(session_id) for session_id, is_closed, _count in result.rows if is_closed)
    return SessionSnapshot(answers, closed)


def sessions_that_lost_rows(postgres: Any, answers_at_freeze: dict[str, int], closed_at_freeze: list[str],
                            limit: int) -> LostRows:
    """The sessions with fewer answer rows, no longer closed, or gone since the freeze."""
    closed = set(closed_at_freeze)
    ids = sorted(set(answers_at_freeze) | closed)
    params = {"ids": ids, "answers": [answers_at_freeze.get(i, 0) for i in ids],
              "closed": [i in closed for i in ids]}
    result = postgres.query(LOST_SQL, params, limit=limit)
    return LostRows(result.columns, [list(map(str, row)) for row in result.rows], result.truncated)
