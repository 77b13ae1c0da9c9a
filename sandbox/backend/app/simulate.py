"""Simulated students answering during a live exam: `python -m app.simulate`.

Not part of the platform: the sandbox's `students` service runs it while the
runbook's timeline is at the `during` stage, so that the checks of a live exam
see real traffic (sessions created and resumed, answers saved, submits).

Each simulated student signs in by email (POST /auth/login), creates a session
({mode: EXAM, year: 1, blocks: [A, B], count: 20}: the platform has no exam code and
no "my sessions" route, so the simulation keeps each student's session_id in memory
and resumes it with GET /sessions/{id}), answers the questions it has not answered
yet with some think time (POST /answer), now and then resumes through GET /{id} and
GET /{id}/state, and submits when done; then the next student takes its place.
Each student sends its own X-Forwarded-For address (10.77.x.y), as students behind
the proxy would have: the platform limits logins to 5 a minute per client address,
and only a backend that trusts forwarded headers tells them apart. Answer requests are paced so the
whole simulation sends a steady SIMULATE_RATE_PER_SECOND of them.

Only what the platform promises is used, so no integrity invariant can break
because of it: one request at a time per student (an answer never races the
submit of its own session), never a null choice (that would clear a saved
answer), retries only of idempotent requests, and never a second session for a student whose
create went unanswered (the platform would let it open two ACTIVE ones: such a student is
kept "in doubt" and not simulated again until the sandbox's volumes go). On every resume it checks that
each answer the API acknowledged (2xx) is still there, and logs
`simulate.answer_missing` at error level if one is not.

Stdlib only. Progress goes to stdout as JSON lines (`simulate.progress` every
~10 s with request counts by HTTP status). SIGTERM or SIGINT stops it within a
few seconds. The load is bounded: after SIMULATE_DURATION_SECONDS (or
SIMULATE_MAX_ANSWERS answers) it stops sending and idles until stopped, so the
container stays up as the stage expects.

Environment:
    SIMULATE_BASE_URL          http://exam_platform_backend:8000
    SIMULATE_API_PREFIX        /v1
    SIMULATE_RATE_PER_SECOND   answers per second, all students together (4)
    SIMULATE_PASSWORD          the seeded students' password (required)
    SIMULATE_FIRST_STUDENT     121
    SIMULATE_LAST_STUDENT      199
    SIMULATE_CONCURRENCY       students answering at once (default: enough for the rate, at most 16)
    SIMULATE_THINK_SECONDS     mean think time between one student's answers (3)
    SIMULATE_DURATION_SECONDS  stop sending after this long (21600, six hours)
    SIMULATE_MAX_ANSWERS       stop sending after this many answers (0: no count limit)
    SIMULATE_EMAIL_DOMAIN      studentNNN@<this> (exam.localhost)
    SIMULATE_MODE, SIMULATE_YEAR, SIMULATE_BLOCKS, SIMULATE_COUNT   the session asked for (EXAM, 1, A,B, 20)
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from datetime import datetime, timezone
from types import FrameType
from typing import Any

PROGRESS_INTERVAL_SECONDS = 10.0
REQUEST_TIMEOUT_SECONDS = 5.0
CREATE_TIMEOUT_SECONDS = 120.0  # longer than any lock or pool wait the sandbox's faults hold
RETRIES = 3  # per idempotent request, on network errors and 5xx
RESUME_PROBABILITY = 0.05
MAX_CONCURRENCY = 16


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Config:
    base_url: str
    api_prefix: str
    rate_per_second: float
    password: str
    first_student: int
    last_student: int
    concurrency: int
    think_seconds: float
    duration_seconds: float
    max_answers: int
    email_domain: str
    session_request: dict[str, Any]

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "Config":
        def number(name: str, default: str, kind: type = int) -> Any:
            raw = env.get(name, "").strip() or default
            try:
                return kind(raw)
            except ValueError as exc:
                raise ConfigError(f"{name} must be a number, got {raw!r}") from exc

        password = env.get("SIMULATE_PASSWORD", "")
        if not password:
            raise ConfigError("SIMULATE_PASSWORD is required (the seeded students' password)")
        rate = number("SIMULATE_RATE_PER_SECOND", "4", float)
        if not 0 < rate <= 1000:
            raise ConfigError(f"SIMULATE_RATE_PER_SECOND must be in (0, 1000], got {rate}")
        first, last = number("SIMULATE_FIRST_STUDENT", "121"), number("SIMULATE_LAST_STUDENT", "199")
        if not 1 <= first <= last:
            raise ConfigError(f"need 1 <= SIMULATE_FIRST_STUDENT <= SIMULATE_LAST_STUDENT, got {first}..{last}")
        think = max(0.0, number("SIMULATE_THINK_SECONDS", "3", float))
        # Little's law: students needed so that their think time does not cap the rate.
        wanted = math.ceil(rate * (think + 0.2)) + 1
        concurrency = number("SIMULATE_CONCURRENCY", str(min(MAX_CONCURRENCY, wanted)))
        concurrency = max(1, min(concurrency, last - first + 1))
        blocks = [b.strip() for b in env.get("SIMULATE_BLOCKS", "A,B").split(",") if b.strip()] or ["A"]
        session_request = {"mode": env.get("SIMULATE_MODE", "EXAM").strip() or "EXAM",
                           "year": number("SIMULATE_YEAR", "1"), "blocks": blocks,
                           "count": number("SIMULATE_COUNT", "20")}
        return cls(
            base_url=env.get("SIMULATE_BASE_URL", "http://exam_platform_backend:8000").rstrip("/"),
            api_prefix="/" + env.get("SIMULATE_API_PREFIX", "/v1").strip("/"),
            rate_per_second=rate,
            password=password,
            first_student=first,
            last_student=last,
            concurrency=concurrency,
            think_seconds=think,
            duration_seconds=max(1.0, number("SIMULATE_DURATION_SECONDS", "21600", float)),
            max_answers=max(0, number("SIMULATE_MAX_ANSWERS", "0")),
            email_domain=env.get("SIMULATE_EMAIL_DOMAIN", "exam.localhost").strip() or "exam.localhost",
            session_request=session_request,
        )


def log(event: str, level: str = "info", **fields: Any) -> None:
    """One JSON object per line, keys ordered like the platform's own logs."""
    record = {**fields, "event": event, "level": level,
              "timestamp": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")}
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


class Stopped(Exception):
    """The simulation is stopping (signal or load bound reached)."""


class SessionClosed(Exception):
    """This visit cannot go on: the session is no longer ACTIVE (409: expired or already
    submitted), or the token or session is no longer accepted (401, 404)."""


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    by_status: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)

    def status(self, status: int | str) -> None:
        with self.lock:
            self.by_status[str(status)] += 1

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n

    def get(self, name: str) -> int:
        with self.lock:
            return self.counts[name]

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"by_status": dict(sorted(self.by_status.items())), **dict(sorted(self.counts.items()))}


