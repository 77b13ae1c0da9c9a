"""Latency over time as inline SVG: p50 and p95 of each second's requests, fault windows shaded.

Drawn by the chart code every page shares (examday.rendering.svg), so a rehearsal record and
the trend page look alike; this module only adds the shaded windows. A point
is placed at the second the requests were *scheduled* in, so a stall shows
where it happened, not when the backlog drained.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from examday.rendering.page import escape

from examday.rehearsal.results import LoadResult
from examday.rendering.scales import Scale, milliseconds, time_label
from examday.rendering.svg import BOTTOM, HEIGHT, TOP, Chart, Series, chart_scales, render_chart

FAULT_COLOUR = "#f9a825"


@dataclass(frozen=True)
class FaultWindow:
    """A fault injected during the run (Redis stopped, backend restarted...), in UTC wall-clock time."""

    start: dt.datetime
    end: dt.datetime
    label: str

    @classmethod
    def during(cls, result: LoadResult, start_s: float, end_s: float, label: str) -> FaultWindow:
        """A window given in seconds from the run's start."""
        def at(seconds: float) -> dt.datetime:
            return result.started_at + dt.timedelta(seconds=seconds)

        return cls(at(start_s), at(end_s), label)


def latency_chart(result: LoadResult, faults: Sequence[FaultWindow] = (), limit_ms: float | None = None) -> Chart:
    """The chart: a p50 and a p95 series, over a time axis wide enough for the run and every window."""
    def points(value: str) -> list[tuple[dt.datetime, float]]:
        middle = dt.timedelta(seconds=0.5)
        return [(result.started_at + dt.timedelta(seconds=s.second) + middle, getattr(s, value))
                for s in result.seconds]

    series = [Series("p50", points("p50_ms")), Series("p95", points("p95_ms"))]
    times = [t for s in series for t, _ in s.points] + [w.start for w in faults] + [w.end for w in faults]
    return Chart("Latency by scheduled second (ms, from the scheduled send time)", series, milliseconds,
                 threshold=limit_ms, times=times or [result.started_at], pad_s=5.0)


def latency_svg(result: LoadResult, faults: Sequence[FaultWindow] = (), limit_ms: float | None = None) -> str:
    """One <svg> element, no script: the chart with each fault window shaded under the lines."""
    chart = latency_chart(result, faults, limit_ms)
    svg = render_chart(chart)
    x, _, _ = chart_scales(chart)
    # The chart's title text comes first (see examday.rendering.svg): shading put right after it lies under the rest.
    head, title_end, rest = svg.partition("</text>\n")
    return head + title_end + "".join(_shade(window, x) + "\n" for window in faults) + rest


def _shade(window: FaultWindow, x: Scale) -> str:
    left, right = sorted((x(window.start.timestamp()), x(window.end.timestamp())))
    span = (window.end - window.start).total_seconds()
    when = f"{time_label(window.start, 0)} to {time_label(window.end, 0)} UTC"
    label = escape(window.label)
    return (f'<g class="fault-window" data-label="{label}">'
            f'<rect x="{left:.1f}" y="{TOP}" width="{max(right - left, 1.0):.1f}" height="{HEIGHT - TOP - BOTTOM}" '
            f'fill="{FAULT_COLOUR}" fill-opacity="0.22"><title>{label}: {when} ({span:g} s)</title></rect>'
            f'<text class="fault-label" x="{left + 3:.1f}" y="{TOP + 12}" font-size="10" fill="#8d6e00">{label}</text>'
            "</g>")
