"""trend.html: the watch on one static page, charts first, then every round.

No JavaScript (the Content-Security-Policy forbids it to the browser too):
inline SVG charts, a table with one row per round linking that round's
checklist.html, failed rounds marked in both. While the watch runs, a meta
refresh (not a script) reloads the page once per interval; the final page has none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from examday.rendering.page import escape as _e, page_head
from examday.rendering.scales import fraction_as_percent, milliseconds, percent
from examday.rendering.svg import render_chart
from examday.report.archive import CHECKLIST_NAME
from examday.report.model import iso_utc
from examday.watch.charts import trend_charts
from examday.watch.durations import format_duration
from examday.watch.info import RUNNING
from examday.watch.summary import RoundSummary

if TYPE_CHECKING:
    from examday.watch.info import WatchInfo


STYLE = """
@page { size: A4 landscape; margin: 10mm; }
* { box-sizing: border-box; }
body { font: 10pt/1.35 "DejaVu Sans", Arial, sans-serif; color: #111; margin: 0 auto; max-width: 1100px;
       padding: 12px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 16pt; margin: 0 0 6px; }
h2 { font-size: 12pt; margin: 18px 0 6px; border-bottom: 1px solid #999; }
table { border-collapse: collapse; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
table.meta th { width: 150px; }
.banner { border: 2px solid; padding: 8px 12px; margin: 10px 0; font-size: 14pt; font-weight: bold; }
.banner-ok { border-color: #1a7f37; background: #e6f4ea; }
.banner-failed { border-color: #b3261e; background: #fde7e7; }
.charts { display: flex; flex-wrap: wrap; gap: 8px; }
svg.chart { border: 1px solid #ddd; background: #fff; break-inside: avoid;
            font-family: "DejaVu Sans", Arial, sans-serif; }
table.rounds { width: 100%; }
table.rounds td.num, table.rounds td.time { text-align: right; white-space: nowrap; }
table.rounds tr.failed td { background: #fdf0f0; }
table.rounds td.notes { min-width: 12em; }
.verdict { font-weight: bold; white-space: nowrap; }
.verdict-go { color: #1a7f37; } .verdict-waivers { color: #9a6700; }
.verdict-nogo, .verdict-error { color: #b3261e; } .verdict-interrupted { color: #555; }
.note { color: #555; font-size: 9pt; }
@media print { body { max-width: none; padding: 0; } a { color: inherit; } }
"""
VERDICT_CLASS = {"GO": "go", "GO WITH WAIVERS": "waivers", "INCOMPLETE": "nogo", "NO-GO": "nogo", "ERROR": "error",
                 "INTERRUPTED": "interrupted"}


def render_trend_html(info: WatchInfo, rounds: list[RoundSummary]) -> str:
    title = f"examday watch: {info.target_name}, from {iso_utc(info.started_at)}"
    refresh_s = max(5, round(info.interval_s)) if info.status == RUNNING else None
    return "\n".join([
        page_head(title, STYLE, refresh_s=refresh_s),
        f"<h1>During the exam: {_e(info.target_name)}</h1>",
        _meta_table(info, rounds),
        _banner(rounds),
        "<h2>Trend</h2>",
        '<div class="charts">',
        *(render_chart(chart) for chart in trend_charts(rounds, info.limits, pad_s=max(30.0, info.interval_s))),
        "</div>",
        "<h2>Rounds</h2>",
        _rounds_table(rounds),
        ('<p class="note">Each round is a full <code>pytest -m during</code> run with its own record '
         "(checklist.html, results.json, SHA256SUMS): check one with <code>examday verify</code>.</p>"),
        "</body></html>",
        ""])


def _meta_table(info: WatchInfo, rounds: list[RoundSummary]) -> str:
    exam = info.exam or {}
    rows = [
        ("exam", f"{exam.get('id', '')} {exam.get('title', '')}".strip() or "(none configured)"),
        ("target", f"{info.target_name} ({info.target_kind}), {info.config_path}"),
        ("started", iso_utc(info.started_at)),
        ("last updated", iso_utc(info.updated_at)),
        ("schedule", f"a round every {format_duration(info.interval_s)}, "
                     + (f"for {format_duration(info.duration_s)}" if info.duration_s else "until stopped")),
        ("status", info.status),
        ("rounds", f"{len(rounds)}, of which {sum(r.failed for r in rounds)} failed"),
    ]
    body = "".join(f"<tr><th>{_e(name)}</th><td>{_e(value)}</td></tr>" for name, value in rows)
    return f'<table class="meta">{body}</table>'


def _banner(rounds: list[RoundSummary]) -> str:
    failed = [r.number for r in rounds if r.failed]
    if not rounds:
        return '<div class="banner">No round has finished yet</div>'
    if failed:
        names = ", ".join(str(n) for n in failed)
        return f'<div class="banner banner-failed">{len(failed)} of {len(rounds)} rounds failed (round {names})</div>'
    return f'<div class="banner banner-ok">All {len(rounds)} rounds GO</div>'


def _rounds_table(rounds: list[RoundSummary]) -> str:
    head = ("<thead><tr><th>round</th><th>started (UTC)</th><th>verdict</th><th>p95</th><th>error rate</th>"
            "<th>pool</th><th>max CPU</th><th>max memory</th><th>failed items, note</th><th>record</th>"
            "</tr></thead>")
    return f'<table class="rounds">{head}<tbody>{"".join(_round_row(r) for r in rounds)}</tbody></table>'


def _round_row(r: RoundSummary) -> str:
    verdict_class = VERDICT_CLASS.get(r.verdict, "error")
    marker = "&#x2716; " if r.failed else ""  # a heavy cross: failed rounds stand out on paper too
    notes = r.failed_notes + ("; " if r.failed_items and r.problem else "") + r.problem
    link = (f'<a href="{_e(quote(r.record))}/{CHECKLIST_NAME}">{CHECKLIST_NAME}</a>' if r.record else "none")
    cells = [
        f'<td class="num">{r.number}</td>',
        f'<td class="time">{_e(iso_utc(r.started_at).replace("T", " "))}</td>',
        f'<td class="verdict verdict-{verdict_class}">{marker}{_e(r.verdict)}</td>',
        f'<td class="num">{_value(r.p95_ms, milliseconds)}</td>',
        f'<td class="num">{_value(r.error_rate, fraction_as_percent)}</td>',
        f'<td class="num">{_value(r.pool_usage, fraction_as_percent)}</td>',
        f"<td>{_peak(r.max_cpu)}</td>",
        f"<td>{_peak(r.max_memory)}</td>",
        f'<td class="notes">{_e(notes)}</td>',
        f"<td>{link}</td>",
    ]
    row_class = ' class="failed"' if r.failed else ""
    return f'<tr{row_class} id="round-{r.number}">{"".join(cells)}</tr>'


def _value(value: float | None, label: Any) -> str:
    return "&#x2013;" if value is None else _e(label(value))


def _peak(peak: tuple[str, float] | None) -> str:
    return "&#x2013;" if peak is None else f"{_e(percent(peak[1]))} <span class=\"note\">{_e(peak[0])}</span>"
