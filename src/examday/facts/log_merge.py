"""Analysers of consecutive stretches of one log, folded into one: what a single pass over all of them gives.

``fold(total, part)`` adds ``part`` (the later stretch) to ``total`` as if its lines had been fed
to ``total`` after its own. Every piece of the analyser's state is kept so that this holds
exactly, not nearly (tests/facts/test_log_window.py compares every field of the summaries):

- counts add; histograms add (HdrHistogram counts are additive, its buckets fixed);
- bounded counters and the route table take keys in order of first arrival until full, the
  rest to "(other)". A part's own bounds are ``WIDER`` times the usual ones (``widen``): a key
  that overflows in a part may have its own entry in the whole (it came earlier), and its lines
  would be lost to "(other)". The fold is exact while no part overflows its wider bounds;
  past them (over 1,000 route templates or 10,000 distinct paths in one part) only the
  "(other)" entries and the counts of the routes just under the bound are approximate;
- a route's exact latencies become a histogram where the single pass would have made one
  (at the 1024th distinct value), whichever side held it;
- the slowest queries are ranked by time then arrival, ``part``'s arrivals after ``total``'s;
- the latest error samples are the newest few of both.

``part`` is read and may be flushed (its pending latencies recorded), never otherwise changed.
"""

from __future__ import annotations

from dataclasses import fields

from hdrh.histogram import HdrHistogram

from examday.facts.log_analysis import LogAnalyzer
from examday.facts.log_analysis.limits import _HISTOGRAM_MAX_US, _ROUTE_EXACT_VALUES, _ROUTE_PENDING_FLUSH_AT
from examday.facts.log_analysis.routes import RouteTable
from examday.facts.log_analysis.slow_sql import SlowSqlTable
from examday.facts.log_analysis.tallies import OverallLatency, _BoundedCounter, _RouteLatencies, _Tallies


WIDER = 10


def widen(part: LogAnalyzer) -> LogAnalyzer:
    """A part's bounded tables made ``WIDER`` (see above); the whole keeps the usual bounds."""
    routes = part._routes
    routes.limits = {kind: limit * WIDER for kind, limit in routes.limits.items()}
    for counter in (part._sampled, part._slow_routes, part._slow_sql_table._statements):
        counter.max_keys *= WIDER
    return part


def fold(total: LogAnalyzer, part: LogAnalyzer) -> None:
    """Add ``part``'s counts to ``total``'s, as though its lines came after total's."""
    _fold_tallies(total._tallies, part._tallies)
    _fold_overall(total._overall, part._overall)
    _fold_counter(total._sampled, part._sampled)
    _fold_counter(total._slow_routes, part._slow_routes)
    _fold_slow_sql(total._slow_sql_table, part._slow_sql_table)
    _fold_routes(total._routes, part._routes)
    errors, later = total._errors, part._errors
    errors.error_lines += later.error_lines
    errors.tracebacks += later.tracebacks
    errors.request_samples.extend(later.request_samples)  # bounded deques: the newest stay
    errors.line_samples.extend(later.line_samples)
    errors._in_traceback = later._in_traceback


def _fold_tallies(total: _Tallies, part: _Tallies) -> None:
    for field in fields(_Tallies):
        mine, theirs = getattr(total, field.name), getattr(part, field.name)
        if isinstance(mine, dict):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        else:
            setattr(total, field.name, mine + theirs)


def _fold_overall(total: OverallLatency, part: OverallLatency) -> None:
    total.flush()
    part.flush()
    total.histogram.add(part.histogram)
    total.max_ms = max(total.max_ms, part.max_ms)  # on a tie the earlier one, as a single pass keeps


def _fold_counter(total: _BoundedCounter, part: _BoundedCounter) -> None:
    counts = total.counts
    for key, count in part.counts.items():  # in part's order of first arrival
        if key in counts:
            counts[key] += count
        elif len(counts) < total.max_keys:
            counts[key] = count
        else:
            total.overflow += count
    total.overflow += part.overflow


def _fold_slow_sql(total: SlowSqlTable, part: SlowSqlTable) -> None:
    _fold_counter(total._statements, part._statements)
    offset = total._recorded
    for query_ms, arrival, shape, request_id in part._slowest:  # arrival is -(index): later is smaller
        total._recorded = offset - arrival
        total._keep(query_ms, shape, request_id)
    total._recorded = offset + part._recorded


def _fold_routes(total: RouteTable, part: RouteTable) -> None:
    for key, latencies in part._routes.items():  # in part's order of first arrival
        _fold_route(total.for_key(key, part.kinds[key]), latencies)
    if part._other_route is not None:
        if total._other_route is None:
            total._other_route = _RouteLatencies()
        _fold_route(total._other_route, part._other_route)


def _fold_route(total: _RouteLatencies, part: _RouteLatencies) -> None:
    total.sampled = total.sampled or part.sampled
    if total.histogram is None and part.histogram is None:
        exact = total.pending
        for latency_ms, count in part.pending.items():
            exact[latency_ms] = exact.get(latency_ms, 0) + count
        if len(exact) >= _ROUTE_EXACT_VALUES:  # where the single pass would have made its histogram
            total.flush()
        return
    if total.histogram is None:
        total.histogram = HdrHistogram(1, _HISTOGRAM_MAX_US, 3, word_size=4)
        total.flush_at = _ROUTE_PENDING_FLUSH_AT
    total.flush()
    exact_part = part.histogram is None
    if exact_part:  # the exact counts of part, recorded as total's flush would
        for latency_ms, count in part.pending.items():
            total.pending[latency_ms] = count
        total.flush()
    else:
        part.flush()
        total.histogram.add(part.histogram)
        if part.max_ms is not None and (total.max_ms is None or part.max_ms > total.max_ms):
            total.max_ms = part.max_ms


def merged(parts: list[LogAnalyzer], total: LogAnalyzer) -> LogAnalyzer:
    """``total`` with every part folded in, in order."""
    for part in parts:
        fold(total, part)
    return total
