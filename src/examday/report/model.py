"""What a checklist run was: one `ItemRecord` per item, one `RunRecord` per run.

Plain dataclasses holding only redacted, JSON-ready values: every renderer
(HTML, JSON, JUnit) reads the same record, so the files of a record cannot
disagree about an outcome.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

# "skipped": not checked (an automated one makes the run INCOMPLETE; a manual one is unattested).
# "not_applicable": not checked for a reason the target declares (message and declaration say it).
Outcome = Literal["passed", "failed", "skipped", "not_applicable", "waived", "error"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "skipped", "not_applicable", "waived", "error")


@dataclass
class ItemRecord:
    id: str
    title: str
    runbook: str
    phases: list[str]
    nodeid: str
    outcome: Outcome
    message: str = ""
    remediation: str = ""
    impact: str = "critical"
    manual: bool = False
    evidence: dict[str, Any] = field(default_factory=dict)
    attestation: dict[str, Any] | None = None
    waiver: dict[str, Any] | None = None
    declaration: dict[str, Any] | None = None  # the target's [[not_applicable]] entry that covered it
    duration_s: float = 0.0
    figures: dict[str, str] = field(default_factory=dict)  # name -> <svg>, shown under the item
    references: list[str] = field(default_factory=list)  # where the item's assumptions are written (docs/)
    triage: dict[str, Any] | None = None  # a failed item's diagnostics: the Common Issue, its steps' findings

    @property
    def unattested(self) -> bool:
        """A manual item that no current attestation satisfied."""
        return self.manual and self.attestation is None and self.outcome != "passed"

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemRecord:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


@dataclass
class RunRecord:
    target_name: str
    target_kind: str
    phase: str  # the marker expression the run selected, e.g. "preexam" or "preexam or freeze"
    operator: str
    started_at: dt.datetime
    ended_at: dt.datetime
    examday_version: str
    git_commit: str
    config_digest: str
    config_name: str = "examday.toml"
    exam: dict[str, Any] | None = None  # id, title, starts_at, ends_at (ISO 8601)
    host: str = ""
    strict_attestations: bool = False
    items: list[ItemRecord] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {outcome: sum(1 for i in self.items if i.outcome == outcome) for outcome in OUTCOMES}

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["started_at"] = _iso(self.started_at)
        data["ended_at"] = _iso(self.ended_at)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in names}
        values["started_at"] = dt.datetime.fromisoformat(data["started_at"])
        values["ended_at"] = dt.datetime.fromisoformat(data["ended_at"])
        values["items"] = [ItemRecord.from_dict(item) for item in data.get("items", [])]
        return cls(**values)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_utc(moment: dt.datetime) -> str:
    """2026-11-28T20:15:00Z: the one timestamp format of every record file."""
    return _iso(moment)
