"""Progress while a load runs: a live bar on a terminal, a plain line every few seconds elsewhere.

Refreshed from the event loop a few times a second (no refresh thread: it
would compete with the generator for the GIL), reading the recorder's counters.
"""

from __future__ import annotations

import asyncio
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from examday.rehearsal.recorder import Recorder

REFRESH_S = 0.25
PLAIN_EVERY_S = 5.0


class LoadProgress:
    """Shows requests finished of planned, the current rate, p95 so far and errors."""

    def __init__(self, console: Console, recorder: Recorder, planned: int, title: str) -> None:
        self.console = console
        self.recorder = recorder
        self.planned = planned
        self.title = title
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._last = (time.perf_counter(), 0)
        self._last_plain = 0.0
        self._p95: tuple[int, float | None] = (-1, None)

    def start(self) -> None:
        if self.console.is_terminal:
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
                                 console=self.console, auto_refresh=False)
            self._task = self._bar.add_task(self.title, total=self.planned, status="")
            self._bar.start()
        else:
            self.console.print(f"{self.title}: {self.planned:,} requests planned")
            self._last_plain = time.perf_counter()
        self._tick()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._show(final=True)
        if self._bar is not None:
            self._bar.stop()

    def status(self) -> str:
        """'1,234/s, p95 12.3 ms, 2 errors': the live part of the line."""
        now, finished = time.perf_counter(), self.recorder.finished
        before, count = self._last
        self._last = (now, finished)
        rate = (finished - count) / max(now - before, 1e-9)
        p95 = self._recent_p95(now)
        errors = sum(n for name, n in self.recorder.outcomes.items() if name not in ("2xx", "cut", "capped"))
        p95_text = f"p95 {p95:,.1f} ms (last second)" if p95 is not None else "p95 -"
        return f"{rate:,.0f}/s, {p95_text}, {errors:,} errors"

    def _recent_p95(self, now: float) -> float | None:
        """p95 of the last whole second's requests, computed once per second."""
        second = int(now - self.recorder.started) - 1
        if second != self._p95[0]:
            self._p95 = (second, self.recorder.p95_ms_of_second(second))
        return self._p95[1]

    def _tick(self) -> None:
        self._show(final=False)
        self._handle = asyncio.get_running_loop().call_later(REFRESH_S, self._tick)

    def _show(self, final: bool) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.recorder.finished, status=self.status())
            self._bar.refresh()
            return
        now = time.perf_counter()
        if final or now - self._last_plain >= PLAIN_EVERY_S:
            self._last_plain = now
            self.console.print(f"{self.title}: {self.recorder.finished:,}/{self.planned:,} done, {self.status()}")
