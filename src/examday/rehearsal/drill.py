"""A drill: steady state under load, then a fault, then verify, with the rollback in a `finally`.

The load runs in a thread of its own (open loop: the fault cannot slow its
arrivals); the fault is applied on the wall clock while it runs, and its
window is placed on the load's own timeline afterwards, so the per-second
series and the plot show exactly when it was in effect.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from examday.rehearsal.plot import FaultWindow
from examday.rehearsal.results import LoadResult, SecondStats
from examday.rehearsal.runner import Limits, run_students
from examday.rehearsal.schedule import Step, merge, session_burst, steady_answering, submit_spike
from examday.rehearsal.students import Account
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


def run_drill(load: Callable[[], LoadResult], fault: Callable[[], AbstractContextManager[Any]], label: str,
              fault_at_s: float, hold_s: float) -> DrillRun:
    """Start `load`, apply `fault` at `fault_at_s` for `hold_s` seconds, undo it, wait for the load to end."""
    outcome: dict[str, Any] = {}

    def play() -> None:
        try:
            outcome["result"] = load()
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = error

    thread = threading.Thread(target=play, name="drill-load", daemon=True)
    thread.start()
    time.sleep(fault_at_s)
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


JOIN_WITHIN_S = 5.0  # the students' session burst at the start of every drill
HAND_IN_WITHIN_S = 2.0  # and their submits once the drill is over


def client_addresses(rehearsal: Any, count: int) -> list[str]:
    """One address per student from [rehearsal] client_network (none when it is unset)."""
    if rehearsal.client_network is None:
        return []
    hosts = ipaddress.ip_network(rehearsal.client_network, strict=False).hosts()
    return [str(address) for address in itertools.islice(hosts, count)]


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

    def run(self, fault: Callable[[], AbstractContextManager[Any]], label: str, hold_s: float,
            late_joiners: bool = False, settle_s: float = 0.0) -> DrillRun:
        """Students under steady load; `fault` applied after the steady period, held `hold_s`, undone.
        `settle_s`: time the fault itself may take to apply (a restart), added to the load's length."""
        steady = self.rehearsal.steady_seconds
        total = 2 * steady + hold_s + settle_s
        limits = Limits(concurrency=64, max_requests=self.rehearsal.max_requests, max_duration_s=total + 60)
        load = partial(run_students, self.target, self.plan(steady, hold_s, total, late_joiners), self.accounts,
                       prefix=self.prefix, flow=self.flow, addresses=client_addresses(self.rehearsal, len(self.accounts)),
                       limits=limits, progress=self.progress)
        return run_drill(load, fault, label, fault_at_s=steady, hold_s=hold_s)

    def plan(self, steady: float, hold_s: float, total: float, late_joiners: bool) -> list[Step]:
        """Everyone joins in a burst and answers steadily; with `late_joiners`, half the students sign in
        while the fault is in effect ("auth still works" needs logins then) and answer from then on.
        At the end every student hands in: the platform lets a student open a second ACTIVE session,
        so a drill that left its sessions open would make the next one (and POST-INT-01) see two."""
        students, rate = len(self.accounts), self.rehearsal.answer_rate_per_s
        early = students // 2 if late_joiners else students
        plan = merge(session_burst(early, JOIN_WITHIN_S, seed=1),
                     steady_answering(early, rate, total - JOIN_WITHIN_S, seed=2, start_s=JOIN_WITHIN_S))
        if late_joiners:
            joined = steady + hold_s / 2 + 1
            late = merge(session_burst(students - early, hold_s / 2, seed=3, start_s=steady + 1),
                         steady_answering(students - early, rate / 2, total - joined, seed=4, start_s=joined))
            plan = merge(plan, [Step(s.at, s.student + early, s.action) for s in late])
        return merge(plan, submit_spike(students, HAND_IN_WITHIN_S, seed=5, start_s=total))
