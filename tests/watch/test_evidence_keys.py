"""The numbers the watch plots are read back from evidence the during checks write: the keys are
defined once (watch/summary.py), and this test holds the checks to them, so renaming one in a check
fails here instead of blanking the trend page."""

from __future__ import annotations

import ast
from pathlib import Path

from examday.facts.resources import resource_evidence
from examday.probes.docker_observations import ResourceObservation
from examday.watch.summary import RESOURCES, WATCHED_EVIDENCE, summary_from_results

CHECKS = Path(__file__).resolve().parents[2] / "checks"


def recorded_keys_by_item() -> dict[str, set[str]]:
    """item ID -> the keyword names its check passes to evidence.record(...)."""
    found: dict[str, set[str]] = {}
    for path in CHECKS.glob("test_*.py"):
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef):
                continue
            ids = [d.args[0].value for d in function.decorator_list
                   if isinstance(d, ast.Call) and getattr(d.func, "id", None) == "item"
                   and d.args and isinstance(d.args[0], ast.Constant)]
            keys = {kw.arg for call in ast.walk(function) if isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute) and call.func.attr == "record"
                    for kw in call.keywords if kw.arg}
            for item_id in ids:
                found.setdefault(item_id, set()).update(keys)
    return found


def test_every_watched_number_is_recorded_by_its_check_under_that_key():
    recorded = recorded_keys_by_item()
    missing = [f"{item_id} does not record {key!r}" for item_id, key in WATCHED_EVIDENCE
               if key not in recorded.get(item_id, set())]
    assert not missing, missing


def test_the_finder_sees_a_check_that_renamed_its_key():
    assert "p95_ms" in recorded_keys_by_item()["DUR-LAT-01"]
    assert "p95" not in recorded_keys_by_item()["DUR-LAT-01"]


def test_resource_evidence_reads_back_as_the_rounds_cpu_and_memory():
    sample = ResourceObservation("exam_platform_backend", 42.0, 512 * 1048576, 1024 * 1048576, pids=9)
    item_id, key = RESOURCES
    document = {"verdict": "GO", "items": [{"id": item_id, "outcome": "passed",
                                             "evidence": {key: resource_evidence({sample.name: sample})}}]}
    summary = summary_from_results(document, number=1, started_at=None, ended_at=None)
    assert summary.cpu_pct == {"exam_platform_backend": 42.0}
    assert summary.memory_pct == {"exam_platform_backend": 50.0}
