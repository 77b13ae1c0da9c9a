"""The schedule: a round every interval, for a duration or until Ctrl-C.

Rounds start at fixed times (start, start + interval, ...), like a cron line,
so the trend's time axis is regular; a round that overruns its slot delays the
next one, never overlaps it, and missed slots are not made up in a burst.
`--for` bounds when rounds start: the last round started still finishes.

Exit: 1 if any round failed (NO-GO, or no record because it crashed or timed
out), 0 otherwise, also after Ctrl-C; 2 when pytest refused the round's command
line (nothing a later round would fix).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from examday.watch.durations import format_duration
from examday.watch.layout import WatchLayout
from examday.watch.live import WatchDisplay
from examday.watch.rounds import RoundOptions, RoundUsageError, run_round
from examday.watch.stopping import StopRequest, stop_on_signals
from examday.watch.summary import RoundSummary
from examday.watch.info import WatchInfo
from examday.watch.trend import write_trend

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
TICK_S = 0.2


@dataclass(frozen=True)
class WatchPlan:
    interval_s: float
    duration_s: float | None = None  # None: until stopped


@dataclass
class WatchOutcome:
    rounds: list[RoundSummary] = field(default_factory=list)
    ended_by: str = "finished"  # finished | Ctrl-C | SIGTERM | usage error
    usage_error: str | None = None

    @property
    def failed(self) -> list[RoundSummary]:
        return [r for r in self.rounds if r.failed]

    @property
    def exit_code(self) -> int:
        if self.usage_error is not None:
            return EXIT_USAGE
        return EXIT_FAILED if self.failed else EXIT_OK


OnRound = Callable[[list[RoundSummary]], None]


def run_watch(plan: WatchPlan, options: RoundOptions, layout: WatchLayout, info: WatchInfo,
              display: WatchDisplay, on_round: OnRound | None = None) -> WatchOutcome:
    """Run rounds until the plan's duration ends or a signal stops it; the trend is always written.
    ``on_round`` gets every round so far after each one (the metrics the watch exposes)."""
    outcome = WatchOutcome()
    with stop_on_signals() as stop:
        try:
            _rounds(plan, options, layout, info, display, stop, outcome, on_round or (lambda rounds: None))
        except RoundUsageError as error:
            outcome.ended_by, outcome.usage_error = "usage error", str(error)
        finally:
            if stop.stopping and outcome.usage_error is None:
                outcome.ended_by = stop.reason
            info.status = _status(outcome)
            write_trend(layout, info, outcome.rounds)
    return outcome


def _rounds(plan: WatchPlan, options: RoundOptions, layout: WatchLayout, info: WatchInfo,
            display: WatchDisplay, stop: StopRequest, outcome: WatchOutcome, on_round: OnRound) -> None:
    began = time.monotonic()
    next_start = began
    while plan.duration_s is None or next_start - began < plan.duration_s:
        if not _wait_until(next_start, stop, display):
            return
        number = len(outcome.rounds) + 1
        display.set_status(f"round {number} running")
        summary = run_round(number, options, layout, lambda: _cut_short(stop, display))
        outcome.rounds.append(summary)
        write_trend(layout, info, outcome.rounds)
        on_round(outcome.rounds)
        display.round_ended(summary)
        _cut_short(stop, display)  # a signal that came as the round ended: say so before stopping
        if stop.stopping:
            return
        next_start = max(next_start + plan.interval_s, time.monotonic())


def _wait_until(moment: float, stop: StopRequest, display: WatchDisplay) -> bool:
    """Sleep until `moment` (monotonic); False when a signal asked to stop first."""
    while (left := moment - time.monotonic()) > 0:
        if _cut_short(stop, display) or stop.stopping:
            return False
        display.set_status(f"next round in {format_duration(max(1, round(left)))}")
        time.sleep(min(TICK_S, left))
    _cut_short(stop, display)  # flush a notice queued during the last tick
    return not stop.stopping


def _cut_short(stop: StopRequest, display: WatchDisplay) -> bool:
    """Polled while a round runs: show what the signal handler queued, say whether to cut the round."""
    for notice in stop.take_notices():
        display.notice(notice)
    return stop.cut_short


def _status(outcome: WatchOutcome) -> str:
    if outcome.usage_error is not None:
        return f"stopped: {outcome.usage_error}"
    return "finished" if outcome.ended_by == "finished" else f"stopped by {outcome.ended_by}"
