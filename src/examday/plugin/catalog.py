"""`examday checklist`: the catalog of items, from the metadata the tests carry; and docs/runbook.md,
the runbook's sections with the items that check each, written from the same metadata."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.table import Table

from examday.checklist import PHASES, SECTION_ORDER
from examday.plugin.items import meta_of, phases_of


def runbook_rank(item_id: str, phases: list[str], selected: str = "") -> tuple[int, int, str]:
    """Sort key in the runbook's order. An item of several phases sorts where the run's
    marker expression (`selected`, e.g. "recovery") places it, else under its first phase."""
    words = set(selected.replace("(", " ").replace(")", " ").split())
    phase = next((p for p in phases if p in words), phases[0] if phases else "")
    sections = SECTION_ORDER.get(phase, [])
    section = item_id.split("-")[1] if item_id.count("-") >= 2 else ""
    return (PHASES.index(phase) if phase in PHASES else len(PHASES),
            sections.index(section) if section in sections else len(sections), item_id)


def catalog_rows(items: list[pytest.Item], selected: str = "") -> list[tuple[str, str, str, str, str]]:
    """(ID, phases, title, kind, impact) once per item ID, in the runbook's order."""
    rows: dict[str, tuple[str, str, str, str, str]] = {}
    for node in items:
        meta = meta_of(node)
        if meta is not None and meta.id not in rows:
            kind = "attested" if meta.manual else "automated"
            rows[meta.id] = (meta.id, ",".join(phases_of(node)), meta.title, kind, meta.impact.value)
    return sorted(rows.values(), key=lambda row: runbook_rank(row[0], row[1].split(","), selected))


def print_catalog(items: list[pytest.Item], selected: str = "") -> None:
    table = Table("ID", "phase", "runbook item", "kind", "impact", title="examday checklist")
    for row in catalog_rows(items, selected):
        table.add_row(*row)
    Console(highlight=False, width=140).print(table)


def runbook_map(items: list[pytest.Item]) -> str:
    """docs/runbook.md: each runbook section (in the runbook's order) with its items and references."""
    metas = {meta.id: meta for node in items if (meta := meta_of(node)) is not None}
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    for item_id, phase, title, _kind, _impact in catalog_rows(items):
        meta = metas[item_id]
        refs = ", ".join(f"[{ref.split('#')[-1]}]({ref.removeprefix('docs/')})" for ref in meta.references)
        sections.setdefault(meta.runbook or "(no runbook section)", []).append((item_id, phase, title, refs))
    lines = ["# The runbook, item by item", "",
             "Each section of the exam-day runbook with the examday items that check it, in the runbook's "
             "order. Written from the items' own metadata by `pytest checks --examday-runbook-map=docs/runbook.md` "
             "(a test fails when it is stale). What each reference assumes of the platform is in "
             "[platform.md](platform.md).", ""]
    for section, rows in sections.items():
        lines += [f"## {section}", "", "| ID | phase | item | assumes |", "|---|---|---|---|"]
        lines += [f"| {item_id} | {phase} | {title.replace('|', '/')} | {refs} |" for item_id, phase, title, refs in rows]
        lines.append("")
    return "\n".join(lines)
