"""The charts: well-formed SVG, a polyline per series, the limit, failed rounds, nothing executable."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from examday.rendering.scales import percent
from examday.watch.charts import trend_charts
from examday.rendering.scales import time_ticks, value_ticks
from examday.rendering.svg import Chart, Series, render_chart
from tests.watch.synthetic import (
    CONTAINERS,
    LIMITS,
    STARTED,
    a_round,
    rounds_with_failures,
)

SVG = "{http://www.w3.org/2000/svg}"


def parsed(chart: Chart) -> ET.Element:
    return ET.fromstring(render_chart(chart))  # raises on anything that is not well-formed XML


def with_class(root: ET.Element, tag: str, css_class: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if e.get("class") == css_class]


def test_every_chart_is_valid_svg_with_one_polyline_per_series_and_no_script():
    for chart in trend_charts(rounds_with_failures(), LIMITS):
        root = parsed(chart)
        assert root.tag == f"{SVG}svg"
        assert len(list(root.iter(f"{SVG}polyline"))) == len(chart.series), chart.title
        assert not list(root.iter(f"{SVG}script")) and "script" not in render_chart(chart).lower()
        assert not any(name.startswith("on") for e in root.iter() for name in e.attrib), "no event handlers"


def test_per_container_charts_have_a_series_and_a_legend_entry_per_container():
    cpu = next(c for c in trend_charts(rounds_with_failures(), LIMITS) if c.title.startswith("CPU"))
    root = parsed(cpu)
    assert [p.get("data-series") for p in root.iter(f"{SVG}polyline")] == sorted(CONTAINERS)
    assert [t.text for t in with_class(root, "text", "legend")] == sorted(CONTAINERS)


def test_the_limit_is_a_dashed_line_at_its_value_and_labelled():
    chart = Chart("p95", [Series("p95", [(STARTED, 100.0), (STARTED + dt.timedelta(minutes=1), 300.0)])],
                  lambda v: f"{v:g} ms", threshold=500)
    root = parsed(chart)
    [line] = with_class(root, "line", "threshold")
    assert line.get("stroke-dasharray") and line.get("y1") == line.get("y2")
    [label] = with_class(root, "text", "threshold-label")
    assert label.text == "limit 500 ms"
    # the axis reaches above the limit, so the limit is inside the plot, and it is labelled on the axis
    ticks = [t.text for t in with_class(root, "text", "tick")]
    assert "0 ms" in ticks and "600 ms" in ticks


def test_failed_rounds_are_marked_across_the_plot_and_on_their_points():
    rounds = rounds_with_failures()
    p95 = trend_charts(rounds, LIMITS)[0]
    root = parsed(p95)
    assert len(with_class(root, "line", "failed-round")) == 2  # rounds 3 and 5
    assert len(with_class(root, "circle", "failed-point")) == 1  # round 5 has no p95 to mark


def test_a_single_round_and_no_data_still_draw():
    single = parsed(trend_charts([a_round(1)], LIMITS)[0])
    [line] = single.iter(f"{SVG}polyline")
    assert len(line.get("points", "").split()) == 1
    empty = parsed(Chart("nothing yet", [], percent, threshold=80))
    assert "not measured in any round" in ET.tostring(empty, encoding="unicode")


def test_values_and_titles_are_escaped():
    chart = Chart('<b>&"x"', [Series("a<script>", [(STARTED, 1.0)])], percent)
    text = render_chart(chart)
    ET.fromstring(text)
    assert "<script>" not in text and "<b>" not in text


def test_value_ticks_are_round_numbers_from_zero_covering_the_top():
    assert value_ticks(525) == [0, 200, 400, 600]
    assert value_ticks(480) == [0, 100, 200, 300, 400, 500]
    assert value_ticks(0.0105) == [0, 0.005, 0.01, 0.015]
    assert value_ticks(0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_time_ticks_fall_on_clock_steps_inside_the_window():
    start = dt.datetime(2030, 6, 1, 9, 0, 7, tzinfo=dt.timezone.utc)
    ticks = time_ticks(start, start + dt.timedelta(hours=4))
    assert ticks[0] == dt.datetime(2030, 6, 1, 10, 0, tzinfo=dt.timezone.utc)
    assert all(t.minute == 0 and t.second == 0 for t in ticks) and len(ticks) == 4
    short = time_ticks(start, start + dt.timedelta(seconds=20))
    assert [t.second for t in short] == [10, 15, 20, 25]
