"""Traefik's JSON access log over a window: requests per router, their errors, and the routers that
went quiet."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from examday.facts.traefik import MAX_NAME_CHARS

NO_ROUTER = "(no router matched)"
_MAX_ROUTER_KEYS = 200
_OTHER_ROUTERS = "(other routers)"


@dataclass
class RouterTraffic:
    requests: int = 0
    server_errors: int = 0  # DownstreamStatus >= 500
    unreachable: int = 0  # ... of which OriginStatus 0: Traefik got no answer from the server
    duration_ns_max: int = 0

    @property
    def error_share(self) -> float:
        return self.server_errors / self.requests if self.requests else 0.0

    def as_evidence(self) -> dict[str, Any]:
        return {"requests": self.requests, "5xx": self.server_errors, "upstream_unreachable": self.unreachable,
                "5xx_share": round(self.error_share, 4), "slowest_ms": round(self.duration_ns_max / 1e6, 1)}


@dataclass
class AccessLogSummary:
    routers: dict[str, RouterTraffic] = field(default_factory=dict)
    requests: int = 0
    other_lines: int = 0  # JSON, but not an access-log entry (Traefik's own log, on the same stream)
    not_json: int = 0
    outside_window: int = 0
    untimed: int = 0  # access entries without a readable time: kept (the source may be windowed already)
    oldest: dt.datetime | None = None

    def as_evidence(self) -> dict[str, Any]:
        return {"requests": self.requests, "per_router": {name: t.as_evidence() for name, t in sorted(self.routers.items())},
                "other_lines": self.other_lines, "not_json_lines": self.not_json,
                "outside_window": self.outside_window, "untimed_lines": self.untimed}


def summarize_access_log(lines: Iterable[str], since: dt.datetime) -> AccessLogSummary:
    """Per-router request and 5xx counts of the entries at or after `since`, in constant memory.

    A 5xx is a ``DownstreamStatus`` >= 500: what the student got. Among them, ``OriginStatus``
    0 (or absent) means the server never answered (Traefik's own 502/504). ``OriginStatus`` 0
    alone is no error: Traefik sets it for every answer it gives itself, the ``*-http`` routers'
    redirects and its dashboard included.
    """
    summary = AccessLogSummary()
    for line in lines:
        entry = _json_object(line)
        if entry is None:
            summary.not_json += 1
            continue
        status = _status(entry.get("DownstreamStatus"))
        if status is None:
            summary.other_lines += 1
            continue
        when = _entry_time(entry)
        if when is None:
            summary.untimed += 1
        elif when < since:
            summary.outside_window += 1
            continue
        elif summary.oldest is None or when < summary.oldest:
            summary.oldest = when
        traffic = summary.routers.setdefault(_router_key(entry, summary.routers), RouterTraffic())
        traffic.requests += 1
        summary.requests += 1
        if status >= 500:
            traffic.server_errors += 1
            if not _status(entry.get("OriginStatus")):
                traffic.unreachable += 1
        duration = entry.get("Duration")
        if isinstance(duration, int) and not isinstance(duration, bool) and duration > traffic.duration_ns_max:
            traffic.duration_ns_max = duration
    return summary


def judge_access_log(summary: AccessLogSummary, *, window_minutes: float, max_error_share: float) -> list[str]:
    """The routers that fail, and a window with no entries at all: that proves nothing is routed."""
    if summary.requests == 0:
        seen = []
        if summary.other_lines:
            seen.append(f"{summary.other_lines} other log lines: is the access log written elsewhere "
                        "(accessLog.filePath) or not in JSON (accessLog.format = json)?")
        if summary.not_json:
            seen.append(f"{summary.not_json} lines not JSON")
        if summary.outside_window:
            seen.append(f"{summary.outside_window} older entries")
        return [f"no access-log lines in the last {window_minutes:g} min: nothing shows that Traefik routes"
                + (f" ({'; '.join(seen)})" if seen else "")]
    problems = []
    for name, traffic in sorted(summary.routers.items()):
        if not traffic.server_errors:
            continue
        unreachable = (f", {traffic.unreachable} with the server unreachable (OriginStatus 0)"
                       if traffic.unreachable else "")
        if traffic.server_errors == traffic.requests:
            problems.append(f"router {name}: all {traffic.requests} requests failed with 5xx{unreachable}")
        elif traffic.error_share > max_error_share:
            problems.append(f"router {name}: {traffic.server_errors} of {traffic.requests} requests 5xx "
                            f"({traffic.error_share:.1%}, over {max_error_share:.1%}){unreachable}")
    return problems


def quiet_routers(summary: AccessLogSummary, expected: Iterable[str]) -> list[str]:
    """Expected routers with no entry in the window: not a failure (no one may have used them), but shown."""
    seen = {name.split("@", 1)[0] for name in summary.routers} | set(summary.routers)
    return [name for name in expected if name not in seen]


def _json_object(line: str) -> dict[str, Any] | None:
    start = line.find("{")  # a `docker logs --timestamps` prefix, or none
    if start < 0:
        return None
    try:
        value = json.loads(line[start:])
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _entry_time(entry: dict[str, Any]) -> dt.datetime | None:
    for key in ("StartUTC", "time"):
        value = entry.get(key)
        if isinstance(value, str):
            try:
                when = dt.datetime.fromisoformat(value)
            except ValueError:
                continue
            return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    return None


def _router_key(entry: dict[str, Any], known: dict[str, RouterTraffic]) -> str:
    name = entry.get("RouterName")
    name = name[:MAX_NAME_CHARS] if isinstance(name, str) and name and name != "-" else NO_ROUTER
    # Bad input must not grow memory without bound: past a few hundred names, one bucket.
    if name not in known and len(known) >= _MAX_ROUTER_KEYS:
        return _OTHER_ROUTERS
    return name