class Pacer:
    """Hands out answer slots 1/rate apart across all students: a steady overall rate."""

    def __init__(self, rate_per_second: float, stop: threading.Event) -> None:
        self.interval = 1.0 / rate_per_second
        self.stop = stop
        self.lock = threading.Lock()
        self.next_slot = time.monotonic()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            # No burst to catch up after an idle spell: at most one slot of credit.
            slot = max(self.next_slot, now - self.interval)
            self.next_slot = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0 and self.stop.wait(delay):
            raise Stopped()


class Roster:
    """Students in turn (first..last, cycling), never one student in two threads, and never a
    retired one again (a student whose new session may exist unseen)."""

    def __init__(self, first: int, last: int, retired: Iterable[int] = ()) -> None:
        self.numbers = list(range(first, last + 1))
        self.position = random.randrange(len(self.numbers))
        self.busy: set[int] = set()
        self.retired: set[int] = set(retired)
        self.lock = threading.Lock()

    def take(self) -> int | None:
        """The next free student; None when every one is busy or retired."""
        with self.lock:
            for _ in range(len(self.numbers)):
                number = self.numbers[self.position]
                self.position = (self.position + 1) % len(self.numbers)
                if number not in self.busy and number not in self.retired:
                    self.busy.add(number)
                    return number
        return None

    def release(self, number: int) -> None:
        with self.lock:
            self.busy.discard(number)

    def retire(self, number: int) -> None:
        with self.lock:
            self.retired.add(number)


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]  # names lower-cased


