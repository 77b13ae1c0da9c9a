"""One round in a few numbers: what the trend page plots and the terminal table shows.

Read from the round's own results.json (the record), never from pytest's
output, so the page and the record cannot disagree. The numbers are the
evidence of the during items in checks/test_during.py, by item ID.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from examday.report.model import iso_utc
from examday.report.results_json import worst_outcomes

# Verdicts of a round beyond the record's own (GO, GO WITH WAIVERS, NO-GO):
ERROR = "ERROR"  # no record: the round crashed or timed out
INTERRUPTED = "INTERRUPTED"  # cut short by the operator before pytest recorded anything: not a failure
FAILING_VERDICTS = ("NO-GO", "INCOMPLETE", ERROR)

# Where each number lives in the during phase's evidence: the item, and the key its check records
# (checks/test_during.py). Defined only here; tests/watch/test_evidence_keys.py fails when a check
# stops writing one, which would otherwise blank the trend page without a word.
P95 = ("DUR-LAT-01", "p95_ms")
ERROR_RATE = ("DUR-ERR-01", "error_rate")
POOL_USAGE = ("DUR-SYS-01", "usage")
RESOURCES = ("DUR-SYS-02", "resources")
WATCHED_EVIDENCE = (P95, ERROR_RATE, POOL_USAGE, RESOURCES)


@dataclass
class RoundSummary:
    number: int
    started_at: dt.datetime
    ended_at: dt.datetime
    verdict: str  # GO | GO WITH WAIVERS | NO-GO | ERROR
    p95_ms: float | None = None
    error_rate: float | None = None
    pool_usage: float | None = None
    cpu_pct: dict[str, float] = field(default_factory=dict)  # container -> % of its CPU limit
    memory_pct: dict[str, float] = field(default_factory=dict)  # container -> % of its memory limit
    failed_items: list[str] = field(default_factory=list)
    triage: dict[str, str] = field(default_factory=dict)  # failed item -> the Common Issue its triage names
    item_outcomes: dict[str, str] = field(default_factory=dict)  # item ID -> its worst outcome in the round
    record: str | None = None  # the round's record folder, relative to the watch folder
    problem: str = ""  # why there is no (complete) record: timed out, cut short, crashed
    cut_short: bool = False

    @property
    def failed(self) -> bool:
        return self.verdict in FAILING_VERDICTS

    @property
    def failed_notes(self) -> str:
        """"DUR-LAT-01 (High Latency), DUR-SYS-01": each failed item with what its triage points to."""
        return ", ".join(f"{item} ({self.triage[item]})" if item in self.triage else item
                         for item in self.failed_items)

    @property
    def max_cpu(self) -> tuple[str, float] | None:
        return _largest(self.cpu_pct)

    @property
    def max_memory(self) -> tuple[str, float] | None:
        return _largest(self.memory_pct)

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["started_at"] = iso_utc(self.started_at)
        data["ended_at"] = iso_utc(self.ended_at)
        data["failed"] = self.failed
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoundSummary:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in names}
        values["started_at"] = dt.datetime.fromisoformat(data["started_at"])
        values["ended_at"] = dt.datetime.fromisoformat(data["ended_at"])
        return cls(**values)


def summary_from_results(document: dict[str, Any], **round_fields: Any) -> RoundSummary:
    """A RoundSummary from a parsed results.json; round_fields give number, times, record, problem."""
    items = document.get("items", [])
    evidence = {item["id"]: item.get("evidence") or {} for item in items}
    item_id, key = RESOURCES
    resources = evidence.get(item_id, {}).get(key) or {}
    return RoundSummary(
        verdict=document.get("verdict", ERROR),
        p95_ms=_reading(evidence, P95),
        error_rate=_reading(evidence, ERROR_RATE),
        pool_usage=_reading(evidence, POOL_USAGE),
        cpu_pct=_per_container(resources, "cpu_pct"),
        memory_pct=_per_container(resources, "memory_pct"),
        failed_items=sorted({item["id"] for item in items if item.get("outcome") in ("failed", "error")}),
        triage={item["id"]: str(item["triage"].get("issue")) for item in items if isinstance(item.get("triage"), dict)},
        item_outcomes=dict(sorted(worst_outcomes((i["id"], str(i.get("outcome"))) for i in items).items())),
        **round_fields)



def _reading(evidence: dict[str, Any], where: tuple[str, str]) -> float | None:
    """The value of a key metric's reading ({"value", "source"}: facts.key_metrics.Reading)."""
    item_id, key = where
    reading = evidence.get(item_id, {}).get(key)
    return _number(reading.get("value")) if isinstance(reading, dict) else None


def read_results(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _per_container(resources: dict[str, Any], key: str) -> dict[str, float]:
    values = {name: _number(sample.get(key)) for name, sample in resources.items() if isinstance(sample, dict)}
    return {name: value for name, value in sorted(values.items()) if value is not None}


def _number(value: Any) -> float | None:
    # Evidence is data from a record on disk: anything but a number means "not measured".
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _largest(values: dict[str, float]) -> tuple[str, float] | None:
    return max(values.items(), key=lambda pair: pair[1]) if values else None

