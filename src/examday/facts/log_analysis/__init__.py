"""The backend's JSON-lines logs, analysed in one streaming pass in constant memory.

The public API is what this module exports; the modules under it are its parts: ``settings``
(field and event names), ``fields`` (one line's values), ``tallies``, ``routes``, ``slow_sql``
and ``limits`` (the bounded running counts), ``analyzer`` (the pass), ``blocks`` (a log read in
blocks of bytes), ``model`` (what it returns). Lines come out of docker's byte stream through
``examday.probes.line_framing``.
"""

from examday.facts.log_analysis.analyzer import LogAnalyzer, analyze_lines
from examday.facts.log_analysis.blocks import BLOCK_BYTES
from examday.facts.log_analysis.fields import normalize_sql
from examday.facts.log_analysis.limits import OTHER_ROUTES, SKIP_REASONS
from examday.facts.log_analysis.model import LatencySummary, LogSummary, RouteLatency, SlowQuery
from examday.facts.log_analysis.settings import LogSettings

__all__ = [
    "BLOCK_BYTES", "OTHER_ROUTES", "SKIP_REASONS", "LatencySummary", "LogAnalyzer", "LogSettings", "LogSummary",
    "RouteLatency", "SlowQuery", "analyze_lines", "normalize_sql",
]
