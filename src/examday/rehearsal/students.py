"""Simulated students against the platform's sessions API, and the ledger of what the server acknowledged.

Endpoints (sandbox/backend/app/routes): ``POST {prefix}/auth/login`` ->
``access_token``; ``GET {prefix}/exams``; ``POST {prefix}/sessions``
``{"exam_id", "mode"}`` (201 created, 200 resumed); ``GET
{prefix}/sessions/{id}/state`` (questions with their options, answers so far);
``POST {prefix}/sessions/{id}/answers`` ``{"question_id", "selected_index"}``
(idempotent); ``POST {prefix}/sessions/{id}/submit`` (idempotent).

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
import json
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from examday.rehearsal.dispatch import Dispatcher
from examday.rehearsal.schedule import Action, Step
from examday.rehearsal.target import Target
from examday.rehearsal.wire import Job, encode_request

ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class Account:
    username: str
    password: str = field(repr=False)


def numbered_accounts(count: int, password: str, pattern: str = "student{:03d}", first: int = 1) -> list[Account]:
    """The sandbox's seeded students: student001, student002, ... all with one password."""
    return [Account(pattern.format(number), password) for number in range(first, first + count)]


@dataclass(frozen=True)
class Reply:
    status: int  # 0: no HTTP answer (see failure)
    failure: str | None
    body: Any  # parsed JSON, or None
    done_at: float

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class AnswerLedger:
    """What the server acknowledged: (session_id, question_id) -> the selected_index last acknowledged."""

    acknowledged: dict[tuple[str, str], int | None] = field(default_factory=dict)
    unconfirmed: dict[tuple[str, str], set[int | None]] = field(default_factory=dict)
    submitted: dict[str, str] = field(default_factory=dict)  # session_id -> status the submit returned
    sessions: dict[str, str] = field(default_factory=dict)  # username -> the session it worked in last

    def acknowledge(self, session_id: str, question_id: str, value: int | None) -> None:
        self.acknowledged[(session_id, question_id)] = value

    def unsure(self, session_id: str, question_id: str, value: int | None) -> None:
        # Kept even after a later 2xx: the unsure request may still commit after it, server side.
        self.unconfirmed.setdefault((session_id, question_id), set()).add(value)

    def accepts(self, session_id: str, question_id: str, stored: int | None) -> bool:
        """Whether ``stored`` is a value the server may rightly hold for this answer."""
        key = (session_id, question_id)
        return stored == self.acknowledged[key] or stored in self.unconfirmed.get(key, ())

    def missing_from(self, session_id: str, question_ids: Sequence[str], stored: dict[str, int | None]) -> int:
        """Acknowledged answers among ``question_ids`` that ``stored`` (question_id -> value) lacks or contradicts."""
        return sum(1 for qid in question_ids if (session_id, qid) in self.acknowledged
                   and (qid not in stored or not self.accepts(session_id, qid, stored[qid])))


