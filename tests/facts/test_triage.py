"""Triage of a failed during item (facts/triage.py): which Common Issue, each step bounded, a dead step a finding.

The steps are replaced by stand-ins here (what they read is tested on the sandbox, in
tests/checks/test_freeze_during_on_sandbox.py); this holds the judging and the bounds.
"""

from __future__ import annotations

import time

import pytest

from examday.facts import triage as triage_module
from examday.facts.common_issues import (
    BACKEND_WORKER_FAILURE, COMMON_ISSUES, HIGH_ERROR_RATE, HIGH_LATENCY, REDIS_FAILURE, matching_issues,
)
from examday.facts.triage import triage
from examday.facts.triage_steps import STEPS, Step
from examday.probes.errors import Unreachable

READS = object()  # the stand-in steps read nothing


def steps(*made: Step) -> tuple[Step, ...]:
    return made


def found(name: str, signs: dict | None = None, seconds: float = 0.0) -> Step:
    def read(_reads):
        time.sleep(seconds)
        return {"step": name}, signs or {}
    return Step(name, f"the runbook's {name} command", read)


def test_the_cause_comes_before_the_failed_items_own_issue(monkeypatch):
    monkeypatch.setattr(triage_module, "STEPS", steps(
        found("pool", {HIGH_LATENCY: ["pool 97% used (58 of 60 pooled connections)"]}),
        found("workers", {BACKEND_WORKER_FAILURE: ["2 of 3 uvicorn workers running"]})))
    result = triage(HIGH_ERROR_RATE, READS)
    assert [m.issue.name for m in result.issues] == ["Backend Worker Failure", "High Error Rate", "High Latency"]
    assert result.issues[1].because == ("the item failed",)  # its own issue, with nothing more to say
    assert result.headline == "Backend Worker Failure"


def test_a_step_that_cannot_read_is_recorded_and_a_dead_datastore_is_a_sign(monkeypatch):
    def redis_gone(_reads):
        raise Unreachable("Redis at 127.0.0.1:6379: connection refused", dependency="redis")
    monkeypatch.setattr(triage_module, "STEPS", steps(Step("redis", "redis-cli ping", redis_gone, REDIS_FAILURE),
                                                      found("logs")))
    result = triage(REDIS_FAILURE, READS)
    redis, logs = result.steps
    assert redis.found is None and "connection refused" in redis.problem
    assert logs.found == {"step": "logs"}  # the others still ran
    assert result.issues[0].because == ("redis: Redis at 127.0.0.1:6379: connection refused",)


def test_steps_after_the_budget_are_not_run_and_say_so(monkeypatch):
    monkeypatch.setattr(triage_module, "STEPS", steps(found("slow", seconds=0.3), found("never")))
    result = triage(HIGH_LATENCY, READS, budget_seconds=0.2)
    assert result.steps[1].problem == "not run: the triage's 0.2 s were spent"
    assert result.seconds < 1


def test_the_terminal_lines_name_each_issue_its_reasons_and_the_runbooks_action(monkeypatch):
    monkeypatch.setattr(triage_module, "STEPS", steps(found("logs", {HIGH_LATENCY: ["x" * 500]})))
    lines = triage(HIGH_LATENCY, READS).lines()
    assert lines[0].startswith("triage (") and lines[0].endswith("): High Latency")
    assert lines[1].endswith("...") and len(lines[1]) < 260  # a long reason is cut on the terminal
    assert "During Exam / Common Issues / High Latency" in lines[2] and "pool_size" in lines[2]


def test_every_issue_is_one_of_the_runbooks_and_the_real_steps_cover_its_commands():
    assert set(COMMON_ISSUES) == {"High Latency", "High Error Rate", "Redis Failure", "Backend Worker Failure",
                                  "Database unresponsive"}
    commands = " ".join(step.stands_for for step in STEPS)
    for command in ("pg_stat_activity", "slow_sql", "docker stats", "redis-cli ping", "pg_isready", "<proxy>"):
        assert command in commands


@pytest.mark.parametrize("own", list(COMMON_ISSUES.values()))
def test_the_own_issue_is_always_named(own):
    assert own in [match.issue for match in matching_issues(own, {})]
