"""The latency plot: valid inline SVG, p50 and p95 per scheduled second, fault windows shaded where they were."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from examday.rehearsal import FaultWindow, LoadResult, latency_svg
from examday.rehearsal.recorder import Recorder
from examday.rehearsal.wire import Job

SVG = "{http://www.w3.org/2000/svg}"
STARTED_AT = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def a_run_with_a_stall() -> LoadResult:
    """20 s at 10 requests/s, 20 ms each, except those scheduled in seconds 8-9: answered at 10.0 s."""
    recorder = Recorder(0.0, STARTED_AT)
    for i in range(200):
        at = i / 10
        done = 10.0 if 8.0 <= at < 10.0 else at + 0.02
        recorder.record(Job(at, b"", sent_at=at, done_at=done, status=200))
    return recorder.result(planned=200, stopped_by=None, now=20.0)


def fault_rects(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "fault-window"]


def test_the_plot_is_svg_with_a_p50_and_a_p95_line_and_no_script():
    text = latency_svg(a_run_with_a_stall())
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg" and "script" not in text.lower()
    assert [p.get("data-series") for p in root.iter(f"{SVG}polyline")] == ["p50", "p95"]
    assert all(len(p.get("points", "").split()) == 20 for p in root.iter(f"{SVG}polyline"))
    assert not fault_rects(root)


def test_a_fault_window_is_shaded_over_its_seconds_under_the_lines_and_labelled():
    result = a_run_with_a_stall()
    window = FaultWindow.during(result, 8.0, 10.0, "redis <stopped>")
    text = latency_svg(result, [window], limit_ms=500)
    root = ET.fromstring(text)
    [shade] = fault_rects(root)
    assert shade.get("data-label") == "redis <stopped>"
    rect = shade.find(f"{SVG}rect")
    assert rect is not None and "redis <stopped>" in (rect.findtext(f"{SVG}title") or "")
    left, width = float(rect.get("x", 0)), float(rect.get("width", 0))
    # where the slow seconds are drawn: the points of seconds 8 and 9 (at 8.5 s and 9.5 s) lie inside
    p95 = next(p for p in root.iter(f"{SVG}polyline") if p.get("data-series") == "p95")
    xs = [float(point.split(",")[0]) for point in p95.get("points", "").split()]
    assert left < xs[8] < xs[9] < left + width
    assert not left < xs[7] < left + width and not left < xs[10] < left + width
    assert text.index('class="fault-window"') < text.index("<polyline")  # drawn first: under the lines


def test_a_window_outside_the_run_widens_the_time_axis_to_show_it():
    result = a_run_with_a_stall()
    later = FaultWindow(STARTED_AT + dt.timedelta(seconds=30), STARTED_AT + dt.timedelta(seconds=40), "restart")
    [shade] = fault_rects(ET.fromstring(latency_svg(result, [later])))
    rect = shade.find(f"{SVG}rect")
    assert rect is not None and float(rect.get("width", 0)) > 50
