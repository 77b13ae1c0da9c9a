"""postmortem.html: one exam on one static page, for the review the runbook's Post-Mortem asks for.

Plots first (p95, error rate and pool use over every during run, failed runs marked), then the
timeline of every run with its verdict, every failure with its triage and the runbook's action,
the waivers, attestations and declarations used, the error samples with request IDs, the
slowest routes and SQL, the integrity results, and the lessons learned. No JavaScript.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from examday.postmortem.history import ExamHistory, Failure
from examday.postmortem.lessons import Lessons
from examday.rendering.page import escape as _e, page_head
from examday.rendering.svg import render_chart
from examday.report.model import iso_utc
from examday.watch.charts import Limits, trend_charts
from examday.watch.trend_html import STYLE, VERDICT_CLASS

PLOTTED = 3  # p95, error rate, pool usage: what the review reads over the exam window


def render_postmortem(history: ExamHistory, limits: Limits, lessons: Lessons | None, back_to: str) -> str:
    """``back_to``: the reports folder as seen from the page's own folder (links to each record)."""
    exam = history.exam
    title = f"Post-mortem: {exam.get('title') or exam.get('id')} ({history.target})"
    rounds = history.during_rounds()
    charts = [render_chart(chart) for chart in trend_charts(rounds, limits)[:PLOTTED]] if rounds else []
    return "\n".join([
        page_head(title, STYLE + EXTRA_STYLE),
        f"<h1>{_e(title)}</h1>",
        _meta(history),
        "<h2>Over the exam</h2>",
        f'<div class="charts">{"".join(charts)}</div>' if charts else '<p class="note">no during run recorded</p>',
        "<h2>Timeline</h2>", _timeline(history, back_to),
        "<h2>Failures</h2>", _failures(history.failures),
        "<h2>Waivers, attestations and declarations used</h2>", _statements(history),
        "<h2>Errors with request IDs</h2>", _samples(history.error_samples()),
        "<h2>Slowest routes and SQL</h2>", _slowest(history),
        "<h2>Data integrity</h2>", _integrity(history.integrity()),
        "<h2>Lessons learned</h2>", _lessons(lessons),
        "</body></html>", ""])


EXTRA_STYLE = """
table.wide { width: 100%; } span.mono { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
.todo { color: #b3261e; font-weight: bold; }
"""


def _meta(history: ExamHistory) -> str:
    exam = history.exam
    rows = [("exam", f"{exam.get('id')}: {exam.get('title') or ''}"), ("window", f"{exam.get('starts_at')} to "
            f"{exam.get('ends_at')}"), ("target", history.target), ("records read", str(len(history.runs))),
            ("failures", str(len(history.failures)))]
    return '<table class="meta">' + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows) + "</table>"


def _table(headers: list[str], rows: list[tuple[bool, list[str]]], empty: str, css: str = "wide") -> str:
    """A table of (failed, cells) rows, cells already HTML; ``empty`` as a note when there is no row."""
    if not rows:
        return f'<p class="note">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(f'<tr class="{"failed" if failed else ""}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
                   for failed, cells in rows)
    return f'<table class="{css}"><tr>{head}</tr>{body}</table>'


def _mono(value: Any) -> str:
    return f'<span class="mono">{_e(value)}</span>'


def _timeline(history: ExamHistory, back_to: str) -> str:
    rows = []
    for run in history.runs:
        failed = [f.item_id + (f" ({f.issue})" if f.issue else "") for f in run.failures()]
        verdict = f'<span class="verdict verdict-{VERDICT_CLASS.get(run.verdict, "error")}">{_e(run.verdict)}</span>'
        link = f'<a href="{_e(quote(f"{back_to}/{run.checklist}"))}">{_e(run.record)}</a>'
        rows.append((bool(failed), [_mono(iso_utc(run.started_at)), _e(run.phase), verdict, _e(", ".join(failed)), link]))
    return _table(["started (UTC)", "phase", "verdict", "failed items", "record"], rows, "no run", "rounds wide")


def _failures(failures: list[Failure]) -> str:
    if not failures:
        return '<p class="note">none</p>'
    rows = []
    for f in failures:
        triage = f.triage or {}
        issues = "".join(f"<li><b>{_e(m.get('name'))}</b>: {_e('; '.join(m.get('because', [])))}"
                         f'<div class="note">{_e(m.get("runbook"))}: {_e(m.get("action"))}</div></li>'
                         for m in triage.get("issues", []))
        rows.append(f'<tr><td class="mono">{_e(iso_utc(f.at))}</td><td><b>{_e(f.item_id)}</b> {_e(f.title)}'
                    f'<div>{_e(f.message)}</div><div class="note">remediation: {_e(f.remediation)}</div>'
                    + (f"<ul>{issues}</ul>" if issues else "") + "</td></tr>")
    return f'<table class="wide">{"".join(rows)}</table>'


def _statements(history: ExamHistory) -> str:
    rows = [(False, [_e(kind), _e(s["item"]), _e(s.get("by")),
                     _e(s.get("justification") or s.get("note") or s.get("reason") or ""), _e(s.get("expires", "")),
                     _mono(run.record)])
            for kind in ("waiver", "attestation", "declaration") for s, run in history.statements(kind)]
    return _table(["kind", "item", "by", "why", "expires", "record"], rows, "none")


def _samples(samples: list[dict[str, Any]]) -> str:
    rows = [(False, [_mono(s.get("at") or ""), _e(s.get("kind")), _mono(s.get("request_id") or ""),
                     _mono(s.get("text")), _e(s.get("item"))]) for s in samples]
    return _table(["logged at", "kind", "request ID", "line", "seen by"], rows, "none recorded")


def _slowest(history: ExamHistory) -> str:
    routes = [(False, [_mono(route), str(count)]) for route, count in history.slowest_routes()]
    queries = [(False, [_e(q.get("query_ms") if q.get("query_ms") is not None else ""), _mono(q.get("request_id") or ""),
                        _mono(q.get("statement"))]) for q in history.slowest_sql()]
    return (_table(["route", "slow requests (most in one window)"], routes, "no slow route recorded")
            + _table(["ms", "request ID", "statement"], queries, "no slow statement recorded"))


def _integrity(results: list[dict[str, Any]]) -> str:
    if not results:
        return '<p class="todo">no integrity check recorded for this exam: run the post-exam phase</p>'
    rows = [(r["outcome"] in ("failed", "error"), [_e(r["id"]), _mono(r["nodeid"].partition("[")[2].rstrip("]")),
                                                   _e(r["outcome"]), _e(r["message"])]) for r in results]
    return _table(["item", "invariant", "outcome", "message"], rows, "", "rounds wide")


def _lessons(lessons: Lessons | None) -> str:
    if lessons is None:
        return ('<p class="todo">to be completed: edit lessons.toml beside this page, then '
                "<code>examday postmortem --complete</code> this folder and sign it</p>")
    rows = [("date", lessons.date), ("exam", lessons.exam), ("resolution", lessons.resolution),
            ("prevention", lessons.prevention), ("runbook updates", lessons.runbook_updates)]
    issues = "".join(f"<li>{_e(issue)}</li>" for issue in lessons.issues_encountered)
    return ('<table class="meta wide">' + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
            + f"<tr><th>issues encountered</th><td><ul>{issues}</ul></td></tr></table>")
