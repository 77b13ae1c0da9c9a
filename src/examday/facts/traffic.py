"""No requests in the logs' window: a quiet platform outside the exam, a lost signal during it.

An exam whose logs go silent is not a healthy exam: either the students cannot reach the
platform, or the logs no longer reach examday. Outside the exam's window silence is normal
and the traffic items do not apply; with no window configured examday cannot tell.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from examday.config import ExamdayConfig


@dataclass(frozen=True)
class Silence:
    live: bool | None  # is the exam live now? None: no [exam] window says
    message: str


def judge_silence(config: ExamdayConfig, what: str = "requests", now: dt.datetime | None = None) -> Silence:
    """What it means that no `what` were logged in the window, given the exam's window."""
    said = f"no {what} logged in the last {config.logs.window_minutes:g} min"
    exam = config.exam
    if exam is None:
        return Silence(None, f"{said}, and no [exam] window says whether the exam is live: "
                             "set [exam] starts_at and ends_at (or window_file)")
    now = now or dt.datetime.now(dt.timezone.utc)
    window = f"{_utc(exam.starts_at)} to {_utc(exam.ends_at)}"
    if exam.starts_at <= now < exam.ends_at:
        return Silence(True, f"{said} during the live exam {exam.id} ({window}): students' requests are "
                             "stuck or not arriving, or the backend's logs are lost")
    return Silence(False, f"{said}, and the exam {exam.id} is not live ({window})")


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
