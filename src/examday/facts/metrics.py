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
import time
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


@dataclass(frozen=True)
class MarkerSearch:
    scrapes: int
    samples: int  # in the last scrape
    counted: float


# Each scrape shows one worker's registry, picked by the kernel's accept: with 4 workers a
# scrape misses the one that counted us about 3 times in 4, and 12 tries missed it about
# 1 run in 30 on the sandbox (seen as a flake). 64 tries miss it about once in 10^8; a scrape
# takes milliseconds, and the deadline bounds a slow endpoint.
MAX_SCRAPES = 64
SEARCH_SECONDS = 15.0


def search_for_marker(api: Any, path: str, marker: str, *, max_scrapes: int = MAX_SCRAPES,
                      seconds: float = SEARCH_SECONDS) -> MarkerSearch:
    """Scrape until one scrape counts ``marker`` (see `counted_for`), at most ``max_scrapes`` times
    and for at most ``seconds``. ``api`` must open a new connection per request (a kept-alive one
    always reaches the same worker)."""
    deadline = time.monotonic() + seconds
    search = MarkerSearch(0, 0, 0.0)
    while search.scrapes < max_scrapes and not search.counted and time.monotonic() < deadline:
        text = scrape_text(api, path)
        search = MarkerSearch(search.scrapes + 1, parse_counters(text).samples, counted_for(text, marker))
    return search


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
