"""Prometheus targets that stay down: one failed scrape (a restart, a slow answer) is not an outage.

A target is judged by two reads one scrape interval apart: down in both is
down. The wait is bounded (a long interval is capped), so the item stays fast.
"""

from __future__ import annotations

import time
from typing import Any

from examday.probes.prometheus import ScrapeTarget

MAX_SETTLE_SECONDS = 30.0


def persistently_down(prometheus: Any) -> tuple[list[ScrapeTarget], list[ScrapeTarget]]:
    """(all targets as last read, the ones down in both reads)."""
    first = prometheus.targets()
    down = {(t.job, t.url) for t in first if t.health != "up"}
    if not down:
        return first, []
    wait = min(max(t.interval_s for t in first) + 1, MAX_SETTLE_SECONDS)
    time.sleep(wait)
    second = prometheus.targets()
    return second, [t for t in second if t.health != "up" and (t.job, t.url) in down]
