"""The lines a checklist run ends with on the terminal: what was not checked, what was waived, where
the record is and the verdict, and what went wrong writing it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from examday.report.model import ItemRecord
from examday.report.verdict import INCOMPLETE_HINT, Verdict


def write_summary(terminal: Any, records: list[ItemRecord], verdict: str, written: Path | None,
                  problem: str | None) -> None:
    for record in records:
        if record.outcome == "skipped" and not record.manual:
            terminal.write_line(f"NOT CHECKED {record.id} {record.title}: {record.message}", yellow=True)
        if record.outcome == "waived" and record.waiver:
            waiver = record.waiver
            terminal.write_line(f"WAIVED {record.id} {record.title}: {record.message} (waived by "
                                f"{waiver.get('by')} until {waiver.get('expires')})", yellow=True)
    if written is not None:
        terminal.write_line(f"examday record: {_shown(written)}  verdict: {verdict}", bold=True)
    else:
        terminal.write_line(f"examday verdict: {verdict} (no record written)", bold=True)
    if verdict == Verdict.INCOMPLETE.value:
        terminal.write_line(f"examday: {INCOMPLETE_HINT}", yellow=True)
    if problem:
        terminal.write_line(f"examday error: {problem}", red=True)


def _shown(path: Path) -> str:
    """The record's path relative to the working folder when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
