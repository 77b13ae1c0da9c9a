"""Errors the backend logged since an incident ended: 5xx and crashed requests, error lines, tracebacks.

When the incident ended is the operator's to say (`--recovered-at`); without it, the latest start of
any of the platform's containers (the restart that ended it), never further back than the log
window: an older start would read days of logs, and errors from before the window are not
"since the incident" anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.log_analysis import LogSettings, LogSummary, analyze_lines
from examday.facts.logs import log_container
from examday.facts.ports import DockerReads
from examday.report.model import iso_utc

RESTART_ROLES = ("backend", "postgres", "redis", "proxy")  # the containers whose restart ends an incident
SAMPLES_SHOWN = 3


@dataclass(frozen=True)
class Since:
    moment: dt.datetime
    source: str  # what the moment is: the operator's, a container's start, or the window's start

    def as_evidence(self) -> dict[str, str]:
        return {"since": iso_utc(self.moment), "since_source": self.source}


def since_recovery(docker: DockerReads, config: ExamdayConfig, recovered_at: dt.datetime | None,
                   now: dt.datetime | None = None) -> Since:
    if recovered_at is not None:
        return Since(recovered_at, "--recovered-at")
    now = now or dt.datetime.now(dt.timezone.utc)
    window = config.logs.window_minutes
    earliest = now - dt.timedelta(minutes=window)
    starts = {role: docker.container(name).started_at for role, name in config.docker.containers.by_role().items()
              if role in RESTART_ROLES}
    known = {role: moment for role, moment in starts.items() if moment is not None}
    if known:
        role, latest = max(known.items(), key=lambda pair: pair[1])
        if latest > earliest:
            return Since(latest, f"the {role}'s last start")
    return Since(earliest, f"the log window ({window:g} min): no platform container started within it")


@dataclass(frozen=True)
class LoggedErrors:
    since: Since
    container: str
    summary: LogSummary

    @property
    def found(self) -> bool:
        s = self.summary
        return bool(s.server_errors or s.error_lines or s.tracebacks)

    def as_evidence(self) -> dict[str, Any]:
        s = self.summary
        return {**self.since.as_evidence(), "container": self.container, "lines": s.lines, "requests": s.requests,
                "server_errors_5xx": s.server_errors, "crashed_status_null": s.crashed, "error_lines": s.error_lines,
                "tracebacks": s.tracebacks, "server_error_samples": [e.as_evidence() for e in s.server_error_samples],
                "error_line_samples": [e.as_evidence() for e in s.error_line_samples]}

    def problem(self) -> str:
        s = self.summary
        counts = [f"{s.server_errors} request(s) answered 5xx" + (f" ({s.crashed} crashed)" if s.crashed else ""),
                  f"{s.error_lines} error line(s)", f"{s.tracebacks} traceback(s)"]
        # The requests first: their IDs are what the operator looks up.
        shown = (s.server_error_samples or s.error_line_samples)[-SAMPLES_SHOWN:]
        return (f"{self.container} logged {', '.join(c for c in counts if not c.startswith('0 '))} since "
                f"{iso_utc(self.since.moment)} ({self.since.source}); latest: "
                + "; ".join(_sample(e.request_id, e.text) for e in shown))


def logged_errors_since(docker: DockerReads, config: ExamdayConfig, since: Since) -> LoggedErrors:
    container = log_container(config)
    lines = docker.logs(container, since=since.moment, max_line_bytes=config.logs.max_line_bytes)
    summary = analyze_lines(lines, LogSettings.from_config(config.logs), since=since.moment)
    return LoggedErrors(since, container, summary)


def _sample(request_id: str | None, text: str) -> str:
    return f"{text} (request {request_id})" if request_id else text
