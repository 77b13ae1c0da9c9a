"""The slow_sql events: statements by shape (no literal values), and the slowest few with their request."""

from __future__ import annotations

import heapq
from typing import Any

from examday.facts.log_analysis.fields import _first, _milliseconds, _text, normalize_sql
from examday.facts.log_analysis.limits import _MAX_KEY_CHARS
from examday.facts.log_analysis.model import SlowQuery
from examday.facts.log_analysis.settings import LogSettings
from examday.facts.log_analysis.tallies import _BoundedCounter


class SlowSqlTable:
    """Bounded: a counter of shapes, and a min-heap of the ``top_n`` slowest queries."""

    def __init__(self, settings: LogSettings) -> None:
        self._settings = settings
        self._statements = _BoundedCounter()
        self._slowest: list[tuple[float, int, str, str | None]] = []
        self._recorded = 0

    def record(self, extra: dict[str, Any], event: dict[str, Any]) -> None:
        """One slow_sql event in the window; its fields nested (``extra``) or at the top level."""
        settings = self._settings
        self._recorded += 1
        statement = _first(extra, event, settings.sql_fields, _text)
        shape = normalize_sql(statement) if statement else "(no statement)"
        self._statements.add(shape)
        query_ms = _first(extra, event, settings.sql_latency_fields, _milliseconds)
        if query_ms is not None:
            request_id = _first(extra, event, (settings.request_id_field,), _text)
            self._keep(query_ms, shape, None if request_id is None else request_id[:_MAX_KEY_CHARS])

    def _keep(self, query_ms: float, shape: str, request_id: str | None) -> None:
        # Ranked by time, then by arrival: on a tie the earlier query stays.
        heap = self._slowest
        entry = (query_ms, -self._recorded, shape, request_id)
        if len(heap) < self._settings.top_n:
            heapq.heappush(heap, entry)
        elif entry[:2] > heap[0][:2]:
            heapq.heapreplace(heap, entry)

    def top_statements(self) -> list[tuple[str, int]]:
        return self._statements.top(self._settings.top_n)

    def slowest(self) -> list[SlowQuery]:
        ranked = sorted(self._slowest, key=lambda q: (-q[0], -q[1]))
        return [SlowQuery(ms, statement, request_id) for ms, _, statement, request_id in ranked]
