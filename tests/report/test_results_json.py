"""results.json and its in-toto test-result statement."""

from __future__ import annotations

import json

from examday.report.results_json import PREDICATE_TYPE, STATEMENT_TYPE, read_run, render_results_json
from tests.report.records import item, run_of

DIGESTS = {"checklist.html": "1" * 64, "junit.xml": "2" * 64, "pytest-report.html": "3" * 64}


def test_the_statement_is_in_toto_v1_with_the_other_files_as_subject():
    document = json.loads(render_results_json(run_of(item("PRE-INF-01")), DIGESTS))
    statement = document["statement"]
    assert statement["_type"] == STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == PREDICATE_TYPE == "https://in-toto.io/attestation/test-result/v0.1"
    assert statement["subject"] == [{"name": n, "digest": {"sha256": d}} for n, d in sorted(DIGESTS.items())]
    assert statement["predicate"]["configuration"] == [{"name": "examday.toml", "digest": {"sha256": "a" * 64}}]


def test_result_follows_the_verdict_and_ids_are_listed_once_by_their_worst_outcome():
    run = run_of(item("PRE-INF-01"), item("PRE-INF-05", "passed"), item("PRE-INF-05", "failed"),
                 item("PRE-INF-03", "waived"), item("PRE-INF-07", "skipped"), item("PRE-INF-04", "error"))
    predicate = json.loads(render_results_json(run, DIGESTS))["statement"]["predicate"]
    assert predicate["result"] == "FAILED"
    assert predicate["passedTests"] == ["PRE-INF-01"]
    assert predicate["warnedTests"] == ["PRE-INF-03"]
    assert predicate["failedTests"] == ["PRE-INF-04", "PRE-INF-05"]


def test_go_is_passed_and_go_with_waivers_is_warned():
    passed = json.loads(render_results_json(run_of(item("PRE-INF-01")), DIGESTS))
    warned = json.loads(render_results_json(run_of(item("PRE-INF-03", "waived")), DIGESTS))
    assert (passed["verdict"], passed["statement"]["predicate"]["result"]) == ("GO", "PASSED")
    assert (warned["verdict"], warned["statement"]["predicate"]["result"]) == ("GO WITH WAIVERS", "WARNED")


def test_the_run_reads_back_as_written():
    run = run_of(item("PRE-INF-01", evidence={"a": [1, 2]}), item("PRE-COM-01", "skipped", manual=True))
    again = read_run(json.loads(render_results_json(run, DIGESTS)))
    assert again == run
