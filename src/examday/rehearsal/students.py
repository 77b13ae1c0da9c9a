"""Simulated students against the platform's sessions API, and the ledger of what the server acknowledged.

The API's shapes come from ``[flow]`` (examday.student_flow), the one description the canary
uses too: sign in, create a session (its id is kept: the platform has no way to list one's
sessions), read it, answer, read it again as a reloaded page does, submit.

A student's steps run one after another, as a person's clicks do: a step due
while the previous one is still waiting for the server waits too, and its
latency still counts from its scheduled time. A student who lost their token
or session (a restart, an expired token) logs in or joins again on the next step.

The ledger is the generator's side of "no answer lost": every answer the server
acknowledged with a 2xx, with the value sent. An answer whose outcome is
unknown (timed out, connection cut) is kept apart as unconfirmed: the server
may or may not have stored it, so a reconciliation accepts either.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from examday.config import StudentFlowConfig
from examday.rehearsal.dispatch import Dispatcher
from examday.rehearsal.ledger import AnswerLedger
from examday.rehearsal.schedule import Action, Step
from examday.rehearsal.target import Target
from examday.rehearsal.wire import Job, encode_request
from examday.student_flow import FlowError, SessionView, field_at, render, session_view

@dataclass(frozen=True)
class Account:
    username: str
    password: str = field(repr=False)


def numbered_accounts(count: int, password: str, pattern: str = "student{:03d}", first: int = 1) -> list[Account]:
    """The sandbox's seeded students: student001, student002, ... all with one password."""
    return [Account(pattern.format(number), password) for number in range(first, first + count)]


def addresses_in(network: str | None, count: int) -> list[str]:
    """One client address per student from ``network`` ([rehearsal] client_network; none when unset)."""
    if network is None:
        return []
    hosts = ipaddress.ip_network(network, strict=False).hosts()
    return [str(address) for address in itertools.islice(hosts, count)]


