"""POST-INT-01 on the sandbox: every invariant holds; each integrity fault breaks exactly its own."""

from __future__ import annotations

import pytest

from examday.sandbox.faults import clear, inject
from tests.checks.runner import run_checklist

pytestmark = [pytest.mark.sandbox]


def failed_invariants(run) -> set[str]:
    return {r.name.split("[", 1)[1].rstrip("]") for r in run.items if r.outcome in ("failed", "error")}


def test_every_invariant_holds_on_the_seeded_sandbox(sandbox, tmp_path):
    run = run_checklist("postexam", tmp_path)
    assert failed_invariants(run) == set(), run.stdout[-3000:]
    assert len(run.by_id("POST-INT-01")) >= 10


@pytest.mark.parametrize("fault, invariant", [
    ("orphan-answers", "answers_without_session"),
    ("duplicate-submit", "sessions_submitted_twice"),
])
def test_an_integrity_fault_fails_exactly_its_invariant_with_the_rows(sandbox, tmp_path, fault, invariant):
    inject(sandbox, fault)
    try:
        run = run_checklist("postexam", tmp_path)
    finally:
        clear(sandbox, fault)
    assert failed_invariants(run) == {invariant}, run.stdout[-3000:]
    [failure] = [r for r in run.items if r.outcome == "failed"]
    assert "row(s), first" in failure.message
