"""Write the post-mortem of one exam, then complete it once people have filled in the lessons.

`build_postmortem` writes a draft folder beside the records: postmortem.html (lessons "to be
completed"), postmortem.json (what it was built from) and lessons.toml (the template, partly filled).
`complete_postmortem` reads the completed lessons.toml, renders the page with them, and seals the
folder like any record (VERIFY.txt, SHA256SUMS): `examday sign` and `examday verify` then work on it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from examday.errors import ExamdayError
from examday.postmortem.history import ExamHistory, exam_history
from examday.postmortem.lessons import LESSONS_NAME, Lessons, lessons_template, read_lessons
from examday.postmortem.page import render_postmortem
from examday.report.archive import folder_slug
from examday.report.manifest import MANIFEST_NAME, VERIFY_NAME, verify_instructions, write_manifest
from examday.report.model import iso_utc
from examday.watch.charts import Limits

PAGE_NAME = "postmortem.html"
DATA_NAME = "postmortem.json"
FOLDER = "postmortems"  # reports/<target>/postmortems/<exam>-<UTC time>/


class PostmortemError(ExamdayError):
    """The folder is not a post-mortem draft examday wrote, or it is sealed already."""


def build_postmortem(reports_dir: Path, which_exam: str, limits: Limits, now: dt.datetime | None = None) -> Path:
    history = exam_history(reports_dir, which_exam)
    now = now or dt.datetime.now(dt.timezone.utc)
    folder = reports_dir / folder_slug(history.target) / FOLDER / f"{folder_slug(which_exam)}-{now:%Y%m%dT%H%M%S}Z"
    folder.mkdir(parents=True)
    (folder / LESSONS_NAME).write_text(lessons_template(history), encoding="utf-8")
    (folder / DATA_NAME).write_text(json.dumps(_data(history, reports_dir, folder, now), indent=2) + "\n",
                                    encoding="utf-8")
    _write_page(folder, history, limits, None, reports_dir)
    return folder


def complete_postmortem(folder: Path, limits: Limits) -> Path:
    """Render the lessons into the page and seal the folder; refused when already sealed or incomplete."""
    if (folder / MANIFEST_NAME).exists():
        raise PostmortemError(f"{folder} is completed already: its {MANIFEST_NAME} is what is signed",
                              hint="sign it with `examday sign`, or build a new post-mortem to change it")
    data = _read_data(folder)
    lessons = read_lessons(folder / LESSONS_NAME)
    reports_dir = (folder / data["reports_dir"]).resolve()
    history = exam_history(reports_dir, data["exam"]["id"])
    _write_page(folder, history, limits, lessons, reports_dir)
    (folder / VERIFY_NAME).write_text(verify_instructions(), encoding="utf-8")
    write_manifest(folder)
    return folder


def _write_page(folder: Path, history: ExamHistory, limits: Limits, lessons: Lessons | None,
                reports_dir: Path) -> None:
    back_to = os.path.relpath(reports_dir, folder)
    (folder / PAGE_NAME).write_text(render_postmortem(history, limits, lessons, back_to), encoding="utf-8")


def _data(history: ExamHistory, reports_dir: Path, folder: Path, now: dt.datetime) -> dict:
    return {"schema": "examday.postmortem/v1", "built_at": iso_utc(now), "exam": history.exam,
            "target": history.target, "reports_dir": os.path.relpath(reports_dir, folder),
            "runs": [{"record": r.record, "phase": r.phase, "started_at": iso_utc(r.started_at),
                      "verdict": r.verdict} for r in history.runs],
            "failures": [{"at": iso_utc(f.at), "item": f.item_id, "phase": f.phase, "message": f.message,
                          "issue": f.issue, "record": f.record} for f in history.failures]}


def _read_data(folder: Path) -> dict:
    try:
        return json.loads((folder / DATA_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise PostmortemError(f"{folder} is no post-mortem examday built (no readable {DATA_NAME})",
                              hint="give the folder `examday postmortem EXAM_ID` printed") from None
