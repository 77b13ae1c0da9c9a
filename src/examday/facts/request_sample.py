"""A sample of request IDs worth following up: the slowest requests and the server errors.

The log summary counts; this keeps a few concrete requests (ID, path, status,
latency) so that a post-mortem can trace each one through the logs. Bounded:
at most `size` of each kind whatever the log volume.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from examday.facts.log_analysis import LogSettings


@dataclass(frozen=True, order=True)
class SampledRequest:
    duration_ms: float
    request_id: str = field(compare=False)
    path: str = field(compare=False)
    status: int = field(compare=False)
    timestamp: str = field(compare=False)


@dataclass(frozen=True)
class RequestSample:
    slowest: list[SampledRequest]
    server_errors: list[SampledRequest]

    def as_evidence(self) -> dict[str, Any]:
        return {"slowest": [vars(r) for r in self.slowest], "server_errors": [vars(r) for r in self.server_errors]}


def sample_requests(lines: Iterable[str], settings: LogSettings, size: int = 10) -> RequestSample:
    slowest: list[SampledRequest] = []  # a min-heap of the `size` slowest so far
    errors: list[SampledRequest] = []
    marker = f'"{settings.end_event}"'
    for line in lines:
        if marker not in line:
            continue
        request = _request(line, settings)
        if request is None:
            continue
        if request.status >= 500 and len(errors) < size:
            errors.append(request)
        if len(slowest) < size:
            heapq.heappush(slowest, request)
        elif request.duration_ms > slowest[0].duration_ms:
            heapq.heapreplace(slowest, request)
    return RequestSample(sorted(slowest, reverse=True), errors)


CRASHED = 500  # the status a request whose handler raised answered with


def _request(line: str, settings: LogSettings) -> SampledRequest | None:
    """One request.end line as a SampledRequest; None for anything else or anything malformed."""
    try:
        event = json.loads(line[line.index("{"):])
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get(settings.event_field) != settings.end_event:
        return None
    latency = next((event[f] for f in settings.latency_fields if isinstance(event.get(f), (int, float))), None)
    status, request_id = event.get(settings.status_field), event.get(settings.request_id_field)
    if settings.status_field in event and status is None:
        status = CRASHED  # the handler raised: the client got a 500 (docs/platform.md)
    if latency is None or not isinstance(status, int) or not isinstance(request_id, str):
        return None
    return SampledRequest(float(latency), request_id, str(event.get(settings.path_field, ""))[:200], status,
                          str(event.get(settings.timestamp_field, "")))
