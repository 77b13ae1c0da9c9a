"""Write a capture bundle: every section, an index, a summary page; all or nothing on disk.

The bundle is built in a `.partial` folder beside its destination and renamed
into place when complete, so an interrupted capture leaves no half bundle
under the real name. Every text goes through the redactor before it is written.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from examday.errors import ExamdayError
from examday.capture.sections import SECTIONS, Sources
from examday.capture.summary_html import render_summary
from examday.config import ExamdayConfig
from examday.probes.errors import ProbeError
from examday.report.redaction import Redactor

INDEX_NAME = "capture.json"
SUMMARY_NAME = "summary.html"


class CaptureError(ExamdayError):
    """The bundle cannot be written where asked (the message says what to do)."""


@dataclass
class CaptureResult:
    path: Path
    index: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def sections(self) -> list[str]:
        return [name for name in SECTIONS if name not in self.errors]


def write_bundle(destination: Path, sources: Sources, redactor: Redactor,
                 progress: Callable[[str], None] = lambda _message: None) -> CaptureResult:
    if destination.exists() and any(destination.iterdir()):
        raise CaptureError(f"{destination} already exists and is not empty: choose a new folder "
                           "(a capture never overwrites an earlier one)")
    staging = destination.with_name(destination.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        result = _write_into(staging, sources, redactor, progress)
        if destination.exists():
            destination.rmdir()  # empty, checked above
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result.path = destination
    return result


def _write_into(folder: Path, sources: Sources, redactor: Redactor,
                progress: Callable[[str], None]) -> CaptureResult:
    captured: dict[str, Any] = {}
    errors: dict[str, str] = {}
    timings: dict[str, float] = {}
    for name, read in SECTIONS.items():
        progress(f"capturing {name}")
        started = time.monotonic()
        try:
            captured[name] = redactor.value(read(sources))
        except ProbeError as error:  # a dead or silent dependency costs this section only
            errors[name] = redactor.text(str(error))
        timings[name] = round(time.monotonic() - started, 2)
        if name in captured:
            _write_json(folder / f"{name}.json", captured[name], redactor)
    index = _index(sources, captured, errors, timings)
    _write_json(folder / INDEX_NAME, index, redactor)
    (folder / SUMMARY_NAME).write_text(redactor.text(render_summary(index, captured)), encoding="utf-8")
    return CaptureResult(folder, index, errors)


def _index(sources: Sources, captured: dict[str, Any], errors: dict[str, str],
           timings: dict[str, float]) -> dict[str, Any]:
    return {
        "target": sources.config.target.name,
        "exam": sources.config.exam.id if sources.config.exam else None,
        "captured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "window_since": sources.since.isoformat(timespec="seconds"),
        "sections": {name: {"file": f"{name}.json", "seconds": timings[name]} for name in captured},
        "errors": errors,
    }


def _write_json(path: Path, value: Any, redactor: Redactor) -> None:
    path.write_text(redactor.text(json.dumps(value, indent=2, sort_keys=True, default=str)) + "\n",
                    encoding="utf-8")


def capture_window_start(config: ExamdayConfig, minutes: float | None = None) -> dt.datetime:
    """From `minutes` ago when given; else from the exam's start when configured; else the log window."""
    now = dt.datetime.now(dt.timezone.utc)
    if minutes is not None:
        return now - dt.timedelta(minutes=minutes)
    if config.exam is not None and config.exam.starts_at < now:
        return config.exam.starts_at
    return now - dt.timedelta(minutes=config.logs.window_minutes)
