"""The watch in the terminal: a live table of rounds on a terminal, one line per round elsewhere.

In a CI log or a pipe a live table would print nothing until the end (or
repaint codes), so there every round is one plain line instead.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

from examday.report.model import iso_utc
from examday.rendering.scales import fraction_as_percent, milliseconds, percent
from examday.watch.summary import RoundSummary

SHOWN_ROUNDS = 15  # on screen; the trend page has them all
COLOURS = {"GO": "green", "GO WITH WAIVERS": "yellow", "INCOMPLETE": "red", "NO-GO": "red", "ERROR": "red",
           "INTERRUPTED": "dim"}
COLUMNS = ("round", "time (UTC)", "verdict", "p95", "error rate", "pool", "max CPU", "max memory", "failed items")
NUMERIC = {"round", "p95", "error rate", "pool"}


class WatchDisplay:
    def __init__(self, console: Console, heading: str) -> None:
        self.console = console
        self.heading = heading
        self.rounds: list[RoundSummary] = []
        self.status = ""
        self._live: Live | None = None

    def __enter__(self) -> WatchDisplay:
        self.console.print(escape(self.heading))
        if self.console.is_terminal:
            self._live = Live(self._renderable(), console=self.console, auto_refresh=False)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self.status = ""
            self._live.update(self._renderable(), refresh=True)
            self._live.stop()

    def round_ended(self, summary: RoundSummary) -> None:
        self.rounds.append(summary)
        if self._live is None:
            self.console.print(escape(_line(summary)))
        self._refresh()

    def set_status(self, text: str) -> None:
        """'round 3 running', 'next round in 12s': shown under the live table only."""
        if text != self.status:
            self.status = text
            self._refresh()

    def notice(self, text: str) -> None:
        (self._live.console if self._live else self.console).print(f"[bold yellow]{escape(text)}[/]")

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.update(self._renderable(), refresh=True)

    def _renderable(self) -> Group:
        columns = [Column(name, justify="right" if name in NUMERIC else "left") for name in COLUMNS]
        table = Table(*columns, caption=_caption(len(self.rounds)))
        for summary in self.rounds[-SHOWN_ROUNDS:]:
            verdict_colour = COLOURS.get(summary.verdict, "red")
            cells = [escape(cell) for cell in _cells(summary)]
            cells[2] = f"[{verdict_colour}]{cells[2]}[/]"
            table.add_row(*cells)
        return Group(table, Text(self.status, style="dim"))


def _caption(count: int) -> str | None:
    hidden = count - SHOWN_ROUNDS
    return f"{hidden} earlier rounds on the trend page" if hidden > 0 else None


def _cells(r: RoundSummary) -> list[str]:
    cpu, memory = r.max_cpu, r.max_memory
    notes = r.failed_notes or r.problem
    return [str(r.number), iso_utc(r.started_at)[11:19], r.verdict,
            milliseconds(r.p95_ms) if r.p95_ms is not None else "-",
            fraction_as_percent(r.error_rate) if r.error_rate is not None else "-",
            fraction_as_percent(r.pool_usage) if r.pool_usage is not None else "-",
            f"{percent(cpu[1])} {cpu[0]}" if cpu else "-",
            f"{percent(memory[1])} {memory[0]}" if memory else "-",
            notes]


def _line(r: RoundSummary) -> str:
    """round 3  21:44:30Z  GO  p95 13 ms  errors 0%  pool 50%  CPU 2.4% exam_platform_backend  memory ..."""
    number, time_of_day, verdict, p95, errors, pool, cpu, memory, notes = _cells(r)
    line = (f"round {number}  {time_of_day}Z  {verdict}  p95 {p95}  errors {errors}  pool {pool}  "
            f"CPU {cpu}  memory {memory}")
    return f"{line}  {notes}" if notes else line
