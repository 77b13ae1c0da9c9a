"""Pre-Exam Checklist (24 hours before) / Communication.

People do these; examday keeps their word for it. Each item passes only with a
current attestation (`examday attest ITEM-ID --by NAME --note TEXT`), is skipped
without one, and fails without one under --strict-attestations (the CI gate).
"""

from __future__ import annotations

import pytest

from examday.checklist import Impact, item

pytestmark = pytest.mark.preexam
RUNBOOK = "Pre-Exam Checklist / Communication"


@item("PRE-COM-01", "Notify team of exam schedule", runbook=RUNBOOK, impact=Impact.HIGH, manual=True,
      remediation="Send the schedule to the team, then `examday attest PRE-COM-01 --by NAME --note ...`.",
      references=("docs/runbook.md#pre-exam-checklist--communication",))
def test_team_notified_of_exam_schedule(attested):
    assert attested.note


@item("PRE-COM-02", "Confirm on-call rotation", runbook=RUNBOOK, impact=Impact.HIGH, manual=True,
      remediation="Confirm primary and secondary on-call for the exam window, then attest PRE-COM-02.",
      references=("docs/runbook.md#pre-exam-checklist--communication",))
def test_on_call_rotation_confirmed(attested):
    assert attested.note


@item("PRE-COM-03", "Share emergency contacts", runbook=RUNBOOK, impact=Impact.HIGH, manual=True,
      remediation="Share the escalation path and contacts (runbook 'Emergency Contacts'), then attest PRE-COM-03.",
      references=("docs/runbook.md#pre-exam-checklist--communication",))
def test_emergency_contacts_shared(attested):
    assert attested.note


@item("PRE-COM-04", "Prepare status page (if public)", runbook=RUNBOOK, impact=Impact.MEDIUM, manual=True,
      remediation="Prepare the status page notice (or attest that there is no public one), then attest PRE-COM-04.",
      references=("docs/runbook.md#pre-exam-checklist--communication",))
def test_status_page_prepared(attested):
    assert attested.note