class Api:
    """The sessions API as one student's browser calls it, through the run's dispatcher."""

    def __init__(self, dispatcher: Dispatcher, target: Target, prefix: str) -> None:
        self.dispatcher = dispatcher
        self.host = target.host_header
        self.prefix = prefix.rstrip("/")
        self._sequence = 0

    async def call(self, method: str, path: str, at: float, token: str | None = None,
                   body: dict[str, Any] | None = None) -> Reply:
        self._sequence += 1
        headers = {"X-Request-ID": f"examday-load-{self._sequence}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None or method == "POST":
            data = json.dumps(body or {}).encode()
            headers["Content-Type"] = "application/json"
        job = await self.dispatcher.request(at, encode_request(method, self.prefix + path, self.host, headers, data))
        return Reply(job.status, job.failure, _json(job), job.done_at)


@dataclass(frozen=True)
class Question:
    question_id: str
    options: int


class Student:
    """One account working through an exam. ``act`` runs one planned step; steps never overlap."""

    def __init__(self, number: int, account: Account, seed: int, exam_code: str | None,
                 ledger: AnswerLedger, notes: Counter[str]) -> None:
        self.number = number
        self.account = account
        self.exam_code = exam_code
        self.ledger = ledger
        self.notes = notes
        self.rng = random.Random(f"student:{seed}:{number}")
        self.lock = asyncio.Lock()
        self.token: str | None = None
        self.exam_id: str | None = None
        self.session_id: str | None = None
        self.questions: list[Question] = []
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
            except (KeyError, TypeError, ValueError) as error:
                # A body of an unexpected shape ends this student's step, not the whole run.
                self.notes[f"{step.action.value} failed: unexpected answer ({type(error).__name__}: {error})"] += 1
                self.session_id = None

    # -- joining: log in, find the exam, create or resume the session, read it ---------------------

    async def _join(self, api: Api, at: float) -> float | None:
        """The time the next request may go (now, if already joined); None if joining failed."""
        if self.session_id is not None:
            return at
        for stage in (self._login, self._find_exam, self._open_session, self._read_state):
            next_at = await stage(api, at)
            if next_at is None:
                return None
            at = next_at  # the next request follows at once: no think time inside a step
        return at

    async def _login(self, api: Api, at: float) -> float | None:
        if self.token is not None:
            return at
        body = {"username": self.account.username, "password": self.account.password}
        reply = await api.call("POST", "/auth/login", at, body=body)
        token = reply.body.get("access_token") if reply.ok and isinstance(reply.body, dict) else None
        if not isinstance(token, str):
            self._failed("login", reply)
            return None
        self.token = token
        return reply.done_at

    async def _find_exam(self, api: Api, at: float) -> float | None:
        if self.exam_id is not None:
            return at
        reply = await api.call("GET", "/exams", at, self.token)
        exams = reply.body if reply.ok and isinstance(reply.body, list) else []
        wanted = [e for e in exams if isinstance(e, dict) and (self.exam_code is None or e.get("code") == self.exam_code)]
        if not wanted:
            why = None if not reply.ok else f"no exam {self.exam_code!r} listed" if self.exam_code else "no exam listed"
            self._failed("find exam", reply, why)
            return None
        self.exam_id = str(wanted[0]["id"])
        return reply.done_at

    async def _open_session(self, api: Api, at: float) -> float | None:
        reply = await api.call("POST", "/sessions", at, self.token, {"exam_id": self.exam_id, "mode": "EXAM"})
        if not (reply.ok and isinstance(reply.body, dict) and reply.body.get("status") == ACTIVE):
            self._failed("create session", reply)
            return None
        self.session_id = str(reply.body["id"])
        self.ledger.sessions[self.account.username] = self.session_id
        return reply.done_at

    async def _read_state(self, api: Api, at: float) -> float | None:
        reply = await api.call("GET", f"/sessions/{self.session_id}/state", at, self.token)
        if not (reply.ok and isinstance(reply.body, dict)):
            self._failed("read state", reply)
            return None
        self.questions = [Question(str(q["question_id"]), len(q["options"])) for q in reply.body.get("questions", [])]
        self.chosen = _stored_answers(reply.body)
        return reply.done_at

    # -- the steps after joining ---------------------------------------------------------------------

    async def _answer(self, api: Api, at: float) -> None:
        if not self.questions:
            self.notes["answer skipped: the session has no questions"] += 1
            return
        question, value = self._next_answer()
        session_id = self.session_id
        assert session_id is not None
        body = {"question_id": question.question_id, "selected_index": value}
        reply = await api.call("POST", f"/sessions/{session_id}/answers", at, self.token, body)
        if reply.ok:
            self.ledger.acknowledge(session_id, question.question_id, value)
            self.chosen[question.question_id] = value
        elif reply.failure is not None:
            self.ledger.unsure(session_id, question.question_id, value)  # it may have been stored
            self._failed("answer", reply)
        else:
            self._failed("answer", reply)

    async def _resume(self, api: Api, at: float) -> None:
        """Read the session again, as a reloaded page does, and check our acknowledged answers are in it."""
        session_id = self.session_id
        assert session_id is not None
        reply = await api.call("GET", f"/sessions/{session_id}/state", at, self.token)
        if not (reply.ok and isinstance(reply.body, dict)):
            self._failed("resume", reply)
            return
        question_ids = [q.question_id for q in self.questions]
        missing = self.ledger.missing_from(session_id, question_ids, _stored_answers(reply.body))
        if missing:
            self.notes["acknowledged answers missing on resume"] += missing

    async def _submit(self, api: Api, at: float) -> None:
        session_id = self.session_id
        assert session_id is not None
        reply = await api.call("POST", f"/sessions/{session_id}/submit", at, self.token)
        if reply.ok and isinstance(reply.body, dict):
            self.ledger.submitted[session_id] = str(reply.body.get("status"))
            self.finished = True
        else:
            self._failed("submit", reply)

    def _next_answer(self) -> tuple[Question, int]:
        """The first unanswered question; once all are answered, a changed answer to a random one."""
        for question in self.questions:
            if self.chosen.get(question.question_id) is None:
                return question, self.rng.randrange(question.options)
        question = self.rng.choice(self.questions)
        others = [i for i in range(question.options) if i != self.chosen.get(question.question_id)]
        return question, self.rng.choice(others or [0])

    def _failed(self, stage: str, reply: Reply, why: str | None = None) -> None:
        """Note the failure; forget what a 401 or 404 says is gone, so the next step starts over."""
        self.notes[f"{stage} failed: {why or reply.failure or f'HTTP {reply.status}'}"] += 1
        if reply.status == 401:
            self.token = None
            self.session_id = None
        elif reply.status in (404, 409) and stage != "login":
            self.session_id = None  # gone, or no longer ACTIVE (expired): join again


_ACTIONS = {Action.ANSWER: Student._answer, Action.RESUME: Student._resume, Action.SUBMIT: Student._submit}


async def play(plan: Sequence[Step], students: Sequence[Student], api: Api, started: float) -> None:
    """Start each step at its planned time (open loop), whatever the server is doing."""
    async with asyncio.TaskGroup() as group:
        for step in plan:  # bounded by the plan's length
            delay = started + step.at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            group.create_task(students[step.student].act(step, started + step.at, api))


def _stored_answers(state: dict[str, Any]) -> dict[str, int | None]:
    answers = state.get("answers") or []
    return {str(a["question_id"]): a.get("selected_index") for a in answers if isinstance(a, dict)}


def _json(job: Job) -> Any:
    if not job.body:
        return None
    try:
        return json.loads(job.body)
    except ValueError:
        return None
