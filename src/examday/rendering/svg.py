"""Line charts as inline SVG, drawn here: no plotting library, no JavaScript.

A chart is one <svg> element: title, value axis from 0 with a grid, clock
times along the bottom, one <polyline> per series (class "series"), the
configured limit as a dashed line (class "threshold"), and every failed round
as a red vertical mark (class "failed-round") so a bad minute stands out in
every chart at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from examday.rendering.page import escape

from examday.rendering.scales import Scale, time_domain, time_label, time_ticks, value_ticks

WIDTH, HEIGHT = 760, 230
LEFT, RIGHT, TOP, BOTTOM = 64, 190, 30, 34  # the right margin holds the legend
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f", "#393b79", "#637939", "#8c6d31")
FAILED_COLOUR, THRESHOLD_COLOUR = "#c62828", "#d32f2f"
MAX_DOTS = 60  # above this many rounds a dot per point is clutter; the line alone reads better


@dataclass
class Series:
    name: str
    points: list[tuple[dt.datetime, float]]


@dataclass
class Chart:
    title: str
    series: list[Series]
    label: Callable[[float], str]  # a value as the axis shows it: "500 ms", "1%"
    threshold: float | None = None
    failed_at: list[dt.datetime] = field(default_factory=list)
    times: list[dt.datetime] = field(default_factory=list)  # every round's time, plotted or not
    pad_s: float = 30.0  # half the time window when there is a single round


def render_chart(chart: Chart) -> str:
    x, y, ticks = chart_scales(chart)
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" height="{HEIGHT}" '
              f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(chart.title)}">'),
             f"<title>{escape(chart.title)}</title>",
             (f'<text class="chart-title" x="{LEFT}" y="18" font-size="13" font-weight="bold">'
              f"{escape(chart.title)}</text>")]
    parts += _value_axis(ticks, y, chart.label)
    parts += _time_axis(x)
    parts += _failed_marks(chart.failed_at, x)
    if chart.threshold is not None:
        parts += _threshold(chart.threshold, y, chart.label)
    for index, series in enumerate(chart.series):
        parts += _series(series, PALETTE[index % len(PALETTE)], x, y, set(chart.failed_at))
    parts += _legend(chart.series)
    if not any(series.points for series in chart.series):
        parts.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{HEIGHT / 2:.0f}" text-anchor="middle" '
                     'font-size="12" fill="#666">not measured in any round</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def chart_scales(chart: Chart) -> tuple[Scale, Scale, list[float]]:
    """The chart's time axis, value axis (from 0, with room above the highest point) and value ticks."""
    times = chart.times or [t for s in chart.series for t, _ in s.points] or [dt.datetime.now(dt.timezone.utc)]
    start, end = time_domain(times, chart.pad_s)
    values = [v for s in chart.series for _, v in s.points] + ([chart.threshold] if chart.threshold else [])
    ticks = value_ticks(max(values, default=0.0) * 1.05)
    x = Scale(start.timestamp(), end.timestamp(), LEFT, WIDTH - RIGHT)
    y = Scale(0.0, ticks[-1], HEIGHT - BOTTOM, TOP)
    return x, y, ticks


def _value_axis(ticks: list[float], y: Scale, label: Callable[[float], str]) -> list[str]:
    parts = [(f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" '
              'fill="none" stroke="#999" stroke-width="1"/>')]
    for tick in ticks:
        at = y(tick)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{at:.1f}" x2="{WIDTH - RIGHT}" y2="{at:.1f}" '
                     'stroke="#e3e3e3" stroke-width="1"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{at + 4:.1f}" text-anchor="end" font-size="11">'
                     f"{escape(label(tick))}</text>")
    return parts


def _time_axis(x: Scale) -> list[str]:
    start = dt.datetime.fromtimestamp(x.low, dt.timezone.utc)
    end = dt.datetime.fromtimestamp(x.high, dt.timezone.utc)
    span = x.high - x.low
    parts = []
    for tick in time_ticks(start, end):
        at = x(tick.timestamp())
        parts.append(f'<line x1="{at:.1f}" y1="{HEIGHT - BOTTOM}" x2="{at:.1f}" y2="{HEIGHT - BOTTOM + 5}" '
                     'stroke="#999" stroke-width="1"/>')
        parts.append(f'<text class="tick" x="{at:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
                     f'font-size="11">{time_label(tick, span)}</text>')
    parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 4}" text-anchor="end" font-size="10" '
                 'fill="#666">UTC</text>')
    return parts


def _failed_marks(failed_at: list[dt.datetime], x: Scale) -> list[str]:
    return [f'<line class="failed-round" x1="{x(t.timestamp()):.1f}" y1="{TOP}" x2="{x(t.timestamp()):.1f}" '
            f'y2="{HEIGHT - BOTTOM}" stroke="{FAILED_COLOUR}" stroke-opacity="0.3" stroke-width="6">'
            f"<title>round failed at {time_label(t, 0)} UTC</title></line>" for t in failed_at]


def _threshold(limit: float, y: Scale, label: Callable[[float], str]) -> list[str]:
    at = y(limit)
    return [(f'<line class="threshold" x1="{LEFT}" y1="{at:.1f}" x2="{WIDTH - RIGHT}" y2="{at:.1f}" '
             f'stroke="{THRESHOLD_COLOUR}" stroke-width="1.5" stroke-dasharray="6 4"/>'),
            # inside the plot, above the line's right end: the right margin belongs to the legend
            (f'<text class="threshold-label" x="{WIDTH - RIGHT - 4}" y="{at - 5:.1f}" text-anchor="end" '
             f'font-size="11" fill="{THRESHOLD_COLOUR}" stroke="white" stroke-width="3" paint-order="stroke">'
             f"limit {escape(label(limit))}</text>")]


def _series(series: Series, colour: str, x: Scale, y: Scale, failed: set[dt.datetime]) -> list[str]:
    points = " ".join(f"{x(t.timestamp()):.1f},{y(v):.1f}" for t, v in series.points)
    parts = [(f'<polyline class="series" data-series="{escape(series.name)}" points="{points}" fill="none" '
              f'stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>')]
    dots = len(series.points) <= MAX_DOTS
    for t, v in series.points:
        if t in failed:
            parts.append(f'<circle class="failed-point" cx="{x(t.timestamp()):.1f}" cy="{y(v):.1f}" r="4.5" '
                         f'fill="{FAILED_COLOUR}" stroke="white" stroke-width="1"/>')
        elif dots:
            parts.append(f'<circle cx="{x(t.timestamp()):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}"/>')
    return parts


def _legend(series: list[Series]) -> list[str]:
    if len(series) < 2:
        return []  # the title names a single series
    parts = []
    for index, item in enumerate(series):
        top = TOP + 16 + index * 15
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<line x1="{WIDTH - RIGHT + 8}" y1="{top - 4}" x2="{WIDTH - RIGHT + 24}" y2="{top - 4}" '
                     f'stroke="{colour}" stroke-width="3"/>')
        parts.append(f'<text class="legend" x="{WIDTH - RIGHT + 28}" y="{top}" font-size="11">'
                     f"{escape(item.name)}</text>")
    return parts
