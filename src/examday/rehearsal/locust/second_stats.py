"""Per-second stats on the Locust workers, their merge on the master, and the master's report as a LoadResult.

A worker buckets every request by the wall-clock second of its send, counted from second 0 of
the plan (one time for all workers: the master's, so the workers' clocks must agree, as NTP
keeps them): outcomes by examday's classes (recorder.status_class, "timeout", "connection",
"cut", "capped") and an HdrHistogram of latency in microseconds. Buckets are drained into every
stats report a worker sends its master and added up there, so a second reported in parts, or by
several workers, merges exactly. Latencies here are Locust's own: they count from the moment a
request was sent, not from its scheduled time (the built-in engine's open-loop measure); a
stalled server therefore shows as fewer requests in those seconds rather than as their delay.

As in the built-in engine, a second's requests are those with a latency (answered, or timed out
at the moment they were given up); failed connections and requests never sent are counted by
class only. Everything here is pure Python (no gevent): examday reads the report with it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

from examday.rehearsal.ledger import AnswerLedger
from examday.rehearsal.recorder import MAX_MICROSECONDS, SIGNIFICANT_DIGITS
from examday.rehearsal.results import ANSWERED, OUTCOMES, UNANSWERED, LoadResult, SecondStats, percentile_ms

WITH_LATENCY = frozenset(ANSWERED) | {"timeout"}


def _histogram() -> HdrHistogram:
    return HdrHistogram(1, MAX_MICROSECONDS, SIGNIFICANT_DIGITS)


@dataclass
class Bucket:
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: int = 0  # requests with a latency that did not end in a 2xx
    latency: HdrHistogram = field(default_factory=_histogram)

    def to_wire(self) -> dict[str, Any]:
        return {"outcomes": dict(self.outcomes), "errors": self.errors,
                "latency": self.latency.encode().decode("ascii") if self.latency.get_total_count() else ""}

    def add_wire(self, data: Mapping[str, Any]) -> None:
        self.outcomes.update(data["outcomes"])
        self.errors += int(data["errors"])
        if data["latency"]:
            self.latency.add(HdrHistogram.decode(data["latency"]))


class SecondBuckets:
    """Requests by the second of their send (from ``zero``, a wall-clock epoch), one example per failure."""

    def __init__(self, zero: float) -> None:
        self.zero = zero
        self.buckets: dict[int, Bucket] = {}
        self.examples: dict[str, str] = {}

    def record(self, sent_at: float, latency_s: float | None, outcome: str, example: str | None = None) -> None:
        bucket = self._bucket(max(int(sent_at - self.zero), 0))
        bucket.outcomes[outcome] += 1
        if example and outcome != "2xx":
            self.examples.setdefault(outcome, example)
        if latency_s is None or outcome not in WITH_LATENCY:
            return
        bucket.latency.record_value(min(max(int(latency_s * 1e6 + 0.5), 1), MAX_MICROSECONDS))
        if outcome != "2xx":
            bucket.errors += 1

    def drain(self) -> dict[str, Any]:
        """Everything recorded since the last drain, as plain data (for Locust's msgpack messages)."""
        wire = {"seconds": {str(second): bucket.to_wire() for second, bucket in self.buckets.items()},
                "examples": dict(self.examples)}
        self.buckets = {}
        return wire

    def merge(self, wire: Mapping[str, Any]) -> None:
        for second, data in wire["seconds"].items():
            self._bucket(int(second)).add_wire(data)
        for outcome, example in wire["examples"].items():
            self.examples.setdefault(outcome, example)

    def _bucket(self, second: int) -> Bucket:
        bucket = self.buckets.get(second)
        if bucket is None:
            bucket = self.buckets[second] = Bucket()
        return bucket


# -- the ledger across processes: tuples and sets are not msgpack/JSON types --------------------------

def ledger_to_wire(ledger: AnswerLedger) -> dict[str, Any]:
    return {"acknowledged": [[sid, qid, value] for (sid, qid), value in ledger.acknowledged.items()],
            "unconfirmed": [[sid, qid, sorted(values, key=str)] for (sid, qid), values in ledger.unconfirmed.items()],
            "submitted": dict(ledger.submitted), "sessions": dict(ledger.sessions)}


def ledger_from_wire(wire: Mapping[str, Any], into: AnswerLedger | None = None) -> AnswerLedger:
    """``into`` (or a new ledger) with the wire's entries added: workers play disjoint students."""
    ledger = into if into is not None else AnswerLedger()
    for sid, qid, value in wire["acknowledged"]:
        ledger.acknowledge(sid, qid, value)
    for sid, qid, values in wire["unconfirmed"]:
        for value in values:
            ledger.unsure(sid, qid, value)
    ledger.submitted.update(wire["submitted"])
    ledger.sessions.update(wire["sessions"])
    return ledger


# -- the master's report, read back by examday -------------------------------------------------------

def load_result(report: Mapping[str, Any], planned: int) -> LoadResult:
    """The master's report as the LoadResult the drills judge (send lateness: none, Locust does not schedule)."""
    buckets = SecondBuckets(float(report["started_at"]))
    buckets.merge({"seconds": report["seconds"], "examples": report.get("examples", {})})
    histogram, seconds, outcomes = _histogram(), [], dict.fromkeys(OUTCOMES, 0)
    for second in sorted(buckets.buckets):
        bucket = buckets.buckets[second]
        for outcome, count in bucket.outcomes.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
        count = bucket.latency.get_total_count()
        if count:
            histogram.add(bucket.latency)
            seconds.append(SecondStats(second, count, percentile_ms(bucket.latency, 50) or 0.0,
                                       percentile_ms(bucket.latency, 95) or 0.0,
                                       bucket.latency.get_max_value() / 1000, bucket.errors))
    duration = max(float(report["ended_at"]) - float(report["started_at"]), 1e-9)
    answered = sum(outcomes[name] for name in ANSWERED)
    return LoadResult(
        started_at=dt.datetime.fromtimestamp(float(report["started_at"]), dt.UTC),
        duration_s=round(duration, 6), planned=planned, sent=answered + sum(outcomes[n] for n in UNANSWERED),
        p50_ms=percentile_ms(histogram, 50), p95_ms=percentile_ms(histogram, 95), p99_ms=percentile_ms(histogram, 99),
        max_ms=histogram.get_max_value() / 1000 if histogram.get_total_count() else None,
        throughput_rps=answered / duration, outcomes=outcomes,
        send_lag_p50_ms=None, send_lag_p99_ms=None, send_lag_max_ms=None,
        seconds=tuple(seconds), examples=dict(buckets.examples), stopped_by=report.get("stopped_by"),
        histogram=histogram, ledger=ledger_from_wire(report["ledger"]) if report.get("ledger") else None,
        notes=dict(sorted(report.get("notes", {}).items())), engine="locust", workers=int(report["workers"]))
