"""Reconciliation after a drill: every answer the platform acknowledged (2xx) is in the database,
with the value the student sent.

The generator's ledger holds, per (session, question), the value last
acknowledged and any values whose requests ended without an answer (those may
or may not have been stored, so either is accepted). One read-only query
fetches the stored answers of the ledger's sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from examday.facts.ports import DatabaseReads

STORED_SQL = ("SELECT session_id::text, question_id::text, selected_index FROM session_answers "
              "WHERE session_id = ANY(%s::uuid[])")
SHOWN = 20


@dataclass(frozen=True)
class Reconciliation:
    acknowledged: int
    missing: list[dict[str, Any]] = field(default_factory=list)  # the first SHOWN
    missing_count: int = 0

    def as_evidence(self) -> dict[str, Any]:
        return {"acknowledged_answers": self.acknowledged, "missing_or_different": self.missing_count,
                "first_missing": self.missing}


def reconcile(postgres: DatabaseReads, ledger: Any) -> Reconciliation:
    sessions = sorted({session_id for session_id, _question in ledger.acknowledged})
    if not sessions:
        return Reconciliation(0)
    stored = {(sid, qid): value for sid, qid, value in postgres.query(STORED_SQL, (sessions,)).rows}
    missing = [{"session_id": sid, "question_id": qid, "sent": sent, "stored": stored.get((sid, qid), "absent")}
               for (sid, qid), sent in sorted(ledger.acknowledged.items())
               if (sid, qid) not in stored or not ledger.accepts(sid, qid, stored[(sid, qid)])]
    return Reconciliation(len(ledger.acknowledged), missing[:SHOWN], len(missing))
