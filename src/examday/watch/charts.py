"""What the trend page plots: five charts from the rounds, each with the config's limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from examday.watch.summary import RoundSummary
from examday.rendering.scales import fraction_as_percent, milliseconds, percent
from examday.rendering.svg import Chart, Series


@dataclass(frozen=True)
class Limits:
    """The thresholds the during items assert (examday.toml [thresholds])."""

    p95_ms: float
    error_rate: float  # a fraction
    pool_usage: float  # a fraction
    cpu_pct: float
    mem_pct: float

    @classmethod
    def of(cls, thresholds: object) -> Limits:
        return cls(**{name: float(getattr(thresholds, name)) for name in cls.__dataclass_fields__})


def trend_charts(rounds: list[RoundSummary], limits: Limits, pad_s: float = 30.0) -> list[Chart]:
    def chart(title: str, series: list[Series], label: Callable[[float], str], limit: float) -> Chart:
        return Chart(title, series, label, limit, failed_at=[r.started_at for r in rounds if r.failed],
                     times=[r.started_at for r in rounds], pad_s=pad_s)

    return [
        chart("Request latency p95 (ms)", [_one("p95", rounds, lambda r: r.p95_ms)], milliseconds, limits.p95_ms),
        chart("Error rate (5xx share of requests)", [_one("error rate", rounds, lambda r: r.error_rate)],
              fraction_as_percent, limits.error_rate),
        chart("Database pool usage", [_one("pool usage", rounds, lambda r: r.pool_usage)],
              fraction_as_percent, limits.pool_usage),
        chart("CPU per container (% of its limit)", _per_container(rounds, lambda r: r.cpu_pct), percent,
              limits.cpu_pct),
        chart("Memory per container (% of its limit)", _per_container(rounds, lambda r: r.memory_pct), percent,
              limits.mem_pct),
    ]


def _one(name: str, rounds: list[RoundSummary], value: Callable[[RoundSummary], float | None]) -> Series:
    return Series(name, [(r.started_at, v) for r in rounds if (v := value(r)) is not None])


def _per_container(rounds: list[RoundSummary], values: Callable[[RoundSummary], dict[str, float]]) -> list[Series]:
    names = sorted({name for r in rounds for name in values(r)})
    points: dict[str, list[tuple[dt.datetime, float]]] = {name: [] for name in names}
    for r in rounds:
        for name, value in values(r).items():
            points[name].append((r.started_at, value))
    return [Series(name, points[name]) for name in names]
