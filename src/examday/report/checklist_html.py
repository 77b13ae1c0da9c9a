"""checklist.html: the printable record an exam board files.

Static HTML and CSS only: no JavaScript (a strict Content-Security-Policy says
so to the browser too), every value escaped, laid out for A4. It reads the
same RunRecord as results.json and junit.xml.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from examday.rendering.page import escape as _e, page_head
from examday.report.model import ItemRecord, RunRecord, iso_utc
from examday.report.verdict import INCOMPLETE_HINT, blocking_items, run_verdict, unchecked_items

EVIDENCE_CHARS = 1200  # per item on paper; results.json holds it all

STYLE = """
@page { size: A4; margin: 12mm 11mm 14mm 11mm; }
* { box-sizing: border-box; }
body { font: 9.5pt/1.35 "DejaVu Sans", Arial, sans-serif; color: #111; margin: 0 auto; max-width: 200mm;
       padding: 6mm 0; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
h2 { font-size: 11.5pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: 1.2mm 1.6mm; vertical-align: top; text-align: left; }
th { background: #eee; }
thead { display: table-header-group; }
tbody { break-inside: avoid; page-break-inside: avoid; }
table.meta th { width: 34mm; }
table.meta td { overflow-wrap: anywhere; }
code, pre, .mono { font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: 8pt; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
.verdict { border: 2px solid; padding: 3mm 4mm; margin: 4mm 0; break-inside: avoid; }
.verdict .word { font-size: 20pt; font-weight: bold; margin: 0; }
.verdict-go { border-color: #1a7f37; background: #e6f4ea; }
.verdict-waivers { border-color: #9a6700; background: #fff4d6; }
.verdict-nogo { border-color: #b3261e; background: #fde7e7; }
.verdict-incomplete { border-color: #8a4b00; background: #fdebd3; }
table.items { table-layout: fixed; }
table.items col.id { width: 24mm; } table.items col.title { width: 36mm; }
table.items col.outcome { width: 20mm; } table.items col.evidence { width: auto; }
table.items col.sign { width: 36mm; } table.items col.duration { width: 13mm; }
td.id { font-weight: bold; white-space: nowrap; }
td { overflow-wrap: anywhere; }
td.duration { text-align: right; white-space: nowrap; }
.outcome { font-weight: bold; text-transform: uppercase; }
.outcome-passed .outcome { color: #1a7f37; } .outcome-failed .outcome, .outcome-error .outcome { color: #b3261e; }
.outcome-waived .outcome { color: #9a6700; } .outcome-skipped .outcome { color: #8a4b00; }
.outcome-not_applicable .outcome { color: #555; }
tr.failure td { background: #fdf0f0; }
tr.figure svg { max-width: 100%; height: auto; }
.runbook, .note { color: #555; font-size: 8.5pt; }
table.signoff td { height: 12mm; }
footer { margin-top: 6mm; color: #555; font-size: 8pt; }
@media print { body { padding: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
"""


def render_checklist(run: RunRecord, files: list[str]) -> str:
    """The whole checklist.html for a run; `files` are the record's other files, for the footer."""
    title = f"examday {run.phase} checklist: {run.target_name}, {iso_utc(run.started_at)}"
    return "\n".join([
        page_head(title, STYLE),
        f"<h1>Exam-day checklist record: {_e(run.phase)}</h1>",
        _header_table(run),
        _verdict_block(run),
        _items_table(run),
        _signoff_block(run),
        _footer(run, files),
        "</body></html>",
        ""])


def _header_table(run: RunRecord) -> str:
    rows = [
        ("Exam", _exam_text(run)),
        ("Target", f"{run.target_name} ({run.target_kind})"),
        ("Operator", run.operator),
        ("Started", f"{iso_utc(run.started_at)} (UTC)"),
        ("Ended", f"{iso_utc(run.ended_at)} (UTC), {_duration(run.ended_at - run.started_at)}"),
        ("Phase", f"{run.phase}" + (", strict attestations" if run.strict_attestations else "")),
        ("Host", run.host or "unknown"),
        ("examday version", run.examday_version),
        ("Git commit", run.git_commit),
        ("Config digest", f"sha256 {run.config_digest} ({run.config_name})"),
    ]
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="meta">{body}</table>'


def _exam_text(run: RunRecord) -> str:
    if not run.exam:
        return "no exam configured ([exam] in the target's config)"
    exam = run.exam
    text = f"{exam['id']}" + (f": {exam['title']}" if exam.get("title") else "")
    starts = dt.datetime.fromisoformat(exam["starts_at"])
    ends = dt.datetime.fromisoformat(exam["ends_at"])
    lead = starts - run.started_at
    when = (f"this run started {_duration(lead)} before the exam"
            if lead.total_seconds() >= 0 else f"this run started {_duration(-lead)} after the exam started")
    return f"{text}; window {iso_utc(starts)} to {iso_utc(ends)}; {when}"


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {minutes} min"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def _verdict_block(run: RunRecord) -> str:
    verdict = run_verdict(run)
    counts = run.counts()
    summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
    unattested = sum(1 for i in run.items if i.unattested)
    lines = [f'<section class="verdict verdict-{verdict.css_class}">',
             f'<p class="word">{_e(verdict.value)}</p>',
             f"<p>{len(run.items)} items: {_e(summary) or 'none'}"
             + (f"; {unattested} manual item(s) not attested" if unattested else "") + "</p>"]
    blocking = blocking_items(run.items, strict_attestations=run.strict_attestations)
    if blocking:
        lines.append("<p>Blocking:</p><ul>" + "".join(
            f"<li><b>{_e(i.id)}</b> {_e(i.title)}: {_e(i.message or i.outcome)}</li>" for i in blocking) + "</ul>")
    unchecked = unchecked_items(run.items)
    if unchecked:
        lines.append(f"<p>Not checked ({_e(INCOMPLETE_HINT)}):</p><ul>" + "".join(
            f"<li><b>{_e(i.id)}</b> {_e(i.title)}: {_e(i.message)}</li>" for i in unchecked) + "</ul>")
    waived = [i for i in run.items if i.outcome == "waived"]
    if waived:
        lines.append("<p>Waived:</p><ul>" + "".join(
            f"<li><b>{_e(i.id)}</b> until {_e((i.waiver or {}).get('expires', '?'))}: "
            f"{_e((i.waiver or {}).get('justification', ''))}</li>" for i in waived) + "</ul>")
    lines.append("</section>")
    return "".join(lines)


def _items_table(run: RunRecord) -> str:
    head = ('<h2>Items</h2><table class="items"><colgroup><col class="id"><col class="title">'
            '<col class="outcome"><col class="evidence"><col class="sign"><col class="duration"></colgroup>'
            "<thead><tr><th>ID</th><th>Runbook item</th><th>Outcome</th><th>Evidence</th>"
            "<th>Attestation / waiver</th><th>Time</th></tr></thead>")
    return head + "".join(_item_rows(item) for item in run.items) + "</table>"


SKIP_LABEL = {"skipped": "not checked", "not_applicable": "not applicable"}


def _item_rows(item: ItemRecord) -> str:
    variant = _variant(item.nodeid)
    title = _e(item.title) + (f" <span class=\"mono\">[{_e(variant)}]</span>" if variant else "")
    runbook = f'<div class="runbook">{_e(item.runbook)}</div>' if item.runbook else ""
    if item.references:
        runbook += f'<div class="runbook">see {_e(", ".join(item.references))}</div>'
    outcome = f'<span class="outcome">{_e(item.outcome)}</span>'
    # A skip's reason sits where the evidence would be; failures get a full-width row below.
    reason = (f'<div class="note">{SKIP_LABEL[item.outcome]}: {_e(item.message)}</div>'
              if item.outcome in SKIP_LABEL else "")
    row = (f'<tr class="item outcome-{_e(item.outcome)}" data-item-id="{_e(item.id)}">'
           f'<td class="id">{_e(item.id)}</td><td>{title}{runbook}</td><td>{outcome}</td>'
           f"<td>{reason}{_evidence_cell(item.evidence) if item.evidence or not reason else ''}</td>"
           f"<td>{_sign_cell(item)}</td>"
           f'<td class="duration">{item.duration_s:.2f} s</td></tr>')
    if item.outcome in ("failed", "error", "waived") and item.message:
        label = "Waived failure" if item.outcome == "waived" else item.outcome.capitalize()
        row += (f'<tr class="failure"><td colspan="6"><b>{_e(label)}:</b> {_e(item.message)}'
                f"<br><b>Remediation:</b> {_e(item.remediation)}</td></tr>")
    if item.triage:
        row += f'<tr class="failure triage"><td colspan="6">{_triage_cell(item.triage)}</td></tr>'
    for name, svg in item.figures.items():
        # examday's own SVG (plugin.evidence refuses anything else): drawn, not escaped
        row += f'<tr class="figure"><td colspan="6"><div class="note">{_e(name)}</div>{svg}</td></tr>'
    return f"<tbody>{row}</tbody>"


def _triage_cell(triage: dict[str, Any]) -> str:
    """The Common Issues the diagnostics point to (why, and the runbook's action), then each step's findings."""
    issues = "".join(f"<li><b>{_e(match['name'])}</b>: {_e('; '.join(match.get('because', [])))}"
                     f'<div class="note">{_e(match["runbook"])}: {_e(match["action"])}</div></li>'
                     for match in triage.get("issues", []))
    steps = "".join(f'<tr><td class="id">{_e(step["name"])}</td><td class="note">{_e(step["stands_for"])}</td>'
                    f"<td>{_e(step['problem']) if step.get('problem') else _evidence_cell(step.get('found') or {})}"
                    "</td></tr>" for step in triage.get("steps", []))
    return (f"<b>Triage</b> ({_e(triage.get('seconds'))} s, the runbook's diagnostic steps, read-only):"
            f'<ul class="issues">{issues}</ul><table class="steps">{steps}</table>')


def _variant(nodeid: str) -> str:
    """The parameter of a parametrized item (a TLS endpoint, a DNS record)."""
    match = re.search(r"\[(.*)\]$", nodeid)
    return match.group(1) if match else ""


def _evidence_cell(evidence: dict[str, Any]) -> str:
    if not evidence:
        return '<span class="note">none recorded</span>'
    text = "\n".join(f"{key}: {value}" for key, value in _flatten(evidence))
    if len(text) > EVIDENCE_CHARS:
        text = text[:EVIDENCE_CHARS] + "\n... (complete evidence in results.json)"
    return f"<pre>{_e(text)}</pre>"


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested evidence as `services.backend: ["running", "healthy"]` lines, easier to read on paper."""
    if isinstance(value, dict) and value:
        pairs: list[tuple[str, str]] = []
        for key, inner in value.items():
            pairs += _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return [(prefix, shown)]


def _sign_cell(item: ItemRecord) -> str:
    parts = []
    if item.attestation:
        parts.append(_statement("Attested", item.attestation, "note"))
    elif item.manual:
        parts.append('<span class="note">not attested</span>')
    if item.declaration:
        parts.append(_statement("Declared not applicable", item.declaration, "justification"))
    if item.waiver:
        parts.append(_statement("Waived", item.waiver, "justification"))
    return "<br>".join(parts)


def _statement(label: str, statement: dict[str, Any], why: str) -> str:
    """An attestation, declaration or waiver: who, when, why, its evidence and expiry."""
    return (f"<b>{_e(label)}</b> by {_e(statement.get('by'))}, {_e(statement.get('at'))}: {_e(statement.get(why))}"
            + _evidence_ref(statement.get("evidence")) + _expiry(statement.get("expires")))


def _evidence_ref(evidence: dict[str, Any] | None) -> str:
    if not evidence:
        return ""
    if evidence.get("url"):
        return f'<div class="note">evidence: {_e(evidence["url"])}</div>'
    return (f'<div class="note">evidence: {_e(evidence.get("path"))} '
            f'(sha256 <span class="mono">{_e(evidence.get("sha256"))}</span>)</div>')


def _expiry(expires: str | None) -> str:
    return f'<div class="note">valid until {_e(expires)}</div>' if expires else ""


def _signoff_block(run: RunRecord) -> str:
    rows = "".join(f"<tr><td>{_e(role)}</td><td>{_e(name)}</td><td></td><td></td></tr>"
                   for role, name in (("Operator", run.operator), ("Reviewer (exam board)", ""),
                                      ("Approver", "")))
    return ('<section class="signoff-block"><h2>Sign-off</h2>'
            f"<p>We confirm that this checklist was run as recorded above and accept the verdict "
            f"<b>{_e(run_verdict(run).value)}</b>.</p>"
            '<table class="signoff"><thead><tr><th>Role</th><th>Name</th><th>Signature</th><th>Date</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>"
            "<p class=\"note\">Digital sign-off: SHA256SUMS in this record's folder lists the sha256 of every "
            "file, and each signature in signatures/ signs SHA256SUMS. VERIFY.txt gives the commands.</p>"
            "</section>")


def _footer(run: RunRecord, files: list[str]) -> str:
    listed = ", ".join(files)
    return (f"<footer>Record files: {_e(listed)}. Generated by examday {_e(run.examday_version)} "
            f"at {_e(iso_utc(run.ended_at))}.</footer>")
