"""FakePlatform: the sessions API in memory, over real HTTP(S) on loopback, for the student tests.

A fake, and named so. It stands in for what the real backend cannot be made to
do on demand: fail every n-th answer, forget every token mid-run, answer with a
body of the wrong shape, and count each request it got. The students against
the real sandbox are tested by the drills (tests/checks/test_rehearsal_on_sandbox.py),
which reconcile every acknowledged answer with PostgreSQL. It answers the
paths and bodies of the real platform (docs/platform.md, "HTTP surface"; [flow]'s
defaults) and keeps what it stored where a test can read it.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fixtures.network_servers import (
    CannedApiHandler,
    IssuedCertificate,
    _QuietServer,
    _Running,
    _server_context,
    _TlsServer,
)

QUESTIONS = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 6)]
CHOICES = 5  # selected_index 0..4


@dataclass
class FakePlatform:
    passwords: dict[str, str]
    fail_every_nth_answer: int = 0
    questions_without_ids: bool = False  # a body of another shape than the API promises
    tokens: dict[str, str] = field(default_factory=dict)  # token -> username
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    stored: dict[tuple[str, str], int | None] = field(default_factory=dict)  # (session, question) -> value
    requests: list[tuple[str, str]] = field(default_factory=list)  # (username, "POST /v1/sessions/{id}/answer")
    lock: threading.Lock = field(default_factory=threading.Lock)
    _answers_seen: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def forget_tokens(self) -> None:
        """What a restart with a fresh token store does: every student gets a 401 next."""
        with self.lock:
            self.tokens.clear()

    def handle(self, method: str, path: str, token: str | None, body: Any) -> tuple[int, Any]:
        with self.lock:
            user = self.tokens.get(token or "")
            request = f"{method} {re.sub(r'[0-9a-f-]{36}', '{id}', path)}"
            self.requests.append((user or body.get("email") or "?", request))
            if (method, path) == ("POST", "/v1/auth/login"):
                return self._login(body)
            if user is None:
                return 401, {"detail": "invalid token"}
            return self._route(method, path, user, body)

    def requests_of(self, username: str) -> list[str]:
        return [request for user, request in self.requests if user == username]

    def count(self, request: str) -> int:
        return sum(seen == request for _, seen in self.requests)

    def _login(self, body: Any) -> tuple[int, Any]:
        if self.passwords.get(body.get("email")) != body.get("password"):
            return 401, {"detail": "invalid credentials"}
        token = uuid.uuid4().hex
        self.tokens[token] = body["email"]
        return 200, {"user": {"id": body["email"], "email": body["email"], "role": "STUDENT"},
                     "tokens": {"access_token": token, "refresh_token": uuid.uuid4().hex, "token_type": "bearer"},
                     "mfa_required": False}

    def _route(self, method: str, path: str, user: str, body: Any) -> tuple[int, Any]:
        if (method, path) == ("POST", "/v1/sessions"):
            return self._create(user, body)
        match = re.fullmatch(r"/v1/sessions/([^/]+)(/answer|/submit)?", path)
        session = self.sessions.get(match.group(1)) if match else None
        if session is None or session["user"] != user:
            return 404, {"detail": "session not found"}
        action = {None: "_view", "/answer": "_answer", "/submit": "_submit"}[match.group(2)]  # type: ignore[union-attr]
        return getattr(self, action)(session, body)

    def _create(self, user: str, body: Any) -> tuple[int, Any]:
        # No resume by create and no "my sessions" route on the platform: every create is a new session.
        if body.get("mode") not in ("EXAM", "TUTOR") or not isinstance(body.get("count"), int):
            return 422, {"detail": "bad session body"}
        session = {"session_id": str(uuid.uuid4()), "user": user, "mode": body["mode"], "status": "ACTIVE",
                   "total_questions": len(QUESTIONS)}
        self.sessions[session["session_id"]] = session
        return 201, _public(session)

    def _view(self, session: dict[str, Any], _: Any) -> tuple[int, Any]:
        questions = [{"position": p, "question_id": q, "has_answer": (session["session_id"], q) in self.stored,
                      "marked_for_review": False} for p, q in enumerate(QUESTIONS, 1)]
        if self.questions_without_ids:
            questions = [{k: v for k, v in q.items() if k != "question_id"} for q in questions]
        return 200, {"session": _public(session), "progress": {}, "questions": questions, "current_question": 1}

    def _answer(self, session: dict[str, Any], body: Any) -> tuple[int, Any]:
        if self.fail_every_nth_answer and next(self._answers_seen) % self.fail_every_nth_answer == 0:
            return 503, {"detail": "injected failure"}
        if session["status"] != "ACTIVE":
            return 409, {"detail": f"session is {session['status']}"}
        value = body.get("selected_index")
        if body.get("question_id") not in QUESTIONS or not (value is None or 0 <= value < CHOICES):
            return 422, {"detail": "bad answer"}
        self.stored[(session["session_id"], body["question_id"])] = value
        return 200, {"answer": {"question_id": body["question_id"], "selected_index": value}, "progress": {}}

    def _submit(self, session: dict[str, Any], _: Any) -> tuple[int, Any]:
        session["status"] = "SUBMITTED"  # idempotent: a repeated submit returns the same result
        return 200, {"session_id": session["session_id"], "status": "SUBMITTED"}


def _public(session: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in session.items() if key != "user"}


class FakePlatformHandler(CannedApiHandler):
    """The platform's response headers and keep-alive come from the canned API's handler."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if method == "POST" and self.headers.get("Content-Type") != "application/json":
            self._send_json({"detail": "expected application/json"}, status=415)
            return
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        status, reply = self.server.platform.handle(method, self.path, token, json.loads(raw) if raw else {})  # type: ignore[attr-defined]
        self._send_json(reply, status=status)


@contextmanager
def running(platform: FakePlatform, certificate: IssuedCertificate | None = None) -> Iterator[int]:
    """Serve ``platform`` on 127.0.0.1 (over TLS with ``certificate``); yields the port."""
    if certificate is None:
        server: _QuietServer = _QuietServer(("127.0.0.1", 0), FakePlatformHandler)
    else:
        server = _TlsServer(_server_context(certificate))
        server.RequestHandlerClass = FakePlatformHandler
    server.platform = platform  # type: ignore[attr-defined]
    servers = _Running()
    try:
        yield servers.start(server)
    finally:
        servers.stop()
