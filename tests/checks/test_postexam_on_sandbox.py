"""`pytest -m postexam` on the sandbox after a seeded exam: passes; each integrity fault fails its own query."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from examday.sandbox.faults import clear, inject
from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.stages import apply_stage
from tests.checks.conftest import at_stage
from tests.checks.runner import ChecklistRun, checklist, failed_ids, fails_exactly, fails_for
from tests.seen_failing import saw_failing

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

EXAM_SECONDS = 8  # simulated students answering between the freeze and the end of the exam


@pytest.fixture(scope="module")
def after_the_exam(sandbox: Sandbox, baseline_dir: Path, tmp_path_factory) -> Iterator[Sandbox]:
    """The runbook's day: freeze (baseline taken), the exam with students answering, then post-exam."""
    for frozen in at_stage(sandbox, "freeze"):
        freeze = checklist("freeze", tmp_path_factory.mktemp("freeze"), baseline_dir)
        assert failed_ids(freeze) == set(), freeze.stdout[-3000:]
        apply_stage(frozen, "during")
        time.sleep(EXAM_SECONDS)
        apply_stage(frozen, "postexam")
        yield frozen


def invariant_of(run: ChecklistRun, item_id: str = "POST-INT-01") -> set[str]:
    return {r.name.split("[", 1)[1].rstrip("]") for r in run.items
            if r.item_id == item_id and r.outcome in ("failed", "error")}


def test_postexam_passes_after_a_seeded_exam(after_the_exam, tmp_path, baseline_dir):
    run = checklist("postexam", tmp_path, baseline_dir)
    assert run.exit_code == 0 and failed_ids(run) == set(), run.stdout[-3000:]
    assert {"POST-MOD-01", "POST-JOB-01", "POST-INT-02", "POST-MET-01"} <= run.ids_with("passed")
    assert len(run.by_id("POST-INT-01")) >= 10


@pytest.mark.parametrize("fault, invariant", [
    ("orphan-answers", "answers_without_session"),
    ("duplicate-submit", "sessions_submitted_twice"),
    ("answer-after-submit", "answers_after_submit"),
])
def test_an_integrity_fault_fails_exactly_its_invariant_with_the_rows(after_the_exam, tmp_path, baseline_dir,
                                                                      fault, invariant):
    inject(after_the_exam, fault)
    try:
        run = checklist("postexam", tmp_path, baseline_dir, 1.0, "-k", "integrity")
    finally:
        clear(after_the_exam, fault)
    assert failed_ids(run) == {"POST-INT-01"} and invariant_of(run) == {invariant}, run.stdout[-3000:]
    failure = fails_for(run, "POST-INT-01", "row(s), first")
    saw_failing(f"invariant:{invariant}", failure.message, "row(s), first")


def test_an_answer_lost_since_the_freeze_fails_the_loss_check_with_the_session(after_the_exam, tmp_path,
                                                                              baseline_dir):
    inject(after_the_exam, "answer-lost")
    lost_session = json.loads(after_the_exam.state.faults()["answer-lost"]["undo"]["row"])["session_id"]
    try:
        run = checklist("postexam", tmp_path, baseline_dir, 1.0, "-k", "integrity")
    finally:
        clear(after_the_exam, "answer-lost")
    # no invariant sees an answer missing from a session still open: only the baseline does
    fails_exactly(run, {"POST-INT-02": "1 session(s) lost rows since the freeze"})
    [failure] = run.by_id("POST-INT-02")
    assert lost_session in failure.message


def test_postexam_before_reverting_fails_exam_mode_and_jobs(after_the_exam, tmp_path, baseline_dir):
    apply_stage(after_the_exam, "freeze")  # the exam is over but nobody reverted the freeze
    try:
        run = checklist("postexam", tmp_path, baseline_dir)
    finally:
        apply_stage(after_the_exam, "postexam")
    fails_exactly(run, {"POST-MOD-01": "the system_flags row EXAM_MODE is true, not false",
                        "POST-JOB-01": "no crontab entry starts a job"})
    [mode] = run.by_id("POST-MOD-01")
    assert "the application reports exam mode true" in mode.message
