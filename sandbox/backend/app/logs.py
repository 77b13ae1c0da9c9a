"""JSON-lines logging with structlog, shaped like the real platform's stdout.

Named logs.py (not logging.py) so it can never shadow the standard library.
uvicorn keeps its own plain-text "INFO: ..." lines on stderr: real logs mix
them in and examday must cope with that, so they are left alone.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import structlog

_configured = False


def configure_logging(level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    structlog.configure(
        processors=[
            # Key order matters to people reading raw lines: fields, event, level, timestamp.
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # One write() per line so lines from several workers do not interleave.
        logger_factory=structlog.WriteLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
    _configured = True


def get_logger(**initial: Any) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(**initial)


class Throttle:
    """Lets an event through at most once per interval (per process).

    A Redis outage would otherwise write one warning per request, drowning the
    lines an operator needs during an exam.
    """

    def __init__(self, interval_seconds: float) -> None:
        self._interval = interval_seconds
        self._last: dict[str, float] = {}

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            return False
        self._last[key] = now
        return True
