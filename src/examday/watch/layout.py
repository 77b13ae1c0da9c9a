"""Where a watch writes:

    <reports dir>/<target>/watch-<YYYYMMDD>T<HHMMSS>Z/
      trend.html        the page (rewritten after every round)
      trend.json        the same rounds as data
      rounds/           each round's record, in the usual layout:
        <target>/<YYYY-MM-DD>/during-<HHMMSS>Z/   checklist.html, results.json, SHA256SUMS, ...
      logs/round-NNN.log  each round's pytest output (outside the records: a record's files are hashed)
      log-window/       the backend log window kept from round to round (facts/log_window_state.py)

<reports dir> is --reports-dir, else reports/ beside the target's examday.toml,
as for any checklist run. `examday reports --reports-dir <watch>/rounds` lists
the rounds; `examday verify` checks any one of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

# The records' own folder naming, so <target> is spelled the same in both places.
from examday.report.archive import folder_slug

TREND_HTML, TREND_JSON, ROUNDS_DIR, LOGS_DIR, LOG_STATE_DIR = "trend.html", "trend.json", "rounds", "logs", "log-window"


@dataclass(frozen=True)
class WatchLayout:
    folder: Path

    @property
    def trend_html(self) -> Path:
        return self.folder / TREND_HTML

    @property
    def trend_json(self) -> Path:
        return self.folder / TREND_JSON

    @property
    def rounds(self) -> Path:
        return self.folder / ROUNDS_DIR

    @property
    def log_state(self) -> Path:
        return self.folder / LOG_STATE_DIR

    def log_of(self, number: int) -> Path:
        return self.folder / LOGS_DIR / f"round-{number:03d}.log"


def new_watch_layout(reports_dir: Path, target_name: str, started: dt.datetime) -> WatchLayout:
    """A new, unused watch folder for a watch started at `started` (UTC)."""
    base = reports_dir / folder_slug(target_name)
    name = f"watch-{started.astimezone(dt.timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
    candidate, n = base / name, 1
    while candidate.exists():
        n += 1
        candidate = base / f"{name}-{n}"
    candidate.mkdir(parents=True)
    return WatchLayout(candidate)
