"""trend.json and trend.html: the watch so far, rewritten after every round and at the end.

Each file is written beside itself and renamed into place, so whoever has the
page open (or a script reading the JSON) never sees half a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from examday.watch.layout import WatchLayout
from examday.watch.info import WatchInfo
from examday.watch.summary import RoundSummary
from examday.watch.trend_html import render_trend_html

SCHEMA = "examday.watch/v1"


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
