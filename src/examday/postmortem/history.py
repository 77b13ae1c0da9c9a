"""Every record of one exam, read back: the runs and watch rounds in time order, and what they say.

A record belongs to the exam its run named ([exam] id, in results.json's run.exam). Watch rounds
are records too (under watch-*/rounds/), so they are found the same way. Only what the records
hold is read: nothing here reaches the platform.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from examday.errors import ExamdayError
from examday.report.archive import CHECKLIST_NAME, RESULTS_NAME
from examday.watch.summary import RoundSummary, summary_from_results

FAILED = ("failed", "error")
SAMPLES_SHOWN = 20
INTEGRITY_ITEMS = ("POST-INT-01", "POST-INT-02")


class NoRecordsOfExam(ExamdayError):
    """No record under the reports folder names this exam."""


@dataclass(frozen=True)
class Failure:
    at: dt.datetime  # when its run started
    phase: str
    item_id: str
    title: str
    message: str
    remediation: str
    triage: dict[str, Any] | None
    record: str  # the record folder, relative to the reports folder

    @property
    def issue(self) -> str | None:
        return str(self.triage.get("issue")) if self.triage else None


@dataclass(frozen=True)
class RunEntry:
    record: str  # relative to the reports folder
    phase: str
    started_at: dt.datetime
    ended_at: dt.datetime
    verdict: str
    document: dict[str, Any] = field(repr=False)

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self.document.get("items", []))

    @property
    def checklist(self) -> str:
        return f"{self.record}/{CHECKLIST_NAME}"

    def failures(self) -> list[Failure]:
        return [Failure(self.started_at, self.phase, i["id"], i.get("title", ""), i.get("message", ""),
                        i.get("remediation", ""), i.get("triage"), self.record)
                for i in self.items if i.get("outcome") in FAILED]


@dataclass(frozen=True)
class ExamHistory:
    exam: dict[str, Any]  # id, title, starts_at, ends_at as the runs recorded them
    target: str
    runs: list[RunEntry]  # oldest first

    @property
    def failures(self) -> list[Failure]:
        return [failure for run in self.runs for failure in run.failures()]

    def during_rounds(self) -> list[RoundSummary]:
        """Each run with during items as one round of numbers (watch rounds and single runs alike)."""
        return [summary_from_results(run.document, number=n, started_at=run.started_at, ended_at=run.ended_at,
                                     record=run.record)
                for n, run in enumerate((r for r in self.runs if "during" in r.phase), start=1)]

    def statements(self, key: str) -> list[tuple[dict[str, Any], RunEntry]]:
        """Every waiver, attestation or declaration ("waiver", "attestation", "declaration") used, with its run."""
        return [({"item": i["id"], **i[key]}, run) for run in self.runs for i in run.items if i.get(key)]

    def error_samples(self) -> list[dict[str, Any]]:
        """5xx and error lines with their request IDs, from the triages and the recovery log item, newest last."""
        samples: list[dict[str, Any]] = []
        for run in self.runs:
            for i in run.items:
                for source in _sample_sources(i):
                    samples += [{**sample, "item": i["id"], "record": run.record} for sample in source]
        unique = {(s.get("request_id"), s.get("text"), s.get("at")): s for s in samples}
        return list(unique.values())[-SAMPLES_SHOWN:]

    def slowest_routes(self) -> list[tuple[str, int]]:
        """Per route, the most requests over the slow threshold one during run's window held. Not a sum:
        the windows of successive rounds overlap (15 minutes each, a round a minute), so a sum would
        count one slow request many times."""
        most: Counter[str] = Counter()
        for run in self.runs:
            for route, count in _evidence(run, "DUR-LAT-02").get("top_slow_routes") or []:
                most[str(route)] = max(most[str(route)], int(count))
        return most.most_common(10)

    def slowest_sql(self) -> list[dict[str, Any]]:
        """The slowest statements the triages saw, slowest first, and the most frequent slow ones."""
        seen: dict[str, dict[str, Any]] = {}
        for run in self.runs:
            for i in run.items:
                for query in _triage_found(i, "logs").get("slowest_sql") or []:
                    kept = seen.get(query["statement"])
                    if kept is None or (query.get("query_ms") or 0) > (kept.get("query_ms") or 0):
                        seen[query["statement"]] = query
            for statement, count in _evidence(run, "DUR-LAT-02").get("top_slow_sql") or []:
                seen.setdefault(str(statement), {"statement": statement, "query_ms": None, "request_id": None,
                                                 "count": count})
        return sorted(seen.values(), key=lambda q: -(q.get("query_ms") or 0))[:10]

    def integrity(self) -> list[dict[str, Any]]:
        """The integrity items of the latest post-exam or recovery run that checked them."""
        for run in reversed(self.runs):
            found = [i for i in run.items if i["id"] in INTEGRITY_ITEMS]
            if found:
                return [{"id": i["id"], "title": i.get("title", ""), "outcome": i["outcome"],
                         "message": i.get("message", ""), "nodeid": i.get("nodeid", ""), "record": run.record}
                        for i in found]
        return []


def exam_history(reports_dir: Path, which_exam: str) -> ExamHistory:
    runs, exam, target = [], None, ""
    for path in sorted(reports_dir.rglob(RESULTS_NAME)):
        document = _read(path)
        run = document.get("run", {}) if document else {}
        if (run.get("exam") or {}).get("id") != which_exam or path.parent.name.startswith("."):
            continue
        exam, target = run["exam"], run.get("target_name", "")
        runs.append(RunEntry(path.parent.relative_to(reports_dir).as_posix(), run.get("phase", "?"),
                             dt.datetime.fromisoformat(run["started_at"]), dt.datetime.fromisoformat(run["ended_at"]),
                             document.get("verdict", "?"), document))
    if exam is None:
        raise NoRecordsOfExam(f"no record under {reports_dir} names exam {which_exam!r}",
                              hint="give the exam's [exam] id and the reports folder its runs wrote to (--reports-dir)")
    return ExamHistory(exam, target, sorted(runs, key=lambda r: (r.started_at, r.record)))


def _read(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # not a record examday wrote (or a damaged one: `examday reports` names those)
    return document if isinstance(document, dict) else None


def _evidence(run: RunEntry, item_id: str) -> dict[str, Any]:
    return next((i.get("evidence") or {} for i in run.items if i["id"] == item_id), {})


def _triage_found(item: dict[str, Any], step: str) -> dict[str, Any]:
    steps = (item.get("triage") or {}).get("steps") or []
    return next((s.get("found") or {} for s in steps if s.get("name") == step), {})


def _sample_sources(item: dict[str, Any]) -> list[list[dict[str, Any]]]:
    logs = _triage_found(item, "logs")
    evidence = item.get("evidence") or {}
    return [logs.get("server_error_samples") or [], logs.get("error_line_samples") or [],
            evidence.get("server_error_samples") or [], evidence.get("error_line_samples") or []]
