"""RoundSummaries built in code, for the page's and the charts' unit tests."""

from __future__ import annotations

import datetime as dt

from examday.watch.charts import Limits
from examday.watch.summary import RoundSummary
from examday.watch.info import WatchInfo

STARTED = dt.datetime(2030, 6, 1, 9, 0, 0, tzinfo=dt.timezone.utc)
LIMITS = Limits(p95_ms=500, error_rate=0.01, pool_usage=0.8, cpu_pct=80, mem_pct=85)
CONTAINERS = ("exam_platform_backend", "exam_platform_postgres", "exam_platform_redis")


def a_round(number: int, verdict: str = "GO", **fields: object) -> RoundSummary:
    started = STARTED + dt.timedelta(minutes=number - 1)
    values: dict[str, object] = {
        "p95_ms": 100.0 + 20 * number, "error_rate": 0.001 * number, "pool_usage": 0.3 + 0.05 * number,
        "cpu_pct": {name: 10.0 * (i + 1) + number for i, name in enumerate(CONTAINERS)},
        "memory_pct": {name: 20.0 + 5 * i for i, name in enumerate(CONTAINERS)},
        "record": f"rounds/sandbox/2030-06-01/during-{started:%H%M%S}Z"}
    values.update(fields)
    return RoundSummary(number=number, started_at=started, ended_at=started + dt.timedelta(seconds=4),
                        verdict=verdict, **values)  # type: ignore[arg-type]


def rounds_with_failures() -> list[RoundSummary]:
    """Six rounds: 3 is NO-GO (latency), 5 crashed without a record."""
    rounds = [a_round(n) for n in range(1, 7)]
    rounds[2] = a_round(3, "NO-GO", p95_ms=900.0, failed_items=["DUR-LAT-01"])
    rounds[4] = a_round(5, "ERROR", p95_ms=None, error_rate=None, pool_usage=None, cpu_pct={}, memory_pct={},
                        record=None, problem="timed out after 300s")
    return rounds


def watch_info(status: str = "finished") -> WatchInfo:
    return WatchInfo(target_name="sandbox", target_kind="sandbox", config_path="/srv/examday.toml", limits=LIMITS,
                     interval_s=60, duration_s=3600, started_at=STARTED, status=status,
                     exam={"id": "EXAM-42", "title": "Mathematics"})
