"""`examday checklist`: the catalog of items, from the metadata the tests carry."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.table import Table

from examday.checklist import PHASES
from examday.plugin.items import meta_of, phases_of


# The runbook's own order of sections within a phase.
SECTION_ORDER = ["INF", "CFG", "MON", "COM", "CAP", "MOD", "JOB", "EPT", "SYS", "LAT", "ERR", "RED", "DRF",
                 "INT", "OBS"]


def _runbook_order(row: tuple[str, str, str, str, str]) -> tuple[int, int, str]:
    item_id, phases = row[0], row[1].split(",")
    section = item_id.split("-")[1]
    phase = PHASES.index(phases[0]) if phases[0] in PHASES else len(PHASES)
    return (phase, SECTION_ORDER.index(section) if section in SECTION_ORDER else len(SECTION_ORDER), item_id)


def catalog_rows(items: list[pytest.Item]) -> list[tuple[str, str, str, str, str]]:
    """(ID, phases, title, kind, impact) once per item ID, in the runbook's order."""
    rows: dict[str, tuple[str, str, str, str, str]] = {}
    for node in items:
        meta = meta_of(node)
        if meta is not None and meta.id not in rows:
            kind = "attested" if meta.manual else "automated"
            rows[meta.id] = (meta.id, ",".join(phases_of(node)), meta.title, kind, meta.impact.value)
    return sorted(rows.values(), key=_runbook_order)


def print_catalog(items: list[pytest.Item]) -> None:
    table = Table("ID", "phase", "runbook item", "kind", "impact", title="examday checklist")
    for row in catalog_rows(items):
        table.add_row(*row)
    Console(highlight=False, width=140).print(table)
