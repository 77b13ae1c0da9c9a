"""Is the backend's Prometheus endpoint still counting? A request of our own, then found in a scrape.

"Verify metrics are being captured" after a restart: an endpoint that answers
but whose counters stand still captures nothing. Comparing totals across two
scrapes does not work on the real platform: each uvicorn worker exposes its own
registry (no multiprocess mode), so successive scrapes land on different workers
and totals jump back and forth, and /metrics counts its own scrapes. Its route
label is the raw path, though: examday requests a path of its own, never seen
before, and looks for a counter sample labelled with it in the next scrapes.
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


def scrape_text(api: Any, path: str) -> str:
    observation = api.get(path)
    if observation.status != 200:
        raise BadResponse(f"GET {observation.url} answered {observation.status}", dependency="api")
    return observation.body.decode("utf-8", errors="replace")


def scrape(api: Any, path: str) -> CounterScrape:
    return parse_counters(scrape_text(api, path))


def counted_for(text: str, marker: str) -> float:
    """The sum of the counter samples with a label value that ends with ``marker`` (the end of our own
    request's path: the raw-path label is the path as the backend saw it, after a proxy stripped
    a prefix such as /api)."""
    counters = set(_TYPE_LINE.findall(text))
    total = 0.0
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None or not match.group(2) or f'{marker}"' not in match.group(2):
            continue
        name = match.group(1)
        if (name in counters or name.removesuffix("_total") in counters) and _is_number(match.group(3)):
            total += float(match.group(3))
    return total


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
