"""The Locust engine's pure parts: the job a worker gets, the per-second buckets and their merge on the
master, the ledger across processes, and the master's report read back as the LoadResult drills judge."""

from __future__ import annotations

import json

import pytest

from examday.rehearsal.drill import Drills
from examday.rehearsal.ledger import AnswerLedger
from examday.rehearsal.locust.job import JobError, LocustJob, PlanRecipe
from examday.rehearsal.locust.second_stats import SecondBuckets, ledger_from_wire, ledger_to_wire, load_result
from examday.rehearsal.students import numbered_accounts

ZERO = 1_800_000_000.0


def a_job(**more) -> LocustJob:
    return LocustJob(base_url="http://127.0.0.1:8000", workers=3, max_requests=1000, max_duration_s=60,
                     plan=PlanRecipe(10, 20.0, 5.0, 10.0, 25.0, late_joiners=True), **more)


def test_the_job_travels_as_json_and_every_worker_rebuilds_the_drills_plan():
    job = LocustJob.from_json(a_job(client_network="10.88.0.0/16").to_json())
    assert job == a_job(client_network="10.88.0.0/16")

    class Settings:
        answer_rate_per_s = 20.0
    drills = Drills(Settings(), None, numbered_accounts(10, "pw"), None, False)
    assert job.plan_steps() == drills.plan(5.0, 10.0, 25.0, late_joiners=True)
    shares = [job.shard(index) for index in range(job.workers)]
    assert sorted(sum(shares, [])) == list(range(10)) and max(map(len, shares)) - min(map(len, shares)) <= 1
    assert job.requests_per_worker() == 334 and job.addresses()[:2] == ["10.88.0.1", "10.88.0.2"]


@pytest.mark.parametrize("text, says", [
    ('{"version": 99}', "another examday version"),
    ("not json", "cannot read"),
    ('{"version": 1, "base_url": "http://x"}', "cannot read"),
])
def test_a_job_a_worker_cannot_read_is_one_clear_error(text, says):
    with pytest.raises(JobError, match=says):
        LocustJob.from_json(text)


def test_a_worker_without_the_password_says_which_variable_to_export(monkeypatch):
    monkeypatch.delenv("EXAMDAY_REHEARSAL_PASSWORD", raising=False)
    with pytest.raises(JobError, match="export EXAMDAY_REHEARSAL_PASSWORD"):
        a_job().accounts()


def recorded(buckets: SecondBuckets, requests: list[tuple[float, float | None, str]]) -> SecondBuckets:
    for sent_at, latency_s, outcome in requests:
        buckets.record(ZERO + sent_at, latency_s, outcome, f"example of {outcome}")
    return buckets


REQUESTS = [(0.1, 0.010, "2xx"), (0.5, 0.020, "2xx"), (0.9, 0.300, "5xx"), (1.2, 0.015, "2xx"),
            (1.3, None, "connection"), (1.4, 10.0, "timeout"), (2.0, None, "capped"), (2.5, 0.040, "429")]


def test_buckets_drained_in_parts_by_two_workers_merge_into_what_one_recorder_holds():
    one = recorded(SecondBuckets(ZERO), REQUESTS)
    master, first, second = SecondBuckets(ZERO), SecondBuckets(ZERO), SecondBuckets(ZERO)
    recorded(first, REQUESTS[:3])
    master.merge(json.loads(json.dumps(first.drain())))  # a periodic report, through a wire format
    recorded(first, REQUESTS[3:5])
    recorded(second, REQUESTS[5:])
    for worker in (first, second):
        master.merge(worker.drain())
    assert first.drain()["seconds"] == {}  # drained: nothing is reported twice
    expected, merged = one.drain(), master.drain()
    assert merged["seconds"].keys() == expected["seconds"].keys()
    for second_key, data in expected["seconds"].items():
        assert merged["seconds"][second_key]["outcomes"] == data["outcomes"]
        assert merged["seconds"][second_key]["errors"] == data["errors"]
    assert merged["examples"] == expected["examples"]


def test_the_ledger_crosses_processes_intact():
    ledger = AnswerLedger()
    ledger.acknowledge("s1", "q1", 2)
    ledger.acknowledge("s1", "q2", None)
    ledger.unsure("s1", "q1", 3)
    ledger.unsure("s1", "q1", None)
    ledger.submitted["s1"] = "SUBMITTED"
    ledger.sessions["student001"] = "s1"
    other = AnswerLedger()
    other.acknowledge("s2", "q1", 0)
    merged = ledger_from_wire(json.loads(json.dumps(ledger_to_wire(ledger))))
    ledger_from_wire(ledger_to_wire(other), into=merged)
    assert merged.acknowledged == {("s1", "q1"): 2, ("s1", "q2"): None, ("s2", "q1"): 0}
    assert merged.unconfirmed == {("s1", "q1"): {3, None}}
    assert merged.submitted == {"s1": "SUBMITTED"} and merged.sessions == {"student001": "s1"}


def test_the_masters_report_reads_back_as_the_load_result_the_drills_judge():
    wire = recorded(SecondBuckets(ZERO), REQUESTS).drain()
    ledger = AnswerLedger()
    ledger.acknowledge("s1", "q1", 1)
    report = {"started_at": ZERO, "ended_at": ZERO + 4.0, "workers": 2, "seconds": wire["seconds"],
              "examples": wire["examples"], "ledger": ledger_to_wire(ledger), "notes": {"login failed: HTTP 429": 1},
              "stopped_by": None, "refused": []}
    result = load_result(json.loads(json.dumps(report)), planned=9)
    assert (result.engine, result.workers, result.planned, result.sent) == ("locust", 2, 9, 7)
    assert [(s.second, s.requests, s.errors) for s in result.seconds] == [(0, 3, 1), (1, 2, 1), (2, 1, 1)]
    assert result.seconds[0].max_ms == pytest.approx(300, rel=0.01)
    assert result.outcomes["capped"] == 1 and result.errors == {"429": 1, "5xx": 1, "timeout": 1, "connection": 1}
    assert result.throughput_rps == pytest.approx(5 / 4.0)
    assert result.answers_acknowledged == 1 and result.notes == {"login failed: HTTP 429": 1}
    assert result.send_lag_p99_ms is None  # Locust does not schedule: its latencies count from the send
