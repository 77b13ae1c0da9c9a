"""The students on Locust (master + two worker processes on this machine) against the fake platform:
the same plan played, every acknowledged answer the one stored, the per-second series merged from
both workers; and a run within its caps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from examday.rehearsal import exam_day
from examday.rehearsal.locust.engine import LocustEngine
from examday.rehearsal.locust.job import LocustJob
from tests.rehearsal.conftest import PASSWORD, STUDENTS
from tests.rehearsal.fake_platform import FakePlatform, running

pytestmark = pytest.mark.slow

@pytest.fixture
def port(platform: FakePlatform) -> Iterator[int]:
    with running(platform) as port:
        yield port


def job_for(port: int, steps, **caps) -> LocustJob:
    return LocustJob(base_url=f"http://127.0.0.1:{port}", workers=2, max_requests=caps.get("max_requests", 10_000),
                     max_duration_s=caps.get("max_duration_s", 30.0), timeout_s=5.0, prefix="/v1",
                     steps=[(s.at, s.student, s.action.value) for s in steps], lead_s=1.0)


def test_two_workers_play_every_student_and_every_acknowledged_answer_is_stored(platform, port, monkeypatch):
    monkeypatch.setenv("EXAMDAY_REHEARSAL_PASSWORD", PASSWORD)
    plan = exam_day(STUDENTS, join_within_s=1.0, answer_rate_per_s=30, answer_for_s=2.0, submit_within_s=0.5, seed=1)
    result = LocustEngine(processes=2).run(job_for(port, plan), "StudentUser", STUDENTS + 2, planned=len(plan))
    assert result.engine == "locust" and result.workers == 2
    assert result.outcomes["2xx"] > len(plan) and result.error_count == 0, (result.outcomes, result.examples)
    ledger = result.ledger
    assert ledger is not None and len(ledger.sessions) == STUDENTS and len(ledger.submitted) == STUDENTS
    assert ledger.acknowledged and all(platform.stored[key] == value for key, value in ledger.acknowledged.items())
    assert sum(s.requests for s in result.seconds) == result.answered and result.p95_ms is not None
    assert len({user for user, _ in platform.requests}) == STUDENTS  # both workers' shares were played


def test_each_worker_holds_its_share_of_the_request_cap(platform, port, monkeypatch):
    monkeypatch.setenv("EXAMDAY_REHEARSAL_PASSWORD", PASSWORD)
    plan = exam_day(STUDENTS, join_within_s=0.5, answer_rate_per_s=60, answer_for_s=2.0, submit_within_s=0.5, seed=2)
    result = LocustEngine(processes=2).run(job_for(port, plan, max_requests=20), "StudentUser", STUDENTS + 2,
                                           planned=len(plan))
    assert len(platform.requests) <= 20 and result.sent == len(platform.requests)
    assert result.stopped_by == "max_requests" and result.outcomes["capped"] > 0


def test_every_worker_stops_at_the_time_cap_whatever_the_plan(platform, port, monkeypatch):
    monkeypatch.setenv("EXAMDAY_REHEARSAL_PASSWORD", PASSWORD)
    plan = exam_day(STUDENTS, join_within_s=0.5, answer_rate_per_s=10, answer_for_s=30.0, submit_within_s=0.5, seed=3)
    result = LocustEngine(processes=2).run(job_for(port, plan, max_duration_s=2.0), "StudentUser", STUDENTS + 2,
                                           planned=len(plan))
    assert result.stopped_by == "max_duration" and result.duration_s < 2.0 + 5.0
    assert max(s.second for s in result.seconds) <= 2 and result.answered < len(plan)
