"""Faults in the exam's data: rows that break an integrity invariant, each undone exactly."""

from __future__ import annotations

import uuid

from examday.sandbox.errors import SandboxError
from examday.sandbox.faults.base import Fault, Undo, psql
from examday.sandbox.lifecycle import Sandbox


def _orphan_answers(sandbox: Sandbox) -> Undo:
    # Rows whose session does not exist, written past the foreign key the way a
    # replication or restore accident does (session_replication_role = replica).
    session_id = str(uuid.uuid4())
    psql(sandbox, f"""
        SET session_replication_role = replica;
        INSERT INTO session_answers (session_id, question_id, selected_index, is_correct, answered_at,
                                     changed_count, marked_for_review)
        SELECT '{session_id}', q.id, 0, false, now(), 0, false
        FROM questions q ORDER BY q.id LIMIT 3;""")
    return {"session_id": session_id}


def _orphans_removed(sandbox: Sandbox, undo: Undo) -> None:
    psql(sandbox, f"DELETE FROM session_answers WHERE session_id = '{undo['session_id']}'")


def _duplicate_submit(sandbox: Sandbox) -> Undo:
    row = psql(sandbox, """
        INSERT INTO attempt_events (event_type, event_ts, seq, session_id, user_id, payload_json, source)
        SELECT 'SESSION_SUBMITTED', now(), 9999, s.id, s.user_id, '{"duplicate": true}'::jsonb, 'api'
        FROM test_sessions s WHERE s.status = 'SUBMITTED' ORDER BY s.submitted_at LIMIT 1
        RETURNING id, session_id""").strip()
    if not row:
        raise SandboxError("no SUBMITTED session to duplicate a submit for",
                           "seed the sandbox first (`examday sandbox reset`)")
    event_id, session_id = row.split("|")
    return {"event_id": str(uuid.UUID(event_id)), "session_id": session_id}


def _duplicate_removed(sandbox: Sandbox, undo: Undo) -> None:
    # attempt_events is append-only by trigger; a sandbox repair goes around it (replica role).
    psql(sandbox, "SET session_replication_role = replica; "
                   f"DELETE FROM attempt_events WHERE id = '{uuid.UUID(undo['event_id'])}'")


def _answer_after_submit(sandbox: Sandbox) -> Undo:
    # A late write the API should have refused: one answer of a submitted session changed
    # ten minutes after the submit.
    row = psql(sandbox, """
        WITH target AS (
            SELECT a.session_id, a.question_id, a.answered_at FROM session_answers a
            JOIN test_sessions s ON s.id = a.session_id
            WHERE s.status = 'SUBMITTED' AND a.selected_index IS NOT NULL
            ORDER BY s.submitted_at, a.question_id LIMIT 1)
        UPDATE session_answers a SET answered_at = s.submitted_at + interval '10 minutes'
        FROM target t, test_sessions s
        WHERE a.session_id = t.session_id AND a.question_id = t.question_id AND s.id = t.session_id
        RETURNING t.session_id, t.question_id, t.answered_at""").strip()
    if not row:
        raise SandboxError("no answered SUBMITTED session to write late into",
                           "seed the sandbox first (`examday sandbox reset`)")
    session_id, question_id, answered_at = row.split("|")
    return {"session_id": session_id, "question_id": question_id, "answered_at": answered_at}


def _late_answer_undone(sandbox: Sandbox, undo: Undo) -> None:
    psql(sandbox, f"""
        UPDATE session_answers SET answered_at = '{undo['answered_at']}'
        WHERE session_id = '{undo['session_id']}' AND question_id = '{undo['question_id']}'""")


def _answer_lost(sandbox: Sandbox) -> Undo:
    # A student's saved answer vanishes from an exam still in progress: no invariant sees
    # it (an open session may have any number of answers); only the freeze baseline does.
    row = psql(sandbox, """
        WITH target AS (
            SELECT a.session_id, a.question_id FROM session_answers a
            JOIN test_sessions s ON s.id = a.session_id
            WHERE s.status = 'ACTIVE' AND a.selected_index IS NOT NULL
            ORDER BY s.started_at, a.question_id LIMIT 1)
        DELETE FROM session_answers a USING target t
        WHERE a.session_id = t.session_id AND a.question_id = t.question_id
        RETURNING row_to_json(a)""").strip()
    if not row:
        raise SandboxError("no answered ACTIVE session to lose an answer from",
                           "seed the sandbox first (`examday sandbox reset`)")
    return {"row": row}


def _answer_restored(sandbox: Sandbox, undo: Undo) -> None:
    row = str(undo["row"]).replace("'", "''")
    psql(sandbox, f"INSERT INTO session_answers SELECT * FROM json_populate_record(NULL::session_answers, '{row}')")


CATALOG: tuple[Fault, ...] = (
    Fault("orphan-answers", "answers whose session does not exist", _orphan_answers, _orphans_removed),
    Fault("duplicate-submit", "a second SESSION_SUBMITTED event for one session",
              _duplicate_submit, _duplicate_removed),
    Fault("answer-after-submit", "an answer of a submitted session changed 10 minutes after the submit",
              _answer_after_submit, _late_answer_undone),
    Fault("answer-lost", "a saved answer deleted from a session still in progress",
              _answer_lost, _answer_restored),
)
