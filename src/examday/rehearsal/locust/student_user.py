"""The simulated student as a Locust user (gevent: loaded only inside Locust's processes).

One StudentUser plays one student of the plan: the same ``students.Student`` the built-in
engine plays (sign in, create or resume the session, answer, reload, submit, the ledger of
acknowledged answers, a fresh sign-in after a 401), through an Api that sends each request
with Locust's FastHttpSession instead of examday's lanes. Student's steps are coroutines that
await nothing but their own requests; here a request completes before ``call`` returns, so each
step runs to its end in one ``send`` (drive()), and gevent interleaves the students.

Its steps start at their planned times from second 0 (the master's clock), one after another:
a step due while the previous one still waits for the server starts when that one ends.
Latencies are Locust's own, counted from the send, not from the scheduled time.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Coroutine
from typing import Any

import gevent
from locust import FastHttpUser, task

from examday.rehearsal.locust import nodes
from examday.rehearsal.recorder import status_class
from examday.rehearsal.students import Reply, student_request

_IDS = re.compile(r"/[0-9a-fA-F-]{8,}(?=/|$)")  # a session's id in a path: grouped in Locust's stats


def drive(step: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends (every await inside completes at once) to its end."""
    try:
        step.send(None)
    except StopIteration as done:
        return done.value
    step.close()
    raise RuntimeError("a student's step waited on something other than its own request")


class LocustApi:
    """students.Api's ``call`` over one Locust user's HTTP client, bounded by the worker's caps."""

    def __init__(self, user: FastHttpUser, run: nodes.WorkerRun) -> None:
        self.user = user
        self.share = run
        self.prefix = run.job.prefix.rstrip("/")
        self._sequence = 0

    async def call(self, method: str, path: str, at: float, token: str | None = None,
                   body: dict[str, Any] | None = None, forwarded_for: str | None = None) -> Reply:
        full, headers, body_bytes = student_request(method, path, self.prefix,
                                                    f"examday-locust-{id(self.user):x}-{self._next()}", token, body,
                                                    forwarded_for)
        headers["Host"] = self.share.target.host_header
        return self.send(method, full, headers, body_bytes.decode() if body_bytes is not None else None)

    def send(self, method: str, path: str, headers: dict[str, str], data: str | None,
             wants_body: bool = True) -> Reply:
        refused = self.share.may_send()
        if refused is not None:  # the worker's own caps: nothing is sent beyond them
            self.share.buckets.record(time.time(), None, refused)
            return Reply(0, refused, None, time.perf_counter())
        sent_at, began = time.time(), time.perf_counter()
        response = self.user.client.request(method, path, name=f"{method} {_IDS.sub('/{id}', path)}",
                                            data=data, headers=headers)
        latency = time.perf_counter() - began
        status = response.status_code or 0
        failure = None if status else _failure(getattr(response, "error", None))
        outcome = failure or ("2xx" if 200 <= status < 300 else status_class(status))
        example = str(getattr(response, "error", None) or f"HTTP {status} from {method} {path}")
        self.share.buckets.record(sent_at, latency, outcome, example)
        body = _json(response.content) if wants_body and status else None
        return Reply(status, failure, body, time.perf_counter())

    def _next(self) -> int:
        self._sequence += 1
        return self._sequence


def _failure(error: BaseException | None) -> str:
    """examday's class for a request that got no HTTP answer."""
    if isinstance(error, gevent.Timeout | socket.timeout | TimeoutError):
        return "timeout"
    return "connection"


def _json(content: bytes | None) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


class _ExamdayUser(FastHttpUser):
    """Connects to the address the worker checked (never re-resolved), with the run's request timeout."""

    abstract = True
    max_retries = 0
    insecure = False

    def __init__(self, environment: Any) -> None:
        self.share = nodes.current_run()
        # A user of a refused or missing job still needs a host to exist; it never sends anything.
        self.host = self.share.connect_url if self.share else "http://127.0.0.1:9"
        if self.share:
            self.network_timeout = self.connection_timeout = self.share.job.timeout_s
        super().__init__(environment)
        self.done = False

    def idle(self) -> None:
        gevent.sleep(1.0)  # until the master ends the run: a finished user sends nothing more


class StudentUser(_ExamdayUser):
    """One student of the plan (students.Student), its steps at their planned times."""

    def on_start(self) -> None:
        self.student = self.share.claim_student() if self.share and self.share.ready else None
        self.api = LocustApi(self, self.share) if self.student else None

    @task
    def play(self) -> None:
        if self.done or self.student is None:
            return self.idle()
        try:
            for step in self.share.steps_of(self.student.number):
                delay = self.share.zero + step.at - time.time()
                if delay > 0:
                    gevent.sleep(delay)
                if self.share.cut:
                    break
                drive(self.student.act(step, 0.0, self.api))
        finally:
            self.done = True
            self.share.student_done()


class FixedPathUser(_ExamdayUser):
    """GET the job's ``fixed_path`` as fast as the server answers (closed loop), until the time cap: the bench."""

    def on_start(self) -> None:
        self.api = LocustApi(self, self.share) if self.share and self.share.ready else None
        self.headers = {"Host": self.share.target.host_header} if self.api else {}

    @task
    def hammer(self) -> None:
        if self.api is None or self.share.cut:
            return self.idle()
        delay = self.share.zero - time.time()
        if delay > 0:
            gevent.sleep(delay)
        self.api.send("GET", self.share.job.fixed_path, self.headers, None, wants_body=False)
