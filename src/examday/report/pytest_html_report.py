"""The pytest-html report inside a record: self-contained, with ID, phase and evidence columns.

pytest-html starts only when given a path, in its own pytest_configure: the
recording plugin gives it one in a temporary folder (scrubbed and copied into
the record at the end) unless the operator asked for `--html` themselves.
Its cells are HTML strings; every value put into one is escaped here.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

REPORT_NAME = "pytest-report.html"
TEMP_DIR_KEY = pytest.StashKey[Path]()
EVIDENCE_COLUMN_CHARS = 600


def enable(config: pytest.Config) -> None:
    """Make pytest-html write a self-contained report (call before pytest-html's pytest_configure)."""
    if not config.pluginmanager.hasplugin("html"):
        return
    if not config.getoption("htmlpath"):
        folder = Path(tempfile.mkdtemp(prefix="examday-html-"))
        config.stash[TEMP_DIR_KEY] = folder
        config.option.htmlpath = str(folder / REPORT_NAME)
    config.option.self_contained_html = True


def written_report(config: pytest.Config) -> Path | None:
    path = getattr(config.option, "htmlpath", None)
    return Path(path) if path and Path(path).is_file() else None


def forget_temporary_report(config: pytest.Config) -> None:
    """pytest-html wrote into our temp folder: its "Generated html report" line would point nowhere."""
    if TEMP_DIR_KEY not in config.stash:
        return
    for plugin in config.pluginmanager.get_plugins():
        if type(plugin).__module__.startswith("pytest_html.") and hasattr(plugin, "_report_path"):
            config.pluginmanager.unregister(plugin)


def remove_temporary_folder(config: pytest.Config) -> None:
    folder = config.stash.get(TEMP_DIR_KEY, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def add_header_cells(cells: list[str]) -> None:
    cells.insert(1, '<th class="sortable" data-column-type="examdayId">ID</th>')
    cells.insert(2, '<th data-column-type="examdayPhase">Phase</th>')
    cells.append('<th data-column-type="examdayEvidence">Evidence</th>')


def add_row_cells(user_properties: list[tuple[str, Any]], cells: list[str]) -> None:
    """The ID, phase and (already redacted) evidence the recording plugin put in user_properties."""
    properties = dict(user_properties)
    evidence = str(properties.get("examday_evidence", ""))
    if len(evidence) > EVIDENCE_COLUMN_CHARS:
        evidence = evidence[:EVIDENCE_COLUMN_CHARS] + " ..."
    cells.insert(1, f'<td class="col-examdayId">{html.escape(str(properties.get("examday_id", "")))}</td>')
    cells.insert(2, f'<td class="col-examdayPhase">{html.escape(str(properties.get("examday_phase", "")))}</td>')
    cells.append(f'<td class="col-examdayEvidence">{html.escape(evidence)}</td>')
