"""Latency into an HdrHistogram, measured from each request's scheduled send time; outcomes by class.

From the scheduled time, not the moment the request went out: when the server
stalls, requests queue inside the generator, and a tool that starts its clock
at the send would report them fast (coordinated omission). Here the queueing
counts. The generator's own lateness (send time minus scheduled time) is kept
apart, in a second histogram, so a generator that could not keep its schedule
shows it.

Timed-out requests enter the latency histogram at the moment they were given
up: a stalled server must not hide behind the client's timeout either. Failed
connections and requests never sent do not (they have no latency to speak of);
they are counted by class.
"""

from __future__ import annotations

import datetime as dt
import time
from array import array
from itertools import chain, groupby

from hdrh.histogram import HdrHistogram

from examday.rehearsal.results import (
    ANSWERED,
    OUTCOMES,
    LoadResult,
    SecondStats,
    percentile_ms,
)
from examday.rehearsal.wire import TIMEOUT, Job

MAX_MICROSECONDS = 3_600_000_000  # one hour: anything slower is recorded as one hour (and fits array "I")
SIGNIFICANT_DIGITS = 3
# The outcome class of an HTTP status, by its hundreds digit (429 is picked out before).
_STATUS_CLASSES = ("3xx", "3xx", "2xx", "3xx", "4xx", "5xx", "5xx", "5xx", "5xx", "5xx")


def _histogram() -> HdrHistogram:
    return HdrHistogram(1, MAX_MICROSECONDS, SIGNIFICANT_DIGITS)


def status_class(status: int) -> str:
    """``"2xx"``, ``"429"``, ``"5xx"``...: the class a status is counted under (1xx and odd codes as 3xx)."""
    if status == 429:
        return "429"
    return _STATUS_CLASSES[min(status // 100, 9)]


class Recorder:
    """Every finished job passes through ``record`` once; ``result`` turns the lot into a LoadResult.

    The hot path only appends to two compact arrays per scheduled second; the
    latencies are folded into the HdrHistogram when the result is made (per
    request, recording into it cost the generator a tenth of its capacity),
    the lateness only gives three exact figures.
    """

    def __init__(self, started: float, started_at: dt.datetime) -> None:
        self.started = started  # perf_counter at second 0 of the plan
        self.started_at = started_at
        self.outcomes = dict.fromkeys(OUTCOMES, 0)
        self.examples: dict[str, str] = {}
        self.sent = 0
        self.finished = 0
        self.last_done = started
        self._latency: dict[int, array[int]] = {}  # scheduled second -> microseconds
        self._lag: dict[int, array[int]] = {}
        self._errors_by_second: dict[int, int] = {}

    def record(self, job: Job) -> None:
        """Count the job under its outcome; keep its lateness and, when it has one, its latency."""
        self.finished += 1
        failure = job.failure
        if failure is None:
            status = job.status
            outcome = "2xx" if 200 <= status < 300 else status_class(status)
        else:
            outcome = failure
            self.examples.setdefault(failure, job.detail)
        self.outcomes[outcome] += 1
        sent_at = job.sent_at
        if sent_at is None:
            return
        self.sent += 1
        scheduled, done = job.scheduled_at, job.done_at
        second = int(scheduled - self.started)
        lag = self._lag.get(second)
        if lag is None:
            lag = self._lag[second] = array("I")
            self._latency[second] = array("I")
        lag.append(min(max(int((sent_at - scheduled) * 1e6 + 0.5), 0), MAX_MICROSECONDS))
        self.last_done = max(self.last_done, done)
        if failure is not None and failure != TIMEOUT:
            return
        self._latency[second].append(min(max(int((done - scheduled) * 1e6 + 0.5), 0), MAX_MICROSECONDS))
        if outcome != "2xx":
            self._errors_by_second[second] = self._errors_by_second.get(second, 0) + 1

    def not_sent(self, outcome: str, count: int) -> None:
        """Planned requests that never became jobs (the request cap, or the time cap struck first)."""
        self.outcomes[outcome] += count

    def p95_ms_of_second(self, second: int) -> float | None:
        """p95 of the requests scheduled in one second (for the live display)."""
        values = self._latency.get(second)
        return _exact(sorted(values), 95) if values else None

    def result(self, planned: int, stopped_by: str | None, now: float | None = None) -> LoadResult:
        end = max(self.last_done, now if now is not None else time.perf_counter()) if self.sent else self.started
        duration = max(end - self.started, 1e-9)
        answered = sum(self.outcomes[name] for name in ANSWERED)
        latency, seconds = self._latency_histogram()
        lag = sorted(chain.from_iterable(self._lag.values()))  # exact; only three figures are wanted
        return LoadResult(
            started_at=self.started_at,
            duration_s=round(duration, 6),
            planned=planned,
            sent=self.sent,
            p50_ms=percentile_ms(latency, 50),
            p95_ms=percentile_ms(latency, 95),
            p99_ms=percentile_ms(latency, 99),
            max_ms=latency.get_max_value() / 1000 if latency.get_total_count() else None,
            throughput_rps=answered / duration,
            outcomes=dict(self.outcomes),
            send_lag_p50_ms=_exact(lag, 50) if lag else None,
            send_lag_p99_ms=_exact(lag, 99) if lag else None,
            send_lag_max_ms=lag[-1] / 1000 if lag else None,
            seconds=seconds,
            examples=dict(self.examples),
            stopped_by=stopped_by,
            histogram=latency,
        )

    def _latency_histogram(self) -> tuple[HdrHistogram, tuple[SecondStats, ...]]:
        """All latencies in one HdrHistogram, and p50, p95, max of each second (exact: from sorted values)."""
        histogram, stats = _histogram(), []
        for second in sorted(self._latency):
            values = sorted(self._latency[second])
            if not values:
                continue
            _fold(histogram, values)
            stats.append(SecondStats(second, len(values), _exact(values, 50), _exact(values, 95),
                                     values[-1] / 1000, self._errors_by_second.get(second, 0)))
        return histogram, tuple(stats)


def _fold(histogram: HdrHistogram, ordered: list[int]) -> None:
    """Record sorted microsecond values, each distinct value once with its count."""
    for value, same in groupby(ordered):
        histogram.record_value(max(value, 1), sum(1 for _ in same))


def _exact(ordered: list[int], percentile: float) -> float:
    """Nearest-rank percentile of sorted microseconds, in milliseconds."""
    rank = max(0, min(len(ordered) - 1, int(len(ordered) * percentile / 100 + 0.5) - 1))
    return ordered[rank] / 1000
