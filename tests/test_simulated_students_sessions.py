"""The sandbox's simulated students never leave one student with two ACTIVE sessions.

The platform lets a student open a second ACTIVE session, so a create whose answer never
came must keep that student out of the simulation, across restarts of the students too
(a lock held by a fault commits the session after the client gave up). Run against a
small local HTTP server standing in for the platform's session routes.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

SIMULATE = Path(__file__).resolve().parents[1] / "sandbox" / "backend" / "app" / "simulate.py"


@pytest.fixture(scope="module")
def simulate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sandbox_simulate", SIMULATE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class FakePlatform(BaseHTTPRequestHandler):
    """Answers login, and POST /v1/sessions as `create_reply` says: ("hang", s), or (status, body)."""

    create_reply: tuple[object, object] = (201, {"session_id": "s-1"})
    creates = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/v1/auth/login":
            self.reply(200, {"tokens": {"access_token": "t"}})
        elif self.path == "/v1/sessions":
            type(self).creates += 1
            status, body = self.create_reply
            if status == "hang":
                time.sleep(float(body))  # type: ignore[arg-type]
                return
            self.reply(int(status), body)  # type: ignore[arg-type]
        else:
            self.reply(404, {"error": {"code": "NOT_FOUND"}})

    def reply(self, status: int, body: object) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def platform() -> Iterator[str]:
    FakePlatform.creates = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePlatform)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def simulation(simulate: ModuleType, base_url: str, sessions_file: Path,
               monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("SIMULATE_SESSIONS_FILE", str(sessions_file))
    config = simulate.Config.from_env({"SIMULATE_BASE_URL": base_url, "SIMULATE_PASSWORD": "pw",
                                       "SIMULATE_FIRST_STUDENT": "181", "SIMULATE_LAST_STUDENT": "182"})
    return simulate.Simulation(config)


def create_for(simulate: ModuleType, sim: object, number: int) -> str | None:
    student = simulate.Student(number, sim)
    assert student.login()
    return student.create()


def test_an_unanswered_create_keeps_the_student_out_even_after_a_restart(
        simulate: ModuleType, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulate, "CREATE_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(FakePlatform, "create_reply", ("hang", 1.0))
    sessions_file = tmp_path / "sessions.json"
    sim = simulation(simulate, platform, sessions_file, monkeypatch)
    sim.roster.take(), sim.roster.take()  # both busy: the roster has nobody else to give

    assert create_for(simulate, sim, 181) is None
    assert json.loads(sessions_file.read_text()) == {"181": "in-doubt"}
    sim.roster.release(181), sim.roster.release(182)
    assert {sim.roster.take(), sim.roster.take()} == {182, None}

    restarted = simulation(simulate, platform, sessions_file, monkeypatch)
    assert restarted.sessions.get(181) is None  # "in doubt" is no session id to resume
    assert {restarted.roster.take(), restarted.roster.take()} == {182, None}


def test_a_created_session_is_kept_and_forgotten_once_handed_in(
        simulate: ModuleType, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sessions_file = tmp_path / "sessions.json"
    sim = simulation(simulate, platform, sessions_file, monkeypatch)
    assert create_for(simulate, sim, 182) == "s-1"
    assert json.loads(sessions_file.read_text()) == {"182": "s-1"}
    assert simulation(simulate, platform, sessions_file, monkeypatch).sessions.get(182) == "s-1"

    sim.sessions.forget(182)
    assert json.loads(sessions_file.read_text()) == {}


def test_a_refused_create_is_not_in_doubt_and_is_not_retried(
        simulate: ModuleType, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakePlatform, "create_reply", (422, {"error": {"code": "VALIDATION_ERROR"}}))
    sessions_file = tmp_path / "sessions.json"
    sim = simulation(simulate, platform, sessions_file, monkeypatch)
    assert create_for(simulate, sim, 181) is None
    assert FakePlatform.creates == 1  # never a retried create
    assert json.loads(sessions_file.read_text()) == {}
    assert sim.sessions.in_doubt() == set()