@dataclass(frozen=True)
class Reply:
    status: int  # 0: no HTTP answer (see failure)
    failure: str | None
    body: Any  # parsed JSON, or None
    done_at: float

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def student_request(method: str, path: str, prefix: str, request_id: str, token: str | None,
                    body: dict[str, Any] | None, forwarded_for: str | None) -> tuple[str, dict[str, str], bytes | None]:
    """A student's call as the browser makes it: the full path, its headers and its JSON body (every
    POST has one). Shared by both load engines, so they speak the platform's API alike."""
    headers = {"X-Request-ID": request_id, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    data = None
    if body is not None or method == "POST":
        data = json.dumps(body or {}).encode()
        headers["Content-Type"] = "application/json"
    return (path if path.startswith("/") else f"{prefix}/{path}"), headers, data


class Api:
    """The sessions API as one student's browser calls it, through the run's dispatcher."""

    def __init__(self, dispatcher: Dispatcher, target: Target, prefix: str) -> None:
        self.dispatcher = dispatcher
        self.host = target.host_header
        self.prefix = prefix.rstrip("/")
        self._sequence = 0

    async def call(self, method: str, path: str, at: float, token: str | None = None,
                   body: dict[str, Any] | None = None, forwarded_for: str | None = None) -> Reply:
        """``path`` as [flow] writes it: under the prefix unless it starts with "/"."""
        self._sequence += 1
        full, headers, data = student_request(method, path, self.prefix, f"examday-load-{self._sequence}", token,
                                              body, forwarded_for)
        job = await self.dispatcher.request(at, encode_request(method, full, self.host, headers, data))
        return Reply(job.status, job.failure, _json(job), job.done_at)


class Student:
    """One account working through an exam. ``act`` runs one planned step; steps never overlap.

    ``address``, when given, is sent as X-Forwarded-For: each simulated student has its own
    client address, as students in an exam hall do, for a backend that trusts the forwarded
    address from where the load comes (the platform's limits are per address).
    """

    def __init__(self, number: int, account: Account, seed: int, flow: StudentFlowConfig,
                 ledger: AnswerLedger, notes: Counter[str], address: str | None = None) -> None:
        self.number = number
        self.account = account
        self.flow = flow
        self.address = address
        self.ledger = ledger
        self.notes = notes
        self.rng = random.Random(f"student:{seed}:{number}")
        self.lock = asyncio.Lock()
        self.token: str | None = None
        self.session_id: str | None = None
        self.questions: list[str] = []
        self.chosen: dict[str, int | None] = {}
        self.finished = False

    async def act(self, step: Step, at: float, api: Api) -> None:
        async with self.lock:
            if self.finished:
                self.notes[f"{step.action.value} skipped: already submitted"] += 1
                return
            try:
                ready_at = await self._join(api, at)
                if ready_at is not None and step.action is not Action.JOIN:
                    await _ACTIONS[step.action](self, api, ready_at)
            except (FlowError, KeyError, TypeError, ValueError) as error:
                # A body of an unexpected shape ends this student's step, not the whole run.
                self.notes[f"{step.action.value} failed: unexpected answer ({type(error).__name__}: {error})"] += 1
                self.questions = []

    async def _call(self, api: Api, method: str, path: str, at: float, body: Any = None) -> Reply:
        return await api.call(method, path, at, self.token, body, forwarded_for=self.address)

    def _values(self, **more: Any) -> dict[str, Any]:
        return {"username": self.account.username, "password": self.account.password,
                "session_id": self.session_id, **more}

    # -- joining: sign in, create the session (once: its id is kept), read it ----------------------

    async def _join(self, api: Api, at: float) -> float | None:
        """The time the next request may go (now, if already joined); None if joining failed."""
        for needed, stage in ((self.token is None, self._login), (self.session_id is None, self._open_session),
                              (not self.questions, self._read_session)):
            if needed:
                next_at = await stage(api, at)
                if next_at is None:
                    return None
                at = next_at  # the next request follows at once: no think time inside a step
        return at

    async def _login(self, api: Api, at: float) -> float | None:
        reply = await self._call(api, "POST", self.flow.login_path, at, render(self.flow.login_body, self._values()))
        if not reply.ok:
            self._failed("login", reply)
            return None
        self.token = str(field_at(reply.body, self.flow.token_field, "sign in"))
        return reply.done_at

    async def _open_session(self, api: Api, at: float) -> float | None:
        reply = await self._call(api, "POST", self.flow.create_path, at, render(self.flow.create_body, {}))
        if not reply.ok:
            self._failed("create session", reply)
            return None
        self.session_id = str(field_at(reply.body, self.flow.session_id_field, "create a session"))
        self.ledger.sessions[self.account.username] = self.session_id
        return reply.done_at

    async def _read_session(self, api: Api, at: float) -> float | None:
        view, done_at = await self._view(api, at, "read session")
        if view is None:
            return None
        self.questions = view.questions
        self.chosen = {qid: self.ledger.acknowledged.get((view.session_id, qid)) for qid in view.questions}
        return done_at

    async def _view(self, api: Api, at: float, stage: str) -> tuple[SessionView | None, float]:
        session_id = self.session_id
        assert session_id is not None
        reply = await self._call(api, "GET", render(self.flow.view_path, self._values()), at)
        if not reply.ok:
            self._failed(stage, reply)
            return None, reply.done_at
        return session_view(session_id, reply.body, self.flow), reply.done_at

    # -- the steps after joining ---------------------------------------------------------------------

    async def _answer(self, api: Api, at: float) -> None:
        if not self.questions:
            self.notes["answer skipped: the session has no questions"] += 1
            return
        question_id, value = self._next_answer()
        session_id = self.session_id
        assert session_id is not None
        values = self._values(question_id=question_id, choice=value)
        reply = await self._call(api, "POST", render(self.flow.answer_path, values), at,
                                 render(self.flow.answer_body, values))
        if reply.ok:
            self.ledger.acknowledge(session_id, question_id, value)
            self.chosen[question_id] = value
        elif reply.failure is not None:
            self.ledger.unsure(session_id, question_id, value)  # it may have been stored
            self._failed("answer", reply)
        else:
            self._failed("answer", reply)

    async def _resume(self, api: Api, at: float) -> None:
        """Read the session again, as a reloaded page does, and check our acknowledged answers show in it."""
        view, _ = await self._view(api, at, "resume")
        if view is None:
            return
        missing = self.ledger.unanswered_in(view.session_id, view.answered)
        if missing:
            self.notes["acknowledged answers missing on resume"] += missing

    async def _submit(self, api: Api, at: float) -> None:
        session_id = self.session_id
        assert session_id is not None
        reply = await self._call(api, "POST", render(self.flow.submit_path, self._values()), at)
        if reply.ok and isinstance(reply.body, dict):
            self.ledger.submitted[session_id] = str(reply.body.get("status"))
            self.finished = True
        else:
            self._failed("submit", reply)

    def _next_answer(self) -> tuple[str, int]:
        """The first unanswered question; once all are answered, a changed answer to a random one."""
        choices = self.flow.choices
        for question_id in self.questions:
            if self.chosen.get(question_id) is None:
                return question_id, self.rng.randrange(choices)
        question_id = self.rng.choice(self.questions)
        others = [i for i in range(choices) if i != self.chosen.get(question_id)]
        return question_id, self.rng.choice(others or [0])

    def _failed(self, stage: str, reply: Reply, why: str | None = None) -> None:
        """Note the failure; forget what a 401 or 404 says is gone, so the next step starts over."""
        self.notes[f"{stage} failed: {why or reply.failure or f'HTTP {reply.status}'}"] += 1
        if reply.status == 401:
            self.token = None  # expired or revoked: sign in again, the session id is still ours
        elif reply.status == 404 and stage != "login":
            self.notes["sessions gone (404): a new one started"] += 1
            self.session_id, self.questions = None, []
        elif reply.status == 409 and stage != "login":
            self.session_id, self.questions = None, []  # no longer ACTIVE (expired): start another


_ACTIONS = {Action.ANSWER: Student._answer, Action.RESUME: Student._resume, Action.SUBMIT: Student._submit}


async def play(plan: Sequence[Step], students: Sequence[Student], api: Api, started: float) -> None:
    """Start each step at its planned time (open loop), whatever the server is doing."""
    async with asyncio.TaskGroup() as group:
        for step in plan:  # bounded by the plan's length
            delay = started + step.at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            group.create_task(students[step.student].act(step, started + step.at, api))


def _json(job: Job) -> Any:
    if not job.body:
        return None
    try:
        return json.loads(job.body)
    except ValueError:
        return None
