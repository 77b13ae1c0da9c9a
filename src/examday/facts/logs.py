"""The backend's structured logs over a recent window, and what they say of each route."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from examday.config import ExamdayConfig
from examday.facts.log_analysis import OTHER_ROUTES, LogSettings, LogSummary, RouteLatency, analyze_lines
from examday.facts.log_window_state import STATE_ENV, windowed_summary
from examday.facts.ports import DockerReads

PREFIX_PLACEHOLDER = "{prefix}"
_UNTARGETED_SHOWN = 15


def log_container(config: ExamdayConfig) -> str:
    role = config.logs.container
    return getattr(config.docker.containers, role, None) or role


def recent_log_summary(docker: DockerReads, config: ExamdayConfig, minutes: float | None = None) -> LogSummary:
    """Analyse the backend's log lines of the last `minutes` (default: logs.window_minutes)."""
    window = minutes if minutes is not None else config.logs.window_minutes
    state = os.environ.get(STATE_ENV)
    if state:  # a watch round: only the lines since the last round are read (facts/log_window.py)
        return windowed_summary(docker, log_container(config), LogSettings.from_config(config.logs),
                                window, Path(state))
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=window)
    lines = docker.logs(log_container(config), since=since, max_line_bytes=config.logs.max_line_bytes)
    return analyze_lines(lines, LogSettings.from_config(config.logs), since=since)


def request_id_logged(docker: DockerReads, config: ExamdayConfig, request_id: str, since: dt.datetime,
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


def _lines_since(docker: DockerReads, config: ExamdayConfig, since: dt.datetime) -> Iterator[str]:
    return docker.logs(log_container(config), since=since - dt.timedelta(seconds=1))


# --- latency per route against targets --------------------------------------------------------

RouteOutcome = Literal["over target", "within target", "no requests"]


@dataclass(frozen=True)
class RouteVerdict:
    route: str  # "METHOD route template", prefix substituted
    target_ms: float
    latency: RouteLatency | None  # None: no request in the window

    @property
    def outcome(self) -> RouteOutcome:
        if self.latency is None:
            return "no requests"
        return "over target" if self.latency.p95_ms > self.target_ms else "within target"

    def as_evidence(self) -> dict[str, Any]:
        latency = self.latency
        measured = {} if latency is None else {
            "p95_ms": latency.p95_ms, "p50_ms": latency.p50_ms, "max_ms": latency.max_ms, "count": latency.count}
        if latency is not None and latency.sampled:
            # The count is of the logged sample; the percentiles are the sample's, which is what there is.
            measured["sampled"] = "logged at a sample rate: the count is the sample's"
        return {"route": self.route, "target_p95_ms": self.target_ms, "outcome": self.outcome, **measured}

    def problem(self) -> str:
        latency = self.latency
        if latency is None:
            return f"{self.route}: no requests in the window"
        sampled = ", a logged sample" if latency.sampled else ""
        return (f"{self.route}: p95 {latency.p95_ms:g} ms over its {self.target_ms:g} ms target "
                f"({latency.count} requests{sampled}; p50 {latency.p50_ms:g} ms, max {latency.max_ms:g} ms)")


@dataclass(frozen=True)
class RouteJudgement:
    verdicts: list[RouteVerdict]
    untargeted: list[RouteLatency]  # slowest p95 first: a login burst shows here, never as a failure
    overflowed: bool  # more distinct routes than the analyser keeps: some are in "(other)"

    @property
    def over(self) -> list[RouteVerdict]:
        return [verdict for verdict in self.verdicts if verdict.outcome == "over target"]

    @property
    def measured(self) -> list[RouteVerdict]:
        return [verdict for verdict in self.verdicts if verdict.outcome != "no requests"]

    @property
    def without_requests(self) -> list[str]:
        return [verdict.route for verdict in self.verdicts if verdict.outcome == "no requests"]

    def as_evidence(self) -> dict[str, Any]:
        evidence: dict[str, Any] = {
            "targeted_routes": [verdict.as_evidence() for verdict in self.verdicts],
            "routes_without_target": [vars(route).copy() for route in self.untargeted[:_UNTARGETED_SHOWN]],
        }
        if self.overflowed:
            evidence["note"] = (f"more routes than the analyser keeps apart: the rest are counted as "
                                f"{OTHER_ROUTES!r}, so a route shown with no requests may be among them")
        return evidence


def route_targets(table: Mapping[str, float], prefix: str) -> dict[str, float]:
    """``thresholds.route_p95_ms`` with ``{prefix}`` replaced by the API prefix (``"/v1"``).

    Not ``str.format``: the route templates themselves hold braces (``{session_id}``).
    """
    return {_route_name(key.replace(PREFIX_PLACEHOLDER, prefix)): float(ms) for key, ms in table.items()}


def judge_routes(routes: Iterable[RouteLatency], targets: Mapping[str, float]) -> RouteJudgement:
    """Each targeted route's p95 against its target; the other routes only shown."""
    by_name = {_route_name(route.route): route for route in routes}
    verdicts = [RouteVerdict(name, target, by_name.get(name)) for name, target in targets.items()]
    untargeted = sorted((route for name, route in by_name.items() if name not in targets),
                        key=lambda route: (-route.p95_ms, route.route))
    return RouteJudgement(verdicts, untargeted, overflowed=OTHER_ROUTES in by_name)


def _route_name(key: str) -> str:
    """``"post  /v1/sessions"`` -> ``"POST /v1/sessions"``: the form both the logs and the table are compared in."""
    method, _, route = key.strip().partition(" ")
    return f"{method.upper()} {route.strip()}" if route else key.strip()
