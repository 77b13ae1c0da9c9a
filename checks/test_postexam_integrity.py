"""Post-Exam / Data Integrity Verification: every invariant in checks/sql/ holds, nothing was lost.

Replaces the platform's verify-data-integrity.sh, whose output a human had to
read: here each invariant is an item that fails with the violating rows.
"""

from __future__ import annotations

import pytest

from examday.checklist import item
from examday.facts.baseline import baseline_path, current_counts, load_baseline, losses
from examday.facts.invariants import ROWS_SHOWN, guarantees_on
from examday.facts.losses import sessions_that_lost_rows

pytestmark = pytest.mark.postexam
RUNBOOK = "Post-Exam / Data Integrity Verification"
SESSIONS_NAMED = 5  # in the failure message; the evidence keeps up to ROWS_SHOWN


@item("POST-INT-01", "Run integrity checks (verify-data-integrity.sh): no invariant violated", runbook=RUNBOOK,
      remediation="STOP: do not change data. Capture the rows shown, then follow the runbook's 'If data "
                  "corruption suspected' (capture logs, contact the database administrator).",
      references=("docs/platform.md#data-model-and-integrity", "docs/platform.md#traps"))
@pytest.mark.recovery
def test_integrity_invariant_holds(invariant, postgres, evidence):
    # The constraints say what should be impossible; the query, run regardless, says what is.
    guarantees = guarantees_on(postgres, invariant)
    result = postgres.query(invariant.sql, limit=ROWS_SHOWN)
    evidence.record(invariant=invariant.name, forbids=invariant.description,
                    guaranteed_by=guarantees.as_evidence(), columns=result.columns,
                    violating_rows=[list(map(str, row)) for row in result.rows], more_not_shown=result.truncated)
    assert not result.rows, (f"{invariant.description.rstrip('.')}: {len(result.rows)}{'+' if result.truncated else ''} "
                             f"row(s), first {list(map(str, result.rows[0]))}{guarantees.on_violation()}")


@item("POST-INT-02", "No answers lost: sessions, answers and submissions not fewer than at the freeze",
      runbook=RUNBOOK,
      remediation="STOP: do not change data. The rows shown are sessions that had more (or were submitted) at "
                  "the freeze: capture them and the backend's logs for those sessions, and compare with the "
                  "last backup before anything else.",
      references=("docs/platform.md#data-model-and-integrity",))
@pytest.mark.recovery
def test_nothing_lost_since_the_freeze(postgres, examday_config, evidence):
    baseline = load_baseline(examday_config)
    if baseline is None:
        pytest.fail(f"no freeze baseline at {baseline_path(examday_config)}: nothing to compare with; the "
                    "freeze phase (`pytest -m freeze`) records it before the exam")
    totals = losses(baseline, current_counts(postgres))
    lost = sessions_that_lost_rows(postgres, baseline.session_answers, baseline.closed_sessions, ROWS_SHOWN)
    evidence.record(baseline_taken_at=baseline.taken_at, totals_at_freeze=baseline.counts, totals_lower=totals,
                    sessions_compared=len(baseline.session_answers), columns=lost.columns,
                    sessions_with_losses=lost.rows, more_not_shown=lost.truncated)
    named = "; ".join(session.describe() for session in lost.sessions[:SESSIONS_NAMED])
    assert not lost.rows, (f"{len(lost.rows)}{'+' if lost.truncated else ''} session(s) lost rows since the freeze: "
                           f"{named}{'; ...' if len(lost.sessions) > SESSIONS_NAMED else ''}")
    assert not totals, "fewer than at the freeze: " + "; ".join(totals)
