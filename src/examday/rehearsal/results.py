"""What a load run leaves: percentiles, throughput, outcomes by class, the per-second series, the ledger."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hdrh.histogram import HdrHistogram

if TYPE_CHECKING:
    from examday.rehearsal.ledger import AnswerLedger

# Outcome classes. Every request ends in exactly one; only "2xx" is a success.
ANSWERED = ("2xx", "3xx", "4xx", "429", "5xx")
UNANSWERED = ("timeout", "connection")
NOT_SENT = ("cut", "capped")  # in flight or queued when the run's time cap struck; refused by the request cap
OUTCOMES = ANSWERED + UNANSWERED + NOT_SENT


@dataclass(frozen=True)
class SecondStats:
    """The requests scheduled in one second of the run (``second`` from its start)."""

    second: int
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    errors: int


@dataclass(frozen=True)
class LoadResult:
    """A run's record. Latencies count from each request's scheduled send time, not from when it went out."""

    started_at: dt.datetime  # wall clock (UTC) at second 0 of the plan
    duration_s: float
    planned: int
    sent: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    throughput_rps: float  # answered requests per second of the run
    outcomes: dict[str, int]
    send_lag_p50_ms: float | None  # how late the generator itself sent: included in the latencies above,
    send_lag_p99_ms: float | None  # so large values mean the generator, not the server, added them
    send_lag_max_ms: float | None
    seconds: tuple[SecondStats, ...]
    examples: dict[str, str]  # one message per failure class, for the record
    stopped_by: str | None  # "max_duration", "max_requests" or None
    histogram: HdrHistogram = field(repr=False, compare=False)  # microseconds; encode() it for the record
    ledger: AnswerLedger | None = field(default=None, repr=False, compare=False)
    notes: dict[str, int] = field(default_factory=dict)  # what the students met beyond HTTP outcomes
    engine: str = "examday"  # which engine played the load: "examday" (built in) or "locust"
    workers: int = 1  # the processes that played it (Locust workers; the built-in engine is one)

    @property
    def errors(self) -> dict[str, int]:
        """Requests sent that did not end in a 2xx, by class (non-zero classes only)."""
        return {name: self.outcomes[name] for name in ANSWERED[1:] + UNANSWERED if self.outcomes[name]}

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def answered(self) -> int:
        return sum(self.outcomes[name] for name in ANSWERED)

    @property
    def answers_acknowledged(self) -> int:
        """Student answers the server acknowledged with a 2xx (each a row that must be in the database)."""
        return len(self.ledger.acknowledged) if self.ledger else 0

    def latency_ms_at(self, percentile: float) -> float | None:
        return percentile_ms(self.histogram, percentile)

    def summary(self) -> str:
        """One line an operator reads."""
        if self.p50_ms is None:
            return f"{self.sent:,} of {self.planned:,} requests sent, none answered; errors {self.errors}"
        return (f"{self.answered:,} answered of {self.planned:,} planned in {self.duration_s:.1f} s "
                f"({self.throughput_rps:,.0f}/s): p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, "
                f"p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms; errors {self.errors or 'none'}")


def percentile_ms(histogram: HdrHistogram, percentile: float) -> float | None:
    """A percentile of a microsecond histogram in milliseconds; None when it is empty."""
    if not histogram.get_total_count():
        return None
    return histogram.get_value_at_percentile(percentile) / 1000
