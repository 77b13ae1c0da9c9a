"""Nothing lost: every session, answer and submission that existed at the freeze is still there.

The freeze baseline keeps, per session, how many answer rows it had and
whether it was submitted (or expired). Rows never disappear from a healthy
platform, so any session now missing, with fewer answer rows, or no longer
closed is a loss. One read-only query compares the baseline (passed as
arrays) with the tables and returns the sessions that lost something.

test_sessions.status is the enum `session_status` on the platform: comparing
an enum with a string that is not one of its labels is an error, not false,
so a placeholder such as 'MISSING' is only ever compared with, or returned
as, the status cast to text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examday.facts.invariants import Queries

CLOSED_STATUSES = ("SUBMITTED", "EXPIRED")
MISSING = "MISSING"  # status_now of a session whose row is gone (LOST_SQL)

# 'SUBMITTED' and 'EXPIRED' are labels of session_status: valid enum literals.
SESSIONS_SQL = """
SELECT s.id::text, s.status IN ('SUBMITTED', 'EXPIRED'), count(a.question_id)
FROM test_sessions s LEFT JOIN session_answers a ON a.session_id = s.id
GROUP BY s.id, s.status
"""

# Ids travel as text and the tables' ids are cast to text: the baseline stores them
# as strings, and no assumption about the id type (uuid here) is needed. Answers are
# counted by session_id on their own, so a session whose row is gone still shows
# the answer rows left behind (orphans, when the delete went past the foreign key).
LOST_SQL = """
WITH baseline(session_id, answers, closed) AS (
    SELECT * FROM unnest(%(ids)s::text[], %(answers)s::int[], %(closed)s::bool[])
), sessions_now AS (
    SELECT s.id::text AS session_id, s.status::text AS status FROM test_sessions s
), answers_now AS (
    SELECT a.session_id::text AS session_id, count(*) AS answers FROM session_answers a GROUP BY a.session_id
)
SELECT b.session_id, b.answers AS answers_at_freeze, coalesce(n.answers, 0) AS answers_now,
       CASE WHEN b.closed THEN 'closed' ELSE 'open' END AS at_freeze,
       coalesce(s.status, 'MISSING') AS status_now  -- text: s.status was cast in sessions_now
FROM baseline b
LEFT JOIN sessions_now s ON s.session_id = b.session_id
LEFT JOIN answers_now n ON n.session_id = b.session_id
WHERE s.session_id IS NULL
   OR coalesce(n.answers, 0) < b.answers
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
class LostSession:
    session_id: str
    answers_at_freeze: int
    answers_now: int
    closed_at_freeze: bool
    status_now: str  # MISSING when the session row is gone

    def describe(self) -> str:
        """What this session lost, in words an operator can check against a backup."""
        losses = []
        if self.status_now == MISSING:
            losses.append("session row gone")
        elif self.closed_at_freeze and self.status_now not in CLOSED_STATUSES:
            losses.append(f"closed at the freeze, now {self.status_now}")
        if self.answers_now < self.answers_at_freeze:
            losses.append(f"{self.answers_now} answer rows now, {self.answers_at_freeze} at the freeze")
        return f"{self.session_id}: {', '.join(losses)}"


@dataclass(frozen=True)
class LostRows:
    columns: list[str]
    rows: list[list[str]]
    truncated: bool
    sessions: tuple[LostSession, ...] = ()


def snapshot_sessions(postgres: Queries) -> SessionSnapshot:
    result = postgres.query(SESSIONS_SQL)
    answers = {str(session_id): int(count) for session_id, _closed, count in result.rows}
    closed = sorted(str(session_id) for session_id, is_closed, _count in result.rows if is_closed)
    return SessionSnapshot(answers, closed)


def sessions_that_lost_rows(postgres: Queries, answers_at_freeze: dict[str, int], closed_at_freeze: list[str],
                            limit: int) -> LostRows:
    """The sessions with fewer answer rows, no longer closed, or gone since the freeze."""
    closed = set(closed_at_freeze)
    ids = sorted(set(answers_at_freeze) | closed)
    params = {"ids": ids, "answers": [answers_at_freeze.get(i, 0) for i in ids],
              "closed": [i in closed for i in ids]}
    result = postgres.query(LOST_SQL, params, limit=limit)
    sessions = tuple(LostSession(str(sid), int(before), int(now), at_freeze == "closed", str(status))
                     for sid, before, now, at_freeze, status in result.rows)
    return LostRows(result.columns, [list(map(str, row)) for row in result.rows], result.truncated, sessions)
