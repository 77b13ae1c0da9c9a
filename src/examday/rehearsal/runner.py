"""Run a load against a checked target, within hard caps: the entry points drills and the benchmark call.

``run_students`` plays a plan of student steps (schedule.py) against the
sessions API; ``run_requests`` sends one fixed request at given times (a plain
endpoint under load, the capacity benchmark). Both are open loop, bounded in
concurrency (``Limits.concurrency`` connections), in requests
(``max_requests``: nothing beyond is sent) and in time (``max_duration_s``:
everything, connecting included, ends by then). The ``load_*`` coroutines are
the same for callers already inside an event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any, TypeVar

import uvloop
from rich.console import Console

from examday.config import StudentFlowConfig
from examday.rehearsal.dispatch import Dispatcher
from examday.rehearsal.progress import LoadProgress
from examday.rehearsal.recorder import Recorder
from examday.rehearsal.results import LoadResult
from examday.rehearsal.schedule import Action, Step
from examday.rehearsal.ledger import AnswerLedger
from examday.rehearsal.students import Account, Api, Student, play
from examday.rehearsal.target import Target
from examday.rehearsal.wire import encode_request

T = TypeVar("T")
MAX_CONCURRENCY = 10_000
MAX_REQUESTS = 10_000_000
MAX_DURATION_S = 24 * 3600.0
# Requests a JOIN step makes when all goes well: login, exam list, create session, read state.
REQUESTS_PER_JOIN = 3  # sign in, create the session, read it


@dataclass(frozen=True)
class Limits:
    """The hard bounds of one run; the defaults suit a sandbox rehearsal."""

    concurrency: int = 64  # connections, i.e. requests in flight at once
    max_requests: int = 100_000
    max_duration_s: float = 600.0
    timeout_s: float = 10.0  # per request, from the moment it goes out

    def __post_init__(self) -> None:
        checks = [("concurrency", self.concurrency, 1, MAX_CONCURRENCY),
                  ("max_requests", self.max_requests, 1, MAX_REQUESTS),
                  ("max_duration_s", self.max_duration_s, 1e-3, MAX_DURATION_S),
                  ("timeout_s", self.timeout_s, 1e-3, MAX_DURATION_S)]
        for name, value, low, high in checks:
            if not low <= value <= high:
                raise ValueError(f"Limits.{name} must be between {low:g} and {high:,g}, not {value!r}")


@dataclass(frozen=True)
class FixedRequest:
    """The one request ``run_requests`` repeats."""

    method: str = "GET"
    path: str = "/health"
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def encode(self, target: Target) -> bytes:
        return encode_request(self.method, self.path, target.host_header, self.headers, self.body)


def run_requests(target: Target, send_at: Sequence[float], request: FixedRequest = FixedRequest(), *,
                 limits: Limits = Limits(), progress: Console | bool = True) -> LoadResult:
    """Send ``request`` at each of ``send_at`` (seconds from the start, sorted); the result once all are done."""
    return _run_sync(load_requests(target, send_at, request, limits=limits, progress=progress))


def run_students(target: Target, plan: Sequence[Step], accounts: Sequence[Account], *, prefix: str = "/v1",
                 flow: StudentFlowConfig | None = None, addresses: Sequence[str] = (), seed: int = 0,
                 limits: Limits = Limits(), progress: Console | bool = True) -> LoadResult:
    """Play ``plan`` with student ``i`` logged in as ``accounts[i]`` (from ``addresses[i]``, when given);
    the result carries the answer ledger."""
    return _run_sync(load_students(target, plan, accounts, prefix=prefix, flow=flow, addresses=addresses,
                                   seed=seed, limits=limits, progress=progress))


async def load_requests(target: Target, send_at: Sequence[float], request: FixedRequest = FixedRequest(), *,
                        limits: Limits = Limits(), progress: Console | bool = True) -> LoadResult:
    if any(later < earlier for earlier, later in pairwise(send_at)):
        raise ValueError("send_at must be sorted: the schedule is played in order")
    payload = request.encode(target)

    async def work(dispatcher: Dispatcher) -> None:
        dispatcher.feed(send_at, payload)
        await dispatcher.drained()

    title = f"{request.method} {target.base_url}{request.path}"
    return await _run(target, limits, len(send_at), title, progress, work, bodies=False)


async def load_students(target: Target, plan: Sequence[Step], accounts: Sequence[Account], *,
                        prefix: str = "/v1", flow: StudentFlowConfig | None = None,
                        addresses: Sequence[str] = (), seed: int = 0,
                        limits: Limits = Limits(), progress: Console | bool = True) -> LoadResult:
    needed = max((step.student for step in plan), default=-1) + 1
    if needed > len(accounts):
        raise ValueError(f"the plan has {needed} students but only {len(accounts)} accounts were given")
    ledger, notes = AnswerLedger(), Counter[str]()
    shapes = flow or StudentFlowConfig()
    students = [Student(number, accounts[number], seed, shapes, ledger, notes,
                        addresses[number] if number < len(addresses) else None) for number in range(needed)]

    async def work(dispatcher: Dispatcher) -> None:
        await play(plan, students, Api(dispatcher, target, prefix), dispatcher.recorder.started)

    planned = sum(REQUESTS_PER_JOIN if step.action is Action.JOIN else 1 for step in plan)
    result = await _run(target, limits, planned, f"{len(students)} students on {target.base_url}", progress, work)
    return _with_ledger(result, ledger, notes)


async def _run(target: Target, limits: Limits, planned: int, title: str, progress: Console | bool,
               work: Callable[[Dispatcher], Awaitable[None]], bodies: bool = True) -> LoadResult:
    """Warm the connections, play ``work`` until it ends or the time cap strikes, and record the lot."""
    target.require_checked()
    began = time.perf_counter()
    recorder = Recorder(began, _utc_now())
    dispatcher = Dispatcher(target, recorder, concurrency=limits.concurrency, max_requests=limits.max_requests,
                            timeout_s=limits.timeout_s, bodies=bodies)
    await dispatcher.lanes.warm_up(min(limits.timeout_s, limits.max_duration_s / 4))
    recorder.started, recorder.started_at = time.perf_counter(), _utc_now()  # second 0 of the plan
    display = _display(progress, recorder, planned, title)
    dispatcher.start_sweeping()
    task = asyncio.ensure_future(work(dispatcher))
    try:
        done, _ = await asyncio.wait({task}, timeout=max(began + limits.max_duration_s - time.perf_counter(), 0))
        if not done:
            dispatcher.stop()  # cut first, so every waiting student sees its request end
            task.cancel()
        await asyncio.gather(task, return_exceptions=not done)
    finally:
        dispatcher.close()
        if display is not None:
            display.stop()
    return recorder.result(planned, dispatcher.stopped_by)


def _display(progress: Console | bool, recorder: Recorder, planned: int, title: str) -> LoadProgress | None:
    if progress is False:
        return None
    console = progress if isinstance(progress, Console) else Console(stderr=True)
    display = LoadProgress(console, recorder, planned, title)
    display.start()
    return display


def _with_ledger(result: LoadResult, ledger: AnswerLedger, notes: Counter[str]) -> LoadResult:
    return replace(result, ledger=ledger, notes=dict(sorted(notes.items())))


def _run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop: it carried about four times the requests per second of the default loop here."""
    return uvloop.run(coroutine)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
