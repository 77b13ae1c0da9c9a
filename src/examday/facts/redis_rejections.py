"""Redis's rejected connections since examday last looked, not over Redis's whole life.

INFO's ``rejected_connections`` counts from the moment Redis started: one rejection a
week before the exam would fail every round after it. So each reading is kept beside
the freeze baseline, and a round judges what was added since the previous reading of
the same Redis process (INFO server ``run_id``). A new run_id means Redis restarted
since: all it counts happened after that. With no earlier reading, the count since
Redis started is all there is, and the evidence says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.local_state import read_json, state_dir, write_json

FILE_NAME = "redis-rejections.json"


@dataclass(frozen=True)
class RejectionReading:
    run_id: str
    rejected: int  # INFO stats rejected_connections: since Redis started
    at: str  # when examday read it (ISO 8601, UTC)


@dataclass(frozen=True)
class Rejections:
    new: int
    since: str  # what `new` counts from, in words

    def as_evidence(self) -> dict[str, Any]:
        return {"rejected_since": self.since, "rejected_connections_new": self.new}


def read_rejections(redis: Any, now: dt.datetime | None = None) -> RejectionReading:
    moment = (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    return RejectionReading(str(redis.info("server").get("run_id", "")), redis.rejected_connections(), moment)


def rejections_since(current: RejectionReading, previous: RejectionReading | None) -> Rejections:
    if previous is None:
        return Rejections(current.rejected, "Redis started (no earlier reading of examday's)")
    if previous.run_id != current.run_id or current.rejected < previous.rejected:
        return Rejections(current.rejected, f"Redis restarted after examday's reading at {previous.at}")
    return Rejections(current.rejected - previous.rejected, f"examday's previous reading at {previous.at}")


def _path(config: ExamdayConfig) -> Path:
    return state_dir(config) / FILE_NAME


def previous_reading(config: ExamdayConfig) -> RejectionReading | None:
    data = read_json(_path(config))
    try:
        return RejectionReading(str(data["run_id"]), int(data["rejected"]), str(data["at"]))
    except (KeyError, TypeError, ValueError):  # none yet, or not a reading
        return None


def keep_reading(reading: RejectionReading, config: ExamdayConfig) -> None:
    write_json(_path(config), asdict(reading))
