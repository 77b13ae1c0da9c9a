"""A drill: steady state under load, then a fault, then verify, with the rollback in a `finally`.

The load runs in a thread of its own (open loop: the fault cannot slow its
arrivals); the fault is applied on the wall clock while it runs, and its
window is placed on the load's own timeline afterwards, so the per-second
series and the plot show exactly when it was in effect.
"""

from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from examday.rehearsal.locust.job import PlanRecipe
from examday.rehearsal.plot import FaultWindow
from examday.rehearsal.results import LoadResult, SecondStats
from examday.rehearsal.runner import Limits, run_students
from examday.rehearsal.schedule import HAND_IN_WITHIN_S, JOIN_WITHIN_S, Step, drill_plan
from examday.rehearsal.students import Account, addresses_in
from examday.rehearsal.target import Target


@dataclass(frozen=True)
class DrillRun:
    result: LoadResult
    window: FaultWindow  # wall clock, for the plot
    start_s: float  # the same window on the load's own timeline (seconds from its start)
    end_s: float
    seen: Any  # what the fault reported (pids, times), if anything

    def seconds_in(self, start_s: float, end_s: float) -> list[SecondStats]:
        return [s for s in self.result.seconds if start_s <= s.second < end_s]

    def during(self, grace_s: float = 0.0) -> list[SecondStats]:
        return self.seconds_in(self.start_s, self.end_s + grace_s)

    def before(self) -> list[SecondStats]:
        return self.seconds_in(0, self.start_s)

    def after(self, grace_s: float = 0.0) -> list[SecondStats]:
        return self.seconds_in(self.end_s + grace_s, float("inf"))


def totals(seconds: list[SecondStats]) -> tuple[int, int]:
    """(requests, errors) over some seconds of a run."""
    return sum(s.requests for s in seconds), sum(s.errors for s in seconds)


def median_p95(seconds: list[SecondStats]) -> float:
    """The median of the per-second p95s: one slow second (the moment a fault hits) does not decide it."""
    values = [s.p95_ms for s in seconds if s.requests]
    return statistics.median(values) if values else 0.0


class LoadStart:
    """Second 0 of a load that starts late (the Locust master first waits for its workers), wall clock."""

    def __init__(self) -> None:
        self._set = threading.Event()
        self.at = 0.0  # time.time() at second 0

    def set(self, at: float) -> None:
        self.at = at
        self._set.set()

    def wait(self, thread: threading.Thread) -> bool:
        """Until second 0 is known, or the load ended without one (False)."""
        while not self._set.wait(0.2):
            if not thread.is_alive():
                return self._set.is_set()
        return True


def run_drill(load: Callable[[], LoadResult], fault: Callable[[], AbstractContextManager[Any]], label: str,
              fault_at_s: float, hold_s: float, start: LoadStart | None = None) -> DrillRun:
    """Start `load`, apply `fault` at `fault_at_s` for `hold_s` seconds, undo it, wait for the load to end.
    With `start`, `fault_at_s` counts from the second 0 the load reports there, not from its launch."""
    outcome: dict[str, Any] = {}

    def play() -> None:
        try:
            outcome["result"] = load()
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = error

    thread = threading.Thread(target=play, name="drill-load", daemon=True)
    thread.start()
    if start is None:
        time.sleep(fault_at_s)
    elif start.wait(thread):
        time.sleep(max(start.at + fault_at_s - time.time(), 0))
    else:  # the load never started: no fault without load to judge it by
        thread.join()
        raise outcome.get("error") or RuntimeError("the load ended before it started")
    began = _now()
    try:
        with fault() as seen:
            time.sleep(hold_s)
    finally:
        ended = _now()
        thread.join()  # bounded: the load has its own time cap; never leave it running behind a failure
    if "error" in outcome:
        raise outcome["error"]
    result: LoadResult = outcome["result"]
    start_s = (began - result.started_at).total_seconds()
    end_s = (ended - result.started_at).total_seconds()
    return DrillRun(result, FaultWindow(began, ended, label), start_s, end_s, seen)


@contextmanager
def observed_during(fault: AbstractContextManager[Any], observe: Callable[[], Any]) -> Iterator[dict[str, Any]]:
    """The fault, and `observe()` once it is in effect (what the diagnostics show then): its result
    is `seen["observed"]`, beside what the fault itself reports."""
    with fault as reported:
        seen: dict[str, Any] = reported if isinstance(reported, dict) else {}
        seen["observed"] = observe()
        yield seen


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def client_addresses(rehearsal: Any, count: int) -> list[str]:
    """One address per student from [rehearsal] client_network (none when it is unset)."""
    return addresses_in(rehearsal.client_network, count)


@dataclass(frozen=True)
class Drills:
    """What every drill needs: the [rehearsal] settings, the checked target, the accounts, the engine."""

    rehearsal: Any  # RehearsalConfig
    target: Target
    accounts: list[Account]
    engine: Any  # rehearsal.faults.Engine
    progress: bool
    flow: Any = None  # StudentFlowConfig; None: the real platform's shapes
    prefix: str = "/v1"
    load_engine: Any = None  # None: the built-in engine; else a rehearsal.locust.engine.LocustEngine

    def run(self, fault: Callable[[], AbstractContextManager[Any]], label: str, hold_s: float,
            late_joiners: bool = False, settle_s: float = 0.0) -> DrillRun:
        """Students under steady load; `fault` applied after the steady period, held `hold_s`, undone.
        `settle_s`: time the fault itself may take to apply (a restart), added to the load's length."""
        steady = self.rehearsal.steady_seconds
        total = 2 * steady + hold_s + settle_s
        limits = Limits(concurrency=64, max_requests=self.rehearsal.max_requests, max_duration_s=total + 60)
        if self.load_engine is not None:
            recipe = PlanRecipe(len(self.accounts), self.rehearsal.answer_rate_per_s, steady, hold_s, total,
                                late_joiners)
            start = LoadStart()
            load = partial(self.load_engine.play_drill, self, recipe, limits, start.set)
            return run_drill(load, fault, label, fault_at_s=steady, hold_s=hold_s, start=start)
        load = partial(run_students, self.target, self.plan(steady, hold_s, total, late_joiners), self.accounts,
                       prefix=self.prefix, flow=self.flow, addresses=client_addresses(self.rehearsal, len(self.accounts)),
                       limits=limits, progress=self.progress)
        return run_drill(load, fault, label, fault_at_s=steady, hold_s=hold_s)

    def plan(self, steady: float, hold_s: float, total: float, late_joiners: bool) -> list[Step]:
        """The students' steps (schedule.drill_plan): a join burst, late joiners during the fault when
        asked, steady answering, the hand-in spike."""
        return drill_plan(len(self.accounts), self.rehearsal.answer_rate_per_s, steady, hold_s, total, late_joiners)
