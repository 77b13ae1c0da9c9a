"""The backend's structured logs over a recent window."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

from examday.config import ExamdayConfig
from examday.probes.logs import LogSettings, LogSummary, analyze_lines


def log_container(config: ExamdayConfig) -> str:
    role = config.logs.container
    return getattr(config.docker.containers, role, None) or role


def recent_log_summary(docker: Any, config: ExamdayConfig, minutes: float | None = None) -> LogSummary:
    """Analyse the backend's log lines of the last `minutes` (default: logs.window_minutes)."""
    window = minutes if minutes is not None else config.logs.window_minutes
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=window)
    lines = docker.logs(log_container(config), since=since, max_line_bytes=config.logs.max_line_bytes)
    return analyze_lines(lines, LogSettings.from_config(config.logs), since=since)


def request_id_logged(docker: Any, config: ExamdayConfig, request_id: str, since: dt.datetime,
                      wait_seconds: float = 10.0) -> float | None:
    """Seconds until a log line carrying request_id appeared (None if not within wait_seconds)."""
    started = time.monotonic()
    deadline = started + wait_seconds
    while True:
        if any(request_id in line for line in _lines_since(docker, config, since)):
            return round(time.monotonic() - started, 2)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)  # the line is usually there within a few milliseconds


def _lines_since(docker: Any, config: ExamdayConfig, since: dt.datetime) -> Iterator[str]:
    return docker.logs(log_container(config), since=since - dt.timedelta(seconds=1))
