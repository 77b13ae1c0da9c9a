"""RunRecords built in code, for the renderers' unit tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from examday.report.model import ItemRecord, RunRecord

STARTED = dt.datetime(2030, 5, 31, 9, 15, 0, tzinfo=dt.timezone.utc)


def item(item_id: str, outcome: str = "passed", **fields: Any) -> ItemRecord:
    values: dict[str, Any] = {"title": f"title of {item_id}", "runbook": "Pre-Exam Checklist / Infrastructure",
                              "phases": ["preexam"], "nodeid": f"checks/test_x.py::test_{item_id.lower()}",
                              "remediation": f"fix {item_id}", "evidence": {"seen": 1}}
    values.update(fields)
    return ItemRecord(id=item_id, outcome=outcome, **values)  # type: ignore[arg-type]


def run_of(*items: ItemRecord, strict: bool = False, **fields: Any) -> RunRecord:
    values: dict[str, Any] = {
        "target_name": "sandbox", "target_kind": "sandbox", "phase": "preexam", "operator": "Dana Okafor",
        "started_at": STARTED, "ended_at": STARTED + dt.timedelta(seconds=42), "examday_version": "0.1.0",
        "git_commit": "0" * 40, "config_digest": "a" * 64,
        "exam": {"id": "EXAM-42", "title": "Mathematics", "starts_at": "2030-06-01T09:00:00Z",
                 "ends_at": "2030-06-01T12:00:00Z"}}
    values.update(fields)
    return RunRecord(items=list(items), strict_attestations=strict, **values)