class Api:
    def __init__(self, config: Config, stats: Stats, stop: threading.Event) -> None:
        self.config, self.stats, self.stop = config, stats, stop

    def url(self, path: str) -> str:
        return f"{self.config.base_url}{self.config.api_prefix}{path}"

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             retry: bool = True, address: str | None = None,
             timeout: float = REQUEST_TIMEOUT_SECONDS) -> Response:
        """One request; network errors and 5xx are retried (only ever for idempotent calls)."""
        attempts = RETRIES if retry else 1
        for attempt in range(1, attempts + 1):
            if self.stop.is_set():
                raise Stopped()
            response = self._once(method, path, body, token, address, timeout)
            if response is not None and response.status < 500:
                return response
            if attempt < attempts and self.stop.wait(0.5 * 2 ** attempt):
                raise Stopped()
        if response is None:
            raise ConnectionError(f"{method} {path}: no answer after {attempts} attempts")
        return response

    def _once(self, method: str, path: str, body: Any, token: str | None,
              address: str | None, timeout: float) -> Response | None:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", "User-Agent": "examday-sandbox-students"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if address:
            headers["X-Forwarded-For"] = address
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url(path), data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                status, raw, reply_headers = reply.status, reply.read(), reply.headers
        except urllib.error.HTTPError as exc:
            status, raw, reply_headers = exc.code, exc.read(), exc.headers or {}
        except (OSError, ValueError) as exc:  # URLError, timeouts, resets, bad status lines
            self.stats.status("error")
            self.stats.add("network_errors")
            if self.stats.get("network_errors") % 50 == 1:
                log("simulate.request_failed", "warning", method=method, path=path.split("/")[1],
                    reason=f"{type(exc).__name__}: {exc}"[:200])
            return None
        self.stats.status(status)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return Response(status, parsed, {k.lower(): v for k, v in reply_headers.items()})


