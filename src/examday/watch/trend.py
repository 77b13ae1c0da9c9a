"""trend.json and trend.html: the watch so far, rewritten after every round and at the end.

Each file is written beside itself and renamed into place, so whoever has the
page open (or a script reading the JSON) never sees half a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from examday.report.model import iso_utc
from examday.watch.charts import Limits
from examday.watch.layout import WatchLayout
from examday.watch.summary import RoundSummary
from examday.watch.trend_html import render_trend_html

SCHEMA = "examday.watch/v1"
RUNNING = "running"


@dataclass
class WatchInfo:
    """What the trend page says about the watch itself."""

    target_name: str
    target_kind: str
    config_path: str
    limits: Limits
    interval_s: float
    duration_s: float | None  # None: until stopped
    started_at: dt.datetime
    exam: dict[str, Any] | None = None
    status: str = RUNNING  # running | finished | stopped by Ctrl-C | stopped by SIGTERM | stopped: <why>
    updated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    def as_dict(self) -> dict[str, Any]:
        return {"target_name": self.target_name, "target_kind": self.target_kind, "config": self.config_path,
                "exam": self.exam, "limits": vars(self.limits), "interval_s": self.interval_s,
                "duration_s": self.duration_s, "started_at": iso_utc(self.started_at),
                "updated_at": iso_utc(self.updated_at), "status": self.status}


def trend_document(info: WatchInfo, rounds: list[RoundSummary]) -> dict[str, Any]:
    return {"schema": SCHEMA, "watch": info.as_dict(),
            "summary": {"rounds": len(rounds), "failed": sum(r.failed for r in rounds),
                        "failed_rounds": [r.number for r in rounds if r.failed]},
            "rounds": [r.as_dict() for r in rounds]}


def write_trend(layout: WatchLayout, info: WatchInfo, rounds: list[RoundSummary]) -> None:
    info.updated_at = dt.datetime.now(dt.timezone.utc)
    _replace(layout.trend_json, json.dumps(trend_document(info, rounds), indent=2, ensure_ascii=False) + "\n")
    _replace(layout.trend_html, render_trend_html(info, rounds))


def _replace(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
