"""The analyser's fixed bounds: what keeps its memory constant whatever the input."""

from __future__ import annotations

# Latencies are recorded in microseconds, from 1 us to 1 hour, to 3 significant digits.
_HISTOGRAM_MAX_US = 3_600_000_000
_PENDING_FLUSH_AT = 4096
_MAX_KEY_CHARS = 200
_MAX_DISTINCT_KEYS = 1000
# Per route: exact counts of the logged latencies (the platform logs whole milliseconds, so
# they repeat) until a route has this many distinct values, then a histogram of its own.
_ROUTE_EXACT_VALUES = 1024
_ROUTE_PENDING_FLUSH_AT = 256
# A route's histogram is 94 KiB (3 digits, 4-byte counts): the number of routes is bounded,
# with a smaller share for the raw paths of unmatched requests (route null: scanners, 404s),
# so that a burst of those cannot crowd the route templates out.
_MAX_ROUTES = 100
_MAX_PATH_ROUTES = 20
OTHER_ROUTES = "(other)"
_HOUR_MS = _HISTOGRAM_MAX_US / 1000
_EVIDENCE_ROUTES = 50

SKIP_REASONS = ("empty", "oversized", "invalid_utf8", "non_json", "truncated_json", "non_object", "missing_fields")