class Student:
    """One simulated student's visit: login, session (new or kept from a visit before), answers, submit."""

    def __init__(self, number: int, sim: "Simulation") -> None:
        self.number = number
        self.email = f"student{number:03d}@{sim.config.email_domain}"
        self.sim = sim
        self.api = sim.api
        self.token: str | None = None
        self.client_address = f"10.77.{number // 250}.{number % 250 + 1}"
        self.acknowledged: dict[str, int] = {}  # question_id -> choice the API confirmed with a 2xx

    def run(self) -> None:
        if not self.login():
            return
        opened = self.open_session()
        if opened is None:
            return
        session_id, view = opened
        state = self.state(session_id)
        for answer in (state or {}).get("answers", []):
            if answer["selected_index"] is not None:
                self.acknowledged[answer["question_id"]] = answer["selected_index"]
        try:
            for question in view["questions"]:
                if question["question_id"] in self.acknowledged:
                    continue
                self.think()
                self.sim.take_answer_slot()
                self.answer(session_id, question)
                if random.random() < RESUME_PROBABILITY:
                    self.resume(session_id)
        except SessionClosed:
            self.sim.stats.add("sessions_closed_before_submit")
            self.sim.sessions.forget(self.number)
            return
        self.submit(session_id)

    def open_session(self) -> tuple[str, dict[str, Any]] | None:
        """The kept session if it is still ACTIVE, else a new one; None to come back later."""
        session_id = self.sim.sessions.get(self.number)
        if session_id:
            kept = self.api.call("GET", f"/sessions/{session_id}", token=self.token, address=self.client_address)
            if kept.status == 200 and kept.body["session"]["status"] == "ACTIVE":
                self.sim.stats.add("sessions_resumed")
                return session_id, kept.body
            if kept.status not in (200, 404):
                # The kept session may well still be ACTIVE: starting another now would leave this
                # student with two (the platform does not refuse it). Come back later instead.
                self.sim.stats.add("resume_failures")
                return None
        session_id = self.create()
        if session_id is None:
            return None
        view = self.view(session_id)
        return None if view is None else (session_id, view)

    def create(self) -> str | None:
        """A new session, its id kept. The platform lets a student open a second ACTIVE session,
        so a create whose outcome is unknown marks the student in doubt for good (written
        before the request is sent, so that a stop or a kill mid-request marks it too)."""
        self.sim.sessions.mark_in_doubt(self.number)
        try:
            # As long as a browser would wait: a lock or a full pool delays the commit, not the session.
            created = self.api.call("POST", "/sessions", self.sim.config.session_request, self.token,
                                    retry=False, address=self.client_address, timeout=CREATE_TIMEOUT_SECONDS)
        except ConnectionError:
            self.sim.stats.add("creates_in_doubt")
            self.sim.roster.retire(self.number)
            return None
        if created.status != 201:
            # An answer other than 201: the platform's create commits last, so nothing was made.
            self.sim.sessions.forget(self.number)
            self.sim.stats.add("session_failures")
            return None
        session_id = created.body["session_id"]
        self.sim.sessions[self.number] = session_id
        self.sim.stats.add("sessions_created")
        return session_id

    def login(self) -> bool:
        credentials = {"email": self.email, "password": self.sim.config.password}
        reply = self.api.call("POST", "/auth/login", credentials, address=self.client_address)
        if reply.status == 200:
            self.token = reply.body["tokens"]["access_token"]
            self.sim.stats.add("logins")
            return True
        self.sim.stats.add("login_failures")
        if reply.status == 429:
            wait = float(reply.headers.get("retry-after", "5") or 5)
            if self.sim.stop.wait(min(wait, 10)):
                raise Stopped()
        elif reply.status in (401, 403):
            log("simulate.login_rejected", "warning", email=self.email, status=reply.status,
                hint="is SIMULATE_PASSWORD the seeded students' password?")
            if self.sim.stop.wait(5):
                raise Stopped()
        return False

    def view(self, session_id: str) -> dict[str, Any] | None:
        reply = self.api.call("GET", f"/sessions/{session_id}", token=self.token, address=self.client_address)
        return reply.body if reply.status == 200 else None

    def state(self, session_id: str) -> dict[str, Any] | None:
        reply = self.api.call("GET", f"/sessions/{session_id}/state", token=self.token, address=self.client_address)
        return reply.body if reply.status == 200 else None

    def think(self) -> None:
        mean = self.sim.config.think_seconds
        if mean > 0 and self.sim.stop.wait(random.uniform(0.5 * mean, 1.5 * mean)):
            raise Stopped()

    def answer(self, session_id: str, question: dict[str, Any]) -> None:
        detail = self.api.call("GET", f"/sessions/{session_id}/question?index={question['position']}",
                               token=self.token, address=self.client_address)
        options = len(detail.body.get("options") or []) if detail.status == 200 and detail.body else 4
        choice = random.randrange(max(1, options))
        body = {"question_id": question["question_id"], "selected_index": choice}
        # An upsert keyed on (session, question): safe to repeat after a lost reply.
        reply = self.api.call("POST", f"/sessions/{session_id}/answer", body, self.token,
                              address=self.client_address)
        if reply.status == 200:
            self.acknowledged[question["question_id"]] = choice
            self.sim.stats.add("answers_saved")
        elif reply.status in (401, 404, 409):
            raise SessionClosed()
        else:
            self.sim.stats.add("answers_rejected")

    def resume(self, session_id: str) -> None:
        """What a reconnecting browser does; also proves no acknowledged answer went missing."""
        if self.view(session_id) is None:
            return
        state = self.state(session_id)
        if state is None:
            return
        self.sim.stats.add("resumes")
        saved = {a["question_id"]: a["selected_index"] for a in state["answers"]}
        missing = [q for q, choice in self.acknowledged.items() if saved.get(q) != choice]
        if missing:
            self.sim.stats.add("answers_missing", len(missing))
            log("simulate.answer_missing", "error", email=self.email, session_id=session_id,
                missing=len(missing), acknowledged=len(self.acknowledged))

    def submit(self, session_id: str) -> None:
        self.resume(session_id)  # a last look before handing in
        reply = self.api.call("POST", f"/sessions/{session_id}/submit", token=self.token,
                              address=self.client_address)
        if reply.status == 200:
            self.sim.sessions.forget(self.number)
            self.sim.stats.add("submitted" if reply.body.get("status") == "SUBMITTED" else "expired_at_submit")
        else:
            self.sim.stats.add("submit_failures")


class KeptSessions:
    """student number -> the id of its open session, or IN_DOUBT; written through to a JSON file
    that outlives the process (a restart of the students must resume, not start anew)."""

    IN_DOUBT = "in-doubt"  # a create was sent and its answer never came: a session may exist unseen

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._ids = {int(k): str(v) for k, v in json.loads(path.read_text()).items()}
        except (OSError, ValueError, AttributeError):
            self._ids = {}
        self._lock = threading.Lock()

    def get(self, number: int) -> str | None:
        with self._lock:
            kept = self._ids.get(number)
        return None if kept == self.IN_DOUBT else kept

    def in_doubt(self) -> set[int]:
        with self._lock:
            return {number for number, kept in self._ids.items() if kept == self.IN_DOUBT}

    def __setitem__(self, number: int, session_id: str) -> None:
        self._update(number, session_id)

    def mark_in_doubt(self, number: int) -> None:
        self._update(number, self.IN_DOUBT)

    def forget(self, number: int) -> None:
        self._update(number, None)

    def _update(self, number: int, kept: str | None) -> None:
        with self._lock:
            if kept is None:
                self._ids.pop(number, None)
            else:
                self._ids[number] = kept
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                temporary = self.path.with_suffix(".tmp")
                temporary.write_text(json.dumps(self._ids))
                temporary.replace(self.path)
            except OSError as error:  # an unwritable folder costs resuming after a restart, not the run
                log("simulate.sessions_not_kept", "warning", error=str(error))


