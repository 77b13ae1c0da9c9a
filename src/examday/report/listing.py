"""The past runs under a reports folder, for `examday reports`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from examday.report.archive import RESULTS_NAME
from examday.report.manifest import MANIFEST_NAME
from examday.report.verify import RecordCheck, check_record


@dataclass
class RecordSummary:
    path: Path
    target: str
    phase: str
    verdict: str
    items: int
    check: RecordCheck


def record_folders(reports_dir: Path, target: str | None = None) -> list[Path]:
    """reports/<target>/<date>/<run>/ folders holding a record, oldest first (hidden .partial ones skipped)."""
    pattern = f"{target}/*/*" if target else "*/*/*"
    return sorted(p for p in reports_dir.glob(pattern)
                  if p.is_dir() and not p.name.startswith(".")
                  and ((p / MANIFEST_NAME).exists() or (p / RESULTS_NAME).exists()))


def summarise(folder: Path, allowed_signers: Path | None = None) -> RecordSummary:
    target, phase, verdict, items = folder.parents[1].name, "?", "?", 0
    try:
        document = json.loads((folder / RESULTS_NAME).read_text(encoding="utf-8"))
        run = document.get("run", {})
        target, phase = run.get("target_name", target), run.get("phase", phase)
        verdict, items = document.get("verdict", verdict), len(document.get("items", []))
    except (OSError, ValueError, AttributeError):
        pass  # the check below names what is wrong with the folder
    return RecordSummary(folder, target, phase, verdict, items, check_record(folder, allowed_signers))
