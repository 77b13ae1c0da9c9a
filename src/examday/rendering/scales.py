"""Axis scales for the trend charts: round numbers on the value axis, clock times on the time axis."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

# Time-axis steps an operator reads at a glance, in seconds: 1 s ... 1 day.
TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


@dataclass(frozen=True)
class Scale:
    """A linear map from [low, high] onto [start, end] (pixels; end < start for an upward y axis)."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low
        return self.start + (value - self.low) / span * (self.end - self.start)


def nice_step(span: float, count: int) -> float:
    """A 1-2-5 step that cuts `span` into about `count` parts."""
    raw = span / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def value_ticks(top_value: float, count: int = 5) -> list[float]:
    """Ticks from 0 to a round number at or above top_value (every metric plotted is >= 0)."""
    if top_value <= 0 or not math.isfinite(top_value):
        top_value = 1.0
    step = nice_step(top_value, count)
    steps = math.ceil(top_value / step - 1e-9)
    return [round(i * step, 12) for i in range(steps + 1)]


def time_domain(times: list[dt.datetime], pad_s: float) -> tuple[dt.datetime, dt.datetime]:
    """First to last round; a single round sits in the middle of a window 2*pad_s wide."""
    first, last = min(times), max(times)
    if (last - first).total_seconds() < 1:
        first, last = first - dt.timedelta(seconds=pad_s), last + dt.timedelta(seconds=pad_s)
    # whole seconds at both ends, so the first round's own second gets its tick label
    ceiling = dt.timedelta(seconds=1 if last.microsecond else 0)
    return first.replace(microsecond=0), last.replace(microsecond=0) + ceiling


def time_ticks(start: dt.datetime, end: dt.datetime, count: int = 6) -> list[dt.datetime]:
    """Clock-aligned ticks (every 5 s, 1 min, 15 min, ...) inside [start, end]."""
    span = (end - start).total_seconds()
    step = next((s for s in TIME_STEPS if span / s <= count), TIME_STEPS[-1] * math.ceil(span / count / 86400))
    first = math.ceil(start.timestamp() / step) * step
    stamps = range(int(first), int(end.timestamp()) + 1, int(step))
    return [dt.datetime.fromtimestamp(stamp, dt.timezone.utc) for stamp in stamps]


def time_label(moment: dt.datetime, span_s: float) -> str:
    """HH:MM:SS for short watches, HH:MM beyond ten minutes, with the day when it spans days (UTC)."""
    moment = moment.astimezone(dt.timezone.utc)
    if span_s > 86400:
        return moment.strftime("%d %H:%M")
    return moment.strftime("%H:%M" if span_s > 600 else "%H:%M:%S")


# value labels of axes and tables
def milliseconds(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.3g} ms"


def fraction_as_percent(value: float) -> str:
    return f"{value * 100:.3g}%"


def percent(value: float) -> str:
    return f"{value:.3g}%"
