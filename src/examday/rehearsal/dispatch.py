"""The open-loop dispatcher: hands each request to a free lane at its scheduled time, within the caps.

Requests come from two sources: a fixed list of send times (one request
repeated: the capacity benchmark, a plain endpoint under load) and jobs that
students submit once they know what to send. Either way a request waits in
scheduled order until a lane is free; that wait is part of its latency.

The caps are hard: once ``max_requests`` have gone out nothing else is sent,
and ``stop`` (the runner calls it at ``max_duration_s``) cuts whatever is in
flight or queued. A sweep gives up on any request older than the timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence

from examday.rehearsal.recorder import Recorder
from examday.rehearsal.target import Target
from examday.rehearsal.wire import CAPPED, CUT, TIMEOUT, Job, Lane, LaneSet

SWEEP_EVERY_S = 0.05
MIN_WAIT_S = 0.001


class Dispatcher:
    """Owns the lanes and the timeline of one run. All of it runs on the event loop's thread."""

    def __init__(self, target: Target, recorder: Recorder, *, concurrency: int, max_requests: int,
                 timeout_s: float, bodies: bool = True) -> None:
        self.recorder = recorder
        self.lanes = LaneSet([Lane(target, self._finished, bodies) for _ in range(concurrency)])
        self.max_requests = max_requests
        self.timeout_s = timeout_s
        self.stopped_by: str | None = None
        self._ready: deque[Job] = deque()
        self._times: Sequence[float] = ()  # absolute perf_counter times of the fixed requests
        self._payload = b""
        self._next = 0
        self._taken = 0
        self._timer: asyncio.Handle | None = None
        self._sweeper: asyncio.Handle | None = None
        self._drained: asyncio.Future[None] | None = None
        self._closed = False

    # -- feeding ------------------------------------------------------------------------------

    def feed(self, send_at: Sequence[float], payload: bytes) -> None:
        """Send ``payload`` at each of ``send_at`` (seconds from the recorder's start, sorted)."""
        start = self.recorder.started
        self._times = [start + at for at in send_at]
        self._payload = payload
        self._next = 0
        self._arm()

    async def request(self, scheduled_at: float, payload: bytes) -> Job:
        """Send now one request that was due at ``scheduled_at`` (perf_counter, not later than now).

        Its latency counts from ``scheduled_at``: a student's wait for a free lane, or for
        the answer before it, is part of what the student saw."""
        future: asyncio.Future[Job] = asyncio.get_running_loop().create_future()

        def settle(done: Job) -> None:
            if not future.done():  # a student cancelled at the time cap no longer waits
                future.set_result(done)

        self.submit(Job(scheduled_at, payload, on_done=settle, wants_body=True))
        return await future

    def submit(self, job: Job) -> None:
        """Hand ``job`` to a free lane, or queue it behind the others due; refuse it once stopped."""
        if self.stopped_by is None and self.lanes.idle and not self._ready and self._claim():
            self.lanes.idle.pop().send(job)
        elif self.stopped_by is not None or self._closed:
            self._complete(job, CAPPED if self.stopped_by == "max_requests" else CUT)
        else:
            self._ready.append(job)

    async def drained(self) -> None:
        """Wait until every fixed request is sent and answered (or failed)."""
        if self._is_drained():
            return
        self._drained = asyncio.get_running_loop().create_future()
        await self._drained

    # -- running ------------------------------------------------------------------------------

    def start_sweeping(self) -> None:
        """Every SWEEP_EVERY_S, give up on requests older than the timeout (one timer, not one per request)."""
        self._sweep()

    def _sweep(self) -> None:
        now = time.perf_counter()
        for lane in self.lanes.lanes:
            job = lane.job
            if job is not None and job.sent_at is not None and now - job.sent_at > self.timeout_s:
                lane.abort(TIMEOUT, f"no answer within {self.timeout_s:g} s")
        self._sweeper = asyncio.get_running_loop().call_later(SWEEP_EVERY_S, self._sweep)

    def stop(self) -> None:
        """The time cap: send nothing more, cut what is queued or in flight. Idempotent."""
        if self.stopped_by is None:
            self.stopped_by = "max_duration"
        self._cancel_timers()
        self._refuse_rest(CUT)
        self._cut_in_flight()

    def close(self) -> None:
        """At the end of the run: nothing should be in flight, but whatever is gets reported as cut."""
        self._closed = True
        self._cancel_timers()
        self._cut_in_flight()
        self.lanes.close()

    def _cancel_timers(self) -> None:
        for handle in (self._timer, self._sweeper):
            if handle is not None:
                handle.cancel()
        self._timer = self._sweeper = None

    def _cut_in_flight(self) -> None:
        for lane in self.lanes.lanes:
            lane.abort(CUT, "still running when the run's time cap struck")

    # -- the timeline --------------------------------------------------------------------------

    def _finished(self, lane: Lane, job: Job) -> None:
        self._complete(job, None)
        next_job = self._take(time.perf_counter())
        if next_job is not None:
            lane.send(next_job)
            return
        self.lanes.idle.append(lane)
        self._arm()
        if self._drained is not None and self._is_drained() and not self._drained.done():
            self._drained.set_result(None)

    def _take(self, now: float) -> Job | None:
        """The earliest due job, if the request cap allows one more."""
        ready = self._ready
        times = self._times
        due_fixed = self._next < len(times) and times[self._next] <= now
        if ready and (not due_fixed or ready[0].scheduled_at <= times[self._next]):
            if self._claim():
                return ready.popleft()
        elif due_fixed and self._claim():
            self._next += 1
            return Job(times[self._next - 1], self._payload)
        return None

    def _claim(self) -> bool:
        if self._closed:
            return False
        if self._taken < self.max_requests and self.stopped_by is None:
            self._taken += 1
            return True
        if self.stopped_by is None:
            self.stopped_by = "max_requests"
            self._refuse_rest(CAPPED)
        return False

    def _wake(self) -> None:
        self._timer = None
        now = time.perf_counter()
        idle = self.lanes.idle
        while idle:  # bounded: each turn takes a job or leaves
            job = self._take(now)
            if job is None:
                break
            idle.pop().send(job)
        self._arm()

    def _arm(self) -> None:
        """Wake up when the next fixed request is due, if a lane is free to take it."""
        if self._timer is not None or not self.lanes.idle or self._next >= len(self._times):
            return
        if self.stopped_by is not None:
            return
        delay = self._times[self._next] - time.perf_counter()
        loop = asyncio.get_running_loop()
        # Never less than a millisecond (uvloop's timer tick): shorter waits would spin a core, which on a
        # shared host is taken from the platform under test. The lateness is measured, never hidden.
        self._timer = loop.call_soon(self._wake) if delay <= 0 else loop.call_later(max(delay, MIN_WAIT_S), self._wake)

    def _refuse_rest(self, outcome: str) -> None:
        while self._ready:  # bounded by what was queued
            self._complete(self._ready.popleft(), outcome)
        left = len(self._times) - self._next
        if left:
            self.recorder.not_sent(outcome, left)
            self._next = len(self._times)
        if self._drained is not None and self._is_drained() and not self._drained.done():
            self._drained.set_result(None)

    def _complete(self, job: Job, refused: str | None) -> None:
        if refused is not None:
            job.failure, job.done_at = refused, time.perf_counter()
        self.recorder.record(job)
        if job.on_done is not None:
            job.on_done(job)

    def _is_drained(self) -> bool:
        return self._next >= len(self._times) and not self._ready and self.lanes.all_idle
