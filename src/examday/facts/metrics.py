"""Is the backend's Prometheus endpoint still counting? Two scrapes around a request of our own.

"Verify metrics are being captured" after a restart: an endpoint that answers
but whose counters stand still (a dead multiprocess directory, a registry
that lost its collectors) captures nothing. Counters only grow, so the sum of
every counter sample must grow across a request examday sends itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from examday.probes.errors import BadResponse

_TYPE_LINE = re.compile(r"#\s*TYPE\s+(\S+)\s+counter\b")
_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?\s+(\S+)")


@dataclass(frozen=True)
class CounterScrape:
    samples: int
    counter_total: float


def parse_counters(text: str) -> CounterScrape:
    """Sample count and the sum of every counter sample (`_total`/`_count` series of declared counters)."""
    counters = set(_TYPE_LINE.findall(text))
    samples, total = 0, 0.0
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None or not _is_number(match.group(3)):
            continue
        samples += 1
        name, value = match.group(1), float(match.group(3))
        if (name in counters or name.removesuffix("_total") in counters) and math.isfinite(value):
            total += value
    return CounterScrape(samples, total)


def scrape(api: Any, path: str) -> CounterScrape:
    observation = api.get(path)
    if observation.status != 200:
        raise BadResponse(f"GET {observation.url} answered {observation.status}", dependency="api")
    return parse_counters(observation.body.decode("utf-8", errors="replace"))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
