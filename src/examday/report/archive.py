"""Write a run's record folder: reports/<target>/<YYYY-MM-DD>/<phase>-<HHMMSS>Z/.

In order: the rendered files (each passed through the redactor as it is
written), results.json (whose statement names the files before it by sha256),
VERIFY.txt, then SHA256SUMS over all of them, then the signature. The folder
is assembled under a hidden ".partial" name and renamed when complete, so a
crashed run never leaves a half record that looks finished.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from examday.report.checklist_html import render_checklist
from examday.report.junit_xml import render_junit_xml
from examday.report.manifest import MANIFEST_NAME, VERIFY_NAME, sha256_of, verify_instructions, write_manifest
from examday.report.model import RunRecord
from examday.report.redaction import Redactor
from examday.report.results_json import render_results_json
from examday.report.signing import SIGNATURES_DIR, sign, signer_file_name

CHECKLIST_NAME = "checklist.html"
PYTEST_HTML_NAME = "pytest-report.html"
RESULTS_NAME = "results.json"
JUNIT_NAME = "junit.xml"
ATTACHMENTS_DIR = "attachments"  # what items produced for the record, one folder each


@dataclass(frozen=True)
class WrittenRecord:
    path: Path
    signature: Path | None


def run_folder(reports_dir: Path, run: RunRecord) -> Path:
    """A new, unused folder name for this run (UTC date and time of its start)."""
    started = run.started_at.astimezone(dt.timezone.utc)
    base = reports_dir / folder_slug(run.target_name) / started.strftime("%Y-%m-%d")
    name = f"{folder_slug(run.phase)}-{started.strftime('%H%M%S')}Z"
    candidate, n = base / name, 1
    while candidate.exists() or _partial(candidate).exists():
        n += 1
        candidate = base / f"{name}-{n}"
    return candidate


def folder_slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "-", text).strip("-.")[:60] or "all"


def _partial(folder: Path) -> Path:
    return folder.with_name(f".{folder.name}.partial")


def write_record(run: RunRecord, reports_dir: Path, redactor: Redactor, *, pytest_html: Path | None = None,
                 attachments: Path | None = None, sign_key: Path | None = None,
                 signer: str = "operator") -> WrittenRecord:
    """Write the whole record; a SigningError after the folder is complete leaves it unsigned."""
    final = run_folder(reports_dir, run)
    staging = _partial(final)
    staging.mkdir(parents=True)
    try:
        _write_files(run, staging, redactor, pytest_html, _copy_attachments(attachments, staging, redactor))
        write_manifest(staging)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    signature = None
    if sign_key is not None:
        signature = final / SIGNATURES_DIR / signer_file_name(signer)
        sign(final / MANIFEST_NAME, sign_key, signature)
    return WrittenRecord(final, signature)


def _copy_attachments(source: Path | None, record: Path, redactor: Redactor) -> list[str]:
    """Files items produced for the record (e.g. the metrics capture), text redacted once more."""
    if source is None or not source.is_dir() or not any(source.iterdir()):
        return []
    target = record / ATTACHMENTS_DIR
    for path in sorted(source.rglob("*")):
        copy = target / path.relative_to(source)
        if path.is_dir():
            copy.mkdir(parents=True, exist_ok=True)
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:
            copy.write_text(redactor.text(path.read_text(encoding="utf-8")), encoding="utf-8")
        except UnicodeDecodeError:
            shutil.copyfile(path, copy)
    return [ATTACHMENTS_DIR + "/"]


def _write_files(run: RunRecord, folder: Path, redactor: Redactor, pytest_html: Path | None,
                 attached: list[str]) -> None:
    def write(name: str, text: str) -> None:
        (folder / name).write_text(redactor.text(text), encoding="utf-8")

    files = [CHECKLIST_NAME] + ([PYTEST_HTML_NAME] if pytest_html else []) + [
        RESULTS_NAME, JUNIT_NAME, VERIFY_NAME, MANIFEST_NAME, *attached, SIGNATURES_DIR + "/"]
    if pytest_html is not None:
        write(PYTEST_HTML_NAME, pytest_html.read_text(encoding="utf-8"))
    write(JUNIT_NAME, render_junit_xml(run))
    write(CHECKLIST_NAME, render_checklist(run, files))
    subjects = {name: sha256_of(folder / name) for name in (CHECKLIST_NAME, PYTEST_HTML_NAME, JUNIT_NAME)
                if (folder / name).exists()}
    write(RESULTS_NAME, render_results_json(run, subjects))
    write(VERIFY_NAME, verify_instructions())
