"""trend.html and trend.json from RoundSummaries built in code."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from examday.watch.layout import WatchLayout
from examday.watch.summary import RoundSummary
from examday.watch.trend import write_trend
from examday.watch.trend_html import render_trend_html
from tests.watch.synthetic import a_round, rounds_with_failures, watch_info


def rows(page: str) -> list[str]:
    return re.findall(r"<tr[^>]*id=\"round-\d+\"[^>]*>.*?</tr>", page, flags=re.DOTALL)


def test_page_has_no_javascript_and_five_well_formed_charts():
    page = render_trend_html(watch_info(), rounds_with_failures())
    assert "<script" not in page.lower() and "javascript:" not in page.lower()
    assert "default-src 'none'" in page  # the browser is told too
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL)
    assert len(charts) == 5
    for chart in charts:
        ET.fromstring(chart)


def test_every_round_has_a_row_linking_its_record():
    rounds = rounds_with_failures()
    page = render_trend_html(watch_info(), rounds)
    found = rows(page)
    assert len(found) == len(rounds)
    for summary, row in zip(rounds, found, strict=True):
        assert f'id="round-{summary.number}"' in row
        if summary.record:
            assert f'href="{summary.record}/checklist.html"' in row
        else:
            assert "timed out after 300s" in row


def test_failed_rounds_are_marked_in_the_table_and_the_banner():
    page = render_trend_html(watch_info(), rounds_with_failures())
    failed = [row for row in rows(page) if 'class="failed"' in row]
    assert [re.search(r'id="round-(\d+)"', row).group(1) for row in failed] == ["3", "5"]
    assert "DUR-LAT-01" in failed[0] and "NO-GO" in failed[0] and "ERROR" in failed[1]
    assert "2 of 6 rounds failed (round 3, 5)" in page


def test_all_go_says_so():
    page = render_trend_html(watch_info(), [a_round(1), a_round(2)])
    assert "All 2 rounds GO" in page and 'class="failed"' not in page


def test_a_running_watch_page_reloads_itself_without_script_the_final_one_does_not():
    assert 'http-equiv="refresh" content="60"' in render_trend_html(watch_info("running"), [a_round(1)])
    assert 'http-equiv="refresh"' not in render_trend_html(watch_info("stopped by Ctrl-C"), [a_round(1)])


def test_trend_json_holds_the_rounds_and_reads_back(tmp_path: Path):
    layout = WatchLayout(tmp_path)
    rounds = rounds_with_failures()
    write_trend(layout, watch_info(), rounds)
    document = json.loads(layout.trend_json.read_text())
    assert document["schema"] == "examday.watch/v1"
    assert document["summary"] == {"rounds": 6, "failed": 2, "failed_rounds": [3, 5]}
    assert document["watch"]["limits"]["p95_ms"] == 500
    back = [RoundSummary.from_dict(r) for r in document["rounds"]]
    assert [r.verdict for r in back] == [r.verdict for r in rounds]
    assert back[0].cpu_pct == rounds[0].cpu_pct
    assert layout.trend_html.exists() and not list(tmp_path.glob(".*partial"))
