"""Prometheus' HTTP API: targets, rules, instant queries. Read-only and bounded."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from examday.probes.errors import BadResponse
from examday.probes.json_api import get_json

DEPENDENCY = "prometheus"


@dataclass(frozen=True)
class ScrapeTarget:
    job: str
    url: str
    health: str  # "up" | "down" | "unknown"
    last_error: str
    interval_s: float = 0.0


@dataclass(frozen=True)
class AlertRule:
    name: str
    group: str
    health: str  # "ok" | "err" | "unknown"
    state: str  # "inactive" | "pending" | "firing"
    last_error: str


class PrometheusProbe:
    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url, self.timeout = url.rstrip("/"), timeout

    def _data(self, path: str) -> Any:
        body = get_json(f"{self.url}{path}", self.timeout, DEPENDENCY)
        if not isinstance(body, dict) or body.get("status") != "success":
            raise BadResponse(f"GET {self.url}{path}: not a Prometheus API answer: {str(body)[:200]!r}",
                              dependency=DEPENDENCY)
        return body["data"]

    def targets(self) -> list[ScrapeTarget]:
        return [ScrapeTarget(t["labels"].get("job", "?"), t.get("scrapeUrl", ""), t.get("health", "unknown"),
                             t.get("lastError", ""), _seconds(t.get("scrapeInterval", "")))
                for t in self._data("/api/v1/targets")["activeTargets"]]

    def alert_rules(self) -> list[AlertRule]:
        return [AlertRule(r["name"], g["name"], r.get("health", "unknown"), r.get("state", "inactive"),
                          r.get("lastError", ""))
                for g in self._data("/api/v1/rules?type=alert")["groups"] for r in g["rules"]]

    def scalar(self, promql: str) -> float | None:
        """The query's value: a scalar, or the single series of a vector; None when empty or NaN."""
        data = self._data(f"/api/v1/query?query={quote(promql)}")
        if data["resultType"] == "scalar":
            value = float(data["result"][1])
        elif data["resultType"] == "vector" and data["result"]:
            if len(data["result"]) > 1:
                raise BadResponse(f"the query {promql!r} returned {len(data['result'])} series, not one: "
                                  "aggregate it (sum, max)", dependency=DEPENDENCY)
            value = float(data["result"][0]["value"][1])
        else:
            return None
        return value if math.isfinite(value) else None


def _seconds(duration: str) -> float:
    """Prometheus' "15s", "1m", "1m30s" as seconds (0 when unreadable)."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration)
    return sum(float(number) * units[unit] for number, unit in parts)
