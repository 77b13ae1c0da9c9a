"""Simulated students answering during a live exam: `python -m app.simulate`.

Not part of the platform: the sandbox's `students` service runs it while the
runbook's timeline is at the `during` stage, so that the checks of a live exam
see real traffic (sessions created and resumed, answers saved, submits).

Each simulated student logs in, creates (or resumes) a session for exam
MED-2026-A or MED-2026-B, answers the questions it has not answered yet with
some think time, now and then resumes through GET .../state, and submits when
done; then the next student takes its place. Answer requests are paced so the
whole simulation sends a steady SIMULATE_RATE_PER_SECOND of them.

Only what the platform promises is used, so no integrity invariant can break
because of it: one request at a time per student (an answer never races the
submit of its own session), never a null choice (that would clear a saved
answer), retries only of idempotent requests. On every resume it checks that
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
    SIMULATE_EXAMS             exam codes to pick from (MED-2026-A,MED-2026-B)
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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import FrameType
from typing import Any

PROGRESS_INTERVAL_SECONDS = 10.0
REQUEST_TIMEOUT_SECONDS = 5.0
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
    exams: tuple[str, ...]

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
        exams = tuple(c.strip() for c in env.get("SIMULATE_EXAMS", "MED-2026-A,MED-2026-B").split(",") if c.strip())
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
            exams=exams or ("MED-2026-A",),
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
    """Students in turn (first..last, cycling), never one student in two threads."""

    def __init__(self, first: int, last: int) -> None:
        self.numbers = list(range(first, last + 1))
        self.position = random.randrange(len(self.numbers))
        self.busy: set[int] = set()
        self.lock = threading.Lock()

    def take(self) -> int:
        with self.lock:
            for _ in range(len(self.numbers)):
                number = self.numbers[self.position]
                self.position = (self.position + 1) % len(self.numbers)
                if number not in self.busy:
                    self.busy.add(number)
                    return number
        raise RuntimeError("more simulated students than accounts")  # prevented by Config

    def release(self, number: int) -> None:
        with self.lock:
            self.busy.discard(number)


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
             retry: bool = True) -> Response:
        """One request; network errors and 5xx are retried (only ever for idempotent calls)."""
        attempts = RETRIES if retry else 1
        for attempt in range(1, attempts + 1):
            if self.stop.is_set():
                raise Stopped()
            response = self._once(method, path, body, token)
            if response is not None and response.status < 500:
                return response
            if attempt < attempts and self.stop.wait(0.5 * 2 ** attempt):
                raise Stopped()
        if response is None:
            raise ConnectionError(f"{method} {path}: no answer after {attempts} attempts")
        return response

    def _once(self, method: str, path: str, body: Any, token: str | None) -> Response | None:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", "User-Agent": "examday-sandbox-students"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url(path), data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as reply:
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
    """One simulated student's visit: login, session, answers, submit."""

    def __init__(self, number: int, sim: "Simulation") -> None:
        self.username = f"student{number:03d}"
        self.sim = sim
        self.api = sim.api
        self.token: str | None = None
        self.acknowledged: dict[str, int] = {}  # question_id -> choice the API confirmed with a 2xx

    def run(self) -> None:
        if not self.login():
            return
        exam_code = random.choice(self.sim.config.exams)
        exam_id = self.sim.exam_id(exam_code, self.token)
        if exam_id is None:
            return
        created = self.api.call("POST", "/sessions", {"exam_id": exam_id, "mode": "EXAM"}, self.token)
        if created.status not in (200, 201):
            self.sim.stats.add("session_failures")
            return
        session_id = created.body["id"]
        self.sim.stats.add("sessions_created" if created.status == 201 else "sessions_resumed")
        state = self.state(session_id)
        if state is None or state["session"]["status"] != "ACTIVE":
            return
        for answer in state["answers"]:
            if answer["selected_index"] is not None:
                self.acknowledged[answer["question_id"]] = answer["selected_index"]
        try:
            for question in state["questions"]:
                if question["question_id"] in self.acknowledged:
                    continue
                self.think()
                self.sim.take_answer_slot()
                self.answer(session_id, question)
                if random.random() < RESUME_PROBABILITY:
                    self.resume(session_id)
        except SessionClosed:
            self.sim.stats.add("sessions_closed_before_submit")
            return
        self.submit(session_id)

    def login(self) -> bool:
        credentials = {"username": self.username, "password": self.sim.config.password}
        reply = self.api.call("POST", "/auth/login", credentials)
        if reply.status == 200:
            self.token = reply.body["access_token"]
            self.sim.stats.add("logins")
            return True
        self.sim.stats.add("login_failures")
        if reply.status == 429:
            wait = float(reply.headers.get("retry-after", "5") or 5)
            if self.sim.stop.wait(min(wait, 10)):
                raise Stopped()
        elif reply.status == 401:
            log("simulate.login_rejected", "warning", username=self.username,
                hint="is SIMULATE_PASSWORD the seeded students' password?")
            if self.sim.stop.wait(5):
                raise Stopped()
        return False

    def state(self, session_id: str) -> dict[str, Any] | None:
        reply = self.api.call("GET", f"/sessions/{session_id}/state", token=self.token)
        return reply.body if reply.status == 200 else None

    def think(self) -> None:
        mean = self.sim.config.think_seconds
        if mean > 0 and self.sim.stop.wait(random.uniform(0.5 * mean, 1.5 * mean)):
            raise Stopped()

    def answer(self, session_id: str, question: dict[str, Any]) -> None:
        choice = random.randrange(len(question["options"]))
        body = {"question_id": question["question_id"], "selected_index": choice,
                "client_ts": datetime.now(timezone.utc).isoformat()}
        # An upsert keyed on (session, question): safe to repeat after a lost reply.
        reply = self.api.call("POST", f"/sessions/{session_id}/answers", body, self.token)
        if reply.status == 200:
            self.acknowledged[question["question_id"]] = choice
            self.sim.stats.add("answers_saved")
        elif reply.status in (401, 404, 409):
            raise SessionClosed()
        else:
            self.sim.stats.add("answers_rejected")

    def resume(self, session_id: str) -> None:
        """What a reconnecting browser does; also proves no acknowledged answer went missing."""
        state = self.state(session_id)
        if state is None:
            return
        self.sim.stats.add("resumes")
        saved = {a["question_id"]: a["selected_index"] for a in state["answers"]}
        missing = [q for q, choice in self.acknowledged.items() if saved.get(q) != choice]
        if missing:
            self.sim.stats.add("answers_missing", len(missing))
            log("simulate.answer_missing", "error", username=self.username, session_id=session_id,
                missing=len(missing), acknowledged=len(self.acknowledged))

    def submit(self, session_id: str) -> None:
        self.resume(session_id)  # a last look before handing in
        reply = self.api.call("POST", f"/sessions/{session_id}/submit", token=self.token)
        if reply.status == 200:
            self.sim.stats.add("submitted" if reply.body.get("status") == "SUBMITTED" else "expired_at_submit")
        else:
            self.sim.stats.add("submit_failures")


class Simulation:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.stop = threading.Event()  # a signal: stop everything now
        self.done = threading.Event()  # the load bound is reached: students stop sending
        self.stats = Stats()
        self.api = Api(config, self.stats, self.stop)
        self.pacer = Pacer(config.rate_per_second, self.stop)
        self.roster = Roster(config.first_student, config.last_student)
        self.exams: dict[str, str] = {}
        self.exams_lock = threading.Lock()
        self.started = time.monotonic()

    # -- shared by the students ------------------------------------------------------
    def exam_id(self, code: str, token: str | None) -> str | None:
        with self.exams_lock:
            if code not in self.exams:
                reply = self.api.call("GET", "/exams", token=token)
                if reply.status != 200:
                    return None
                self.exams.update({e["code"]: e["id"] for e in reply.body})
                unknown = [c for c in self.config.exams if c not in self.exams]
                if unknown:
                    log("simulate.unknown_exam", "error", codes=unknown, known=sorted(self.exams))
            return self.exams.get(code)

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
            concurrency=config.concurrency, exams=list(config.exams), duration_seconds=config.duration_seconds,
            max_answers=config.max_answers)
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
