"""Post-Exam / Data Integrity Verification: every invariant in checks/sql/ holds.

Replaces the platform's verify-data-integrity.sh, whose output a human had to
read: here each invariant is an item that fails with the violating rows.
"""

from __future__ import annotations

import pytest

from examday.checklist import item
from examday.facts.invariants import ROWS_SHOWN

pytestmark = pytest.mark.postexam
RUNBOOK = "Post-Exam / Data Integrity Verification"


@item("POST-INT-01", "Run integrity checks (verify-data-integrity.sh): no invariant violated", runbook=RUNBOOK,
      remediation="STOP: do not change data. Capture the rows shown, then follow the runbook's 'If data "
                  "corruption suspected' (capture logs, contact the database administrator).")
def test_integrity_invariant_holds(invariant, postgres, evidence):
    result = postgres.query(invariant.sql, limit=ROWS_SHOWN)
    evidence.record(invariant=invariant.name, forbids=invariant.description, columns=result.columns,
                    violating_rows=[list(map(str, row)) for row in result.rows], more_not_shown=result.truncated)
    assert not result.rows, (f"{invariant.description.rstrip('.')}: {len(result.rows)}{'+' if result.truncated else ''} "
                             f"row(s), first {list(map(str, result.rows[0]))}")