class Simulation:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.stop = threading.Event()  # a signal: stop everything now
        self.done = threading.Event()  # the load bound is reached: students stop sending
        self.stats = Stats()
        self.api = Api(config, self.stats, self.stop)
        self.pacer = Pacer(config.rate_per_second, self.stop)
        # No route lists a student's sessions, so their ids are kept in a file.
        self.sessions = KeptSessions(Path(os.environ.get("SIMULATE_SESSIONS_FILE", "/var/lib/simulate/sessions.json")))
        self.roster = Roster(config.first_student, config.last_student, retired=self.sessions.in_doubt())
        self.started = time.monotonic()

    # -- shared by the students ------------------------------------------------------
    def take_answer_slot(self) -> None:
        if self.bound_reached():
            raise Stopped()
        self.pacer.wait()

    def bound_reached(self) -> bool:
        if self.done.is_set():
            return True
        over_time = time.monotonic() - self.started >= self.config.duration_seconds
        over_count = 0 < self.config.max_answers <= self.stats.get("answers_saved")
        if over_time or over_count:
            self.done.set()
        return self.done.is_set()

    # -- threads -------------------------------------------------------------------------
    def student_loop(self) -> None:
        while not self.stop.is_set() and not self.bound_reached():
            number = self.roster.take()
            if number is None:  # every student busy or retired: wait for one
                if self.stop.wait(1):
                    return
                continue
            try:
                Student(number, self).run()
            except Stopped:
                return
            except Exception as exc:  # one student's surprise must not end the simulation
                self.stats.add("student_errors")
                log("simulate.student_error", "warning", reason=f"{type(exc).__name__}: {exc}"[:200])
                if self.stop.wait(1):
                    return
            finally:
                self.roster.release(number)

    def wait_for_backend(self) -> bool:
        """Until /health answers (the backend may still be starting); False if stopped first."""
        url = f"{self.config.base_url}/health"
        delay = 0.5
        while not self.stop.is_set():
            try:
                with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_SECONDS) as reply:
                    if reply.status == 200:
                        return True
            except (OSError, ValueError):
                pass
            if self.stop.wait(delay):
                break
            delay = min(delay * 2, 5)
        return False

    def progress(self, event: str = "simulate.progress") -> None:
        log(event, elapsed_s=round(time.monotonic() - self.started, 1), **self.stats.snapshot())

    def run(self) -> int:
        config = self.config
        log("simulate.start", base_url=config.base_url, api_prefix=config.api_prefix,
            rate_per_second=config.rate_per_second, students=f"{config.first_student}..{config.last_student}",
            concurrency=config.concurrency, session_request=config.session_request, duration_seconds=config.duration_seconds,
            max_answers=config.max_answers, students_in_doubt=sorted(self.sessions.in_doubt()))
        if not self.wait_for_backend():
            log("simulate.stopped", reason="signal before the backend answered")
            return 0
        self.started = time.monotonic()
        threads = [threading.Thread(target=self.student_loop, name=f"student-{n}", daemon=True)
                   for n in range(config.concurrency)]
        for thread in threads:
            thread.start()
        finished_logged = False
        while not self.stop.wait(PROGRESS_INTERVAL_SECONDS):
            self.progress()
            if self.bound_reached() and not finished_logged and not any(t.is_alive() for t in threads):
                # Keep running (idle) so the container stays up for the rest of the stage.
                self.progress("simulate.finished")
                finished_logged = True
        # Requests in flight end within their timeout; daemon threads do not hold the exit.
        deadline = time.monotonic() + REQUEST_TIMEOUT_SECONDS + 1
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.progress("simulate.stopped")
        return 0


def main() -> int:
    try:
        config = Config.from_env(dict(os.environ))
    except ConfigError as exc:
        log("simulate.config_error", "error", reason=str(exc))
        return 2
    simulation = Simulation(config)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log("simulate.stopping", signal=signal.Signals(signum).name)
        simulation.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return simulation.run()


if __name__ == "__main__":
    sys.exit(main())
