"""Triage of a failed during item: the runbook's Common Issues' diagnostic steps, run, and what they point to.

When DUR-LAT-01 fails the operator would run High Latency's steps by hand (pool, slow_sql, docker
stats), and High Error Rate's (error lines, the proxy, Redis PING, pg_isready) when errors rise.
examday runs all of them, read-only, and names the Common Issue they point to with the runbook's
action. Bounded: each step by its probe's own timeouts, the whole by ``BUDGET_SECONDS`` (steps
left when it is spent are recorded as not run). A step that fails is recorded with why, and the
others still run.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from examday.facts.common_issues import CommonIssue, IssueMatch, matching_issues
from examday.facts.triage_steps import STEPS, Signs, Step, TriageReads

BUDGET_SECONDS = 30.0
SHOWN_CHARS = 200  # of an error in the terminal's lines (the record keeps it whole)


@dataclass(frozen=True)
class StepResult:
    name: str
    stands_for: str
    found: dict[str, Any] | None
    problem: str | None  # why it found nothing: could not read, or not run
    seconds: float

    def as_record(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Triage:
    issues: list[IssueMatch]
    steps: list[StepResult]
    seconds: float
    budget_seconds: float = BUDGET_SECONDS

    @property
    def headline(self) -> str:
        return self.issues[0].issue.name

    def as_record(self) -> dict[str, Any]:
        return {"issue": self.headline, "issues": [match.as_record() for match in self.issues],
                "steps": [step.as_record() for step in self.steps], "seconds": self.seconds,
                "budget_seconds": self.budget_seconds}

    def lines(self) -> list[str]:
        """The terminal's reading: each matching issue with why and the runbook's action, then the unread steps."""
        lines = [f"triage ({self.seconds:.1f} s): {' / '.join(match.issue.name for match in self.issues)}"]
        for match in self.issues:
            lines.append(f"  {_cut(match.describe())}")
            lines.append(f"    runbook ({match.issue.runbook}): {match.issue.action}")
        lines += [f"  {step.name}: {_cut(step.problem)}" for step in self.steps if step.problem]
        return lines


@dataclass(frozen=True)
class Diagnostics:
    """What the steps found, once: several items failing in one run share them."""

    steps: list[StepResult]
    signs: Signs
    seconds: float


def diagnose(reads: TriageReads, budget_seconds: float = BUDGET_SECONDS) -> Diagnostics:
    started = time.monotonic()
    results: list[StepResult] = []
    signs: Signs = {}
    for step in STEPS:
        if time.monotonic() - started >= budget_seconds:
            results.append(StepResult(step.name, step.stands_for, None,
                                      f"not run: the triage's {budget_seconds:g} s were spent", 0.0))
            continue
        results.append(_run(step, reads, signs))
    return Diagnostics(results, signs, round(time.monotonic() - started, 2))


def judged(own: CommonIssue, diagnostics: Diagnostics, budget_seconds: float = BUDGET_SECONDS) -> Triage:
    """The failed item's triage: the issues the diagnostics point to, its own among them."""
    return Triage(matching_issues(own, diagnostics.signs), diagnostics.steps, diagnostics.seconds, budget_seconds)


def triage(own: CommonIssue, reads: TriageReads, budget_seconds: float = BUDGET_SECONDS) -> Triage:
    return judged(own, diagnose(reads, budget_seconds), budget_seconds)


def _run(step: Step, reads: TriageReads, signs: Signs) -> StepResult:
    started = time.monotonic()
    try:
        found, seen = step.read(reads)
    except Exception as error:  # noqa: BLE001 - a step that cannot read is a finding, never the triage's end
        problem = f"could not read: {error}"
        if step.unreadable_sign is not None:
            signs.setdefault(step.unreadable_sign, []).append(f"{step.name}: {error}")
        return StepResult(step.name, step.stands_for, None, problem, round(time.monotonic() - started, 2))
    for issue, why in seen.items():
        signs.setdefault(issue, []).extend(why)
    return StepResult(step.name, step.stands_for, found, None, round(time.monotonic() - started, 2))


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."
