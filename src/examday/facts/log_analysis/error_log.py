"""What in the logs is an error, kept as counts and the latest few samples (constant memory).

Three kinds, each with its samples (the runbook's `grep -E "error|ERROR"`, without its noise:
a slow request.end carries `"severity": "error"` at level info, and that is latency, not an error):

- a request answered 5xx, a crashed one (status null) among them: its route, status and request ID;
- an event logged at level error or critical (structlog), or uvicorn's own "ERROR:" lines;
- a traceback (its first line: Python prints it over several lines, each a line of the log).

The lines stay in the analyser's buckets (other lines, non-JSON) as before: this only looks again.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from examday.facts.log_analysis.settings import LogSettings

SAMPLES_KEPT = 10
_SAMPLE_CHARS = 300
ERROR_LEVELS = frozenset({"error", "critical", "fatal", "exception"})
INFO_MARK = '"level": "info"'  # structlog's JSON spelling: a line carrying it is no error line
_UVICORN_ERROR = "ERROR:"
_TRACEBACK = "Traceback (most recent call last)"
_CHAINED = ("During handling of the above exception", "The above exception was the direct cause")


@dataclass(frozen=True)
class ErrorSample:
    kind: str  # "5xx", "crashed" (status null), "error line" or "traceback"
    at: str | None  # the line's own timestamp, as logged
    request_id: str | None
    text: str  # "POST /v1/sessions/{session_id}/answer -> 500 in 12 ms", or the line (cut)

    def as_evidence(self) -> dict[str, Any]:
        return vars(self).copy()


class ErrorLog:
    """The running count and latest samples of each kind; fed by the analyser."""

    def __init__(self, settings: LogSettings) -> None:
        self.settings = settings
        self.error_lines = 0
        self.tracebacks = 0
        self.request_samples: deque[ErrorSample] = deque(maxlen=SAMPLES_KEPT)
        self.line_samples: deque[ErrorSample] = deque(maxlen=SAMPLES_KEPT)
        self._in_traceback = False  # between a traceback's first line and its exception's

    def server_error(self, event: dict[str, Any], status: int, crashed: bool, latency_ms: Any) -> None:
        """A request.end with a 5xx (or null) status."""
        s = self.settings
        route = event.get(s.route_field) or event.get(s.path_field) or "(unknown)"
        text = f"{event.get(s.method_field) or '?'} {route} -> {'null (crashed)' if crashed else status}"
        self.request_samples.append(ErrorSample("crashed" if crashed else "5xx", _text(event.get(s.timestamp_field)),
                                                _text(event.get(s.request_id_field)), f"{text} in {latency_ms} ms"))

    def event(self, event: dict[str, Any], line: str) -> None:
        """Any other parsed event: an error when its level says so (structlog's log.exception() is level error)."""
        level = event.get("level")
        if not (type(level) is str and level.lower() in ERROR_LEVELS):
            return
        self.error_lines += 1
        self.line_samples.append(ErrorSample("error line", _text(event.get(self.settings.timestamp_field)),
                                             _text(event.get(self.settings.request_id_field)),
                                             line.strip()[:_SAMPLE_CHARS]))

    def plain_line(self, line: str) -> None:
        """A line that is not JSON: uvicorn's "ERROR:" lines, and tracebacks (counted at their first
        line, sampled by their exception: the first unindented line after the frames)."""
        text = line.strip()
        if text.startswith(_TRACEBACK):
            self.tracebacks += 1
            self._in_traceback = True
        elif self._in_traceback and text and line[:1] not in " \t" and not text.startswith(_CHAINED):
            self._in_traceback = False
            self.line_samples.append(ErrorSample("traceback", None, None, text[:_SAMPLE_CHARS]))
        elif text.startswith(_UVICORN_ERROR):
            self.error_lines += 1
            self.line_samples.append(ErrorSample("error line", None, None, text[:_SAMPLE_CHARS]))


def _text(value: Any) -> str | None:
    return value if type(value) is str and value else None
