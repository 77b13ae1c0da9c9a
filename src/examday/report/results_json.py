"""results.json: the run for machines, with an in-toto test-result statement.

The statement (in-toto Attestation Framework, Statement v1, predicate
test-result v0.1) names the record's other files as its subject, by sha256,
and sums the run up as PASSED (GO), WARNED (GO WITH WAIVERS) or FAILED
(NO-GO, and INCOMPLETE: a run that did not check everything passed nothing as a
whole). Each ID is listed once, under its worst outcome; skipped and not applicable
items are in no list (the item list above the statement has them, with reasons).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from examday.report.model import RunRecord
from examday.report.verdict import Verdict, run_verdict

SCHEMA = "examday.results/v1"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
RESULT_OF_VERDICT = {Verdict.GO: "PASSED", Verdict.GO_WITH_WAIVERS: "WARNED", Verdict.INCOMPLETE: "FAILED",
                     Verdict.NO_GO: "FAILED"}
_SEVERITY = {"failed": 3, "error": 3, "waived": 2, "passed": 1, "skipped": 0, "not_applicable": 0}


def worst_outcomes(outcomes: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(item ID, outcome) pairs -> each ID's worst outcome: a parametrized item counts once."""
    worst: dict[str, str] = {}
    for item_id, outcome in outcomes:
        current = worst.get(item_id)
        if current is None or _SEVERITY.get(outcome, 0) > _SEVERITY.get(current, 0):
            worst[item_id] = outcome
    return worst


def test_result_statement(run: RunRecord, subject_digests: dict[str, str]) -> dict[str, Any]:
    """An in-toto Statement whose subject is the files named in subject_digests (name -> sha256)."""
    worst = worst_outcomes((item.id, item.outcome) for item in run.items)
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": digest}} for name, digest in sorted(subject_digests.items())],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "result": RESULT_OF_VERDICT[run_verdict(run)],
            "configuration": [{"name": run.config_name, "digest": {"sha256": run.config_digest}}],
            "passedTests": sorted(i for i, o in worst.items() if o == "passed"),
            "warnedTests": sorted(i for i, o in worst.items() if o == "waived"),
            "failedTests": sorted(i for i, o in worst.items() if o in ("failed", "error")),
        },
    }


def results_document(run: RunRecord, subject_digests: dict[str, str]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "verdict": run_verdict(run).value,
        "counts": run.counts(),
        "run": {k: v for k, v in run.as_dict().items() if k != "items"},
        "items": [item.as_dict() for item in run.items],
        "statement": test_result_statement(run, subject_digests),
    }


def render_results_json(run: RunRecord, subject_digests: dict[str, str]) -> str:
    return json.dumps(results_document(run, subject_digests), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def read_run(document: dict[str, Any]) -> RunRecord:
    """The RunRecord back from a results.json document (for `examday reports`)."""
    return RunRecord.from_dict({**document["run"], "items": document.get("items", [])})
