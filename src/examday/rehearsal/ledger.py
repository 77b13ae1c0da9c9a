"""What the server acknowledged to the simulated students, to reconcile against the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class AnswerLedger:
    """What the server acknowledged: (session_id, question_id) -> the selected_index last acknowledged."""

    acknowledged: dict[tuple[str, str], int | None] = field(default_factory=dict)
    unconfirmed: dict[tuple[str, str], set[int | None]] = field(default_factory=dict)
    submitted: dict[str, str] = field(default_factory=dict)  # session_id -> status the submit returned
    sessions: dict[str, str] = field(default_factory=dict)  # username -> the session it worked in last

    def acknowledge(self, session_id: str, question_id: str, value: int | None) -> None:
        self.acknowledged[(session_id, question_id)] = value

    def unsure(self, session_id: str, question_id: str, value: int | None) -> None:
        # Kept even after a later 2xx: the unsure request may still commit after it, server side.
        self.unconfirmed.setdefault((session_id, question_id), set()).add(value)

    def accepts(self, session_id: str, question_id: str, stored: int | None) -> bool:
        """Whether ``stored`` is a value the server may rightly hold for this answer."""
        key = (session_id, question_id)
        return stored == self.acknowledged[key] or stored in self.unconfirmed.get(key, ())

    def missing_from(self, session_id: str, question_ids: Sequence[str], stored: dict[str, int | None]) -> int:
        """Acknowledged answers among ``question_ids`` that ``stored`` (question_id -> value) lacks or contradicts."""
        return sum(1 for qid in question_ids if (session_id, qid) in self.acknowledged
                   and (qid not in stored or not self.accepts(session_id, qid, stored[qid])))

    def unanswered_in(self, session_id: str, answered: dict[str, bool]) -> int:
        """Acknowledged answers whose question a student's view of the session shows unanswered."""
        return sum(1 for (sid, qid), value in self.acknowledged.items()
                   if sid == session_id and value is not None and not answered.get(qid))
