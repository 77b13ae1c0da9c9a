"""What the trend page and trend.json say about the watch itself (target, limits, timing, status)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from examday.report.model import iso_utc
from examday.watch.charts import Limits

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
