"""A round's numbers, read from the results.json a during run writes."""

from __future__ import annotations

import datetime as dt

from examday.report.results_json import results_document
from examday.watch.summary import RoundSummary, summary_from_results
from tests.report.records import item, run_of

NOW = dt.datetime(2030, 6, 1, 9, 0, tzinfo=dt.timezone.utc)
RESOURCES = {"exam_platform_backend": {"cpu_pct": 41.5, "memory_pct": 25.1, "memory_used_mb": 1, "memory_limit_mb": 4},
             "exam_platform_redis": {"cpu_pct": 2.0, "memory_pct": 60.2, "memory_used_mb": 1, "memory_limit_mb": 2}}


def during_results(p95_outcome: str = "passed") -> dict:
    run = run_of(
        item("DUR-LAT-01", p95_outcome, evidence={"p95_ms": {"value": 612.5, "source": "logs"}, "requests": 40}),
        item("DUR-ERR-01", evidence={"error_rate": {"value": 0.0025, "source": "logs"}, "logged_requests": 40}),
        item("DUR-SYS-01", evidence={"usage": {"value": 0.5, "source": "prometheus"}, "pg_stat_activity": {}}),
        item("DUR-SYS-02", evidence={"resources": RESOURCES}),
        item("DUR-DRF-01", "error", evidence={}),
        phase="during")
    return results_document(run, {})


def summary_of(document: dict) -> RoundSummary:
    return summary_from_results(document, number=1, started_at=NOW, ended_at=NOW, record="rounds/x")


def test_the_numbers_come_from_each_items_evidence():
    summary = summary_of(during_results())
    assert (summary.p95_ms, summary.error_rate, summary.pool_usage) == (612.5, 0.0025, 0.5)
    assert summary.cpu_pct == {"exam_platform_backend": 41.5, "exam_platform_redis": 2.0}
    assert summary.max_memory == ("exam_platform_redis", 60.2)
    assert summary.verdict == "NO-GO" and summary.failed
    assert summary.failed_items == ["DUR-DRF-01"]


def test_an_item_that_did_not_measure_leaves_its_number_empty():
    document = during_results()
    document["items"] = [i for i in document["items"] if i["id"] != "DUR-LAT-01"]
    document["items"][0]["evidence"] = {"error_rate": None}
    summary = summary_of(document)
    assert summary.p95_ms is None and summary.error_rate is None and summary.pool_usage == 0.5


def test_failed_items_are_listed_once_by_id():
    summary = summary_of(during_results("failed"))
    assert summary.failed_items == ["DUR-DRF-01", "DUR-LAT-01"]


def test_a_failed_items_triage_names_its_common_issue_in_the_rounds_notes():
    document = during_results("failed")
    [latency] = [i for i in document["items"] if i["id"] == "DUR-LAT-01"]
    latency["triage"] = {"issue": "High Latency", "issues": [], "steps": []}
    summary = summary_of(document)
    assert summary.triage == {"DUR-LAT-01": "High Latency"}
    assert summary.failed_notes == "DUR-DRF-01, DUR-LAT-01 (High Latency)"
