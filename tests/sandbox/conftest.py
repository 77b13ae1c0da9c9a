"""Fixtures for the sandbox integration tests: the running sandbox and ways to talk to it.

The session fixture makes sure the sandbox is up (a no-op when every service is
already healthy). Tests must leave it as they found it: faults are injected
through `inject_fault`, which clears them even when the test fails, and tests
that walk the timeline restore the stage they found.

Students 201..260 are these tests' own; each test takes its own student from
`new_student` and creates its own session (the platform has no "my sessions" route).
The platform lets a student open a second ACTIVE session, which POST-INT-01 reports,
so every session these students leave open is handed in (at take and at the end).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uuid

import httpx
import pytest

from examday.sandbox import faults
from examday.sandbox.layout import API_HOST
from examday.sandbox.lifecycle import Sandbox, configured_ports
from examday.sandbox.stages import apply_stage
from examday.sandbox.startup import sandbox_up
from tests.sandbox.helpers import API_PREFIX, EMAIL_DOMAIN, OPERATOR_EMAIL, DockerPsql

HTTP_TIMEOUT_SECONDS = 15
# The seed's accounts for these tests alone (121..180 rehearsal, 181..199 simulated students,
# 200 the checks' canary).
TEST_STUDENTS = range(260, 200, -1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here) and item.get_closest_marker("sandbox") is None:
            raise pytest.UsageError(f"{item.nodeid}: every test in tests/sandbox must be marked sandbox")


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """The running sandbox; started (idempotently) only when something is not ready."""
    box = Sandbox.open()
    try:
        states = box.platform().states(box.expected_services())
    except Exception as exc:  # no engine: these tests cannot run here
        pytest.fail(f"the sandbox needs a Docker engine: {exc}", pytrace=False)
    if not all(s.ready for s in states):
        sandbox_up(box)
    stage_before, faults_before = box.state.stage(), set(box.state.faults())
    yield box
    # Safety net: a test that died between its stage change and its own restore.
    if box.state.stage() != stage_before:
        apply_stage(box, stage_before)
    leftover = set(box.state.faults()) - faults_before
    for name in leftover:
        faults.clear(box, name)


@pytest.fixture(scope="session")
def ports() -> dict[str, int]:
    return configured_ports()


@pytest.fixture(scope="session")
def credentials(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.state.credentials()


@pytest.fixture(scope="session")
def backend_http(sandbox: Sandbox, ports: dict[str, int]) -> Iterator[httpx.Client]:
    """The backend, direct (http://127.0.0.1:8000), paths under /v1 written out by tests."""
    with httpx.Client(base_url=f"http://127.0.0.1:{ports['EXAMDAY_PORT_BACKEND']}",
                      timeout=HTTP_TIMEOUT_SECONDS) as client:
        yield client


@pytest.fixture(scope="session")
def proxy_http(sandbox: Sandbox, ports: dict[str, int]) -> Iterator[httpx.Client]:
    """The API through Caddy (under /api, as the platform's host Caddy routes it): TLS verified
    against the sandbox CA, SNI and Host api.exam.localhost.

    Python's resolver does not resolve *.localhost, so it connects to 127.0.0.1
    and names the host in SNI (checked against the certificate) and Host.
    """
    context = ssl.create_default_context(cafile=str(sandbox.paths.ca_bundle))

    def sni(request: httpx.Request) -> None:
        request.extensions["sni_hostname"] = API_HOST

    with httpx.Client(base_url=f"https://127.0.0.1:{ports['EXAMDAY_PORT_HTTPS']}/api", verify=context,
                      headers={"Host": API_HOST}, event_hooks={"request": [sni]},
                      timeout=HTTP_TIMEOUT_SECONDS) as client:
        yield client


@pytest.fixture(scope="session")
def db(sandbox: Sandbox) -> DockerPsql:
    """Read-only SQL for asserting on rows (through docker exec: PostgreSQL is not published)."""
    return DockerPsql()


@pytest.fixture(scope="session")
def new_student(db: DockerPsql, login_reply: Callable[..., httpx.Response],
                backend_http: httpx.Client) -> Iterator[Callable[[], str]]:
    """A student email no other test in this run uses, with no ACTIVE session."""
    numbers, taken = iter(TEST_STUDENTS), []

    def take() -> str:
        email = f"student{next(numbers):03d}@{EMAIL_DOMAIN}"
        hand_in_open_sessions(email, db, login_reply, backend_http)  # left by an earlier run
        taken.append(email)
        return email

    yield take
    for email in taken:
        hand_in_open_sessions(email, db, login_reply, backend_http)


def hand_in_open_sessions(email: str, db: DockerPsql, login_reply: Callable[..., httpx.Response],
                          backend_http: httpx.Client) -> None:
    """Submit the student's ACTIVE sessions, as the student would (the API, not SQL)."""
    open_ids = [row[0] for row in db.execute(
        "SELECT s.id FROM test_sessions s JOIN users u ON u.id = s.user_id "
        "WHERE u.email = %s AND s.status = 'ACTIVE'", (email,))]
    if not open_ids:
        return
    reply = login_reply(email)
    if reply.status_code != 200:  # e.g. a test that changed the password: nothing to hand in with
        return
    token = reply.json()["tokens"]["access_token"]
    for session_id in open_ids:
        backend_http.post(f"{API_PREFIX}/sessions/{session_id}/submit", headers={"Authorization": f"Bearer {token}"})


def client_address() -> str:
    """A distinct client address per login: the platform allows 5 logins a minute per address,
    and the sandbox's backend (like a careful deployment) trusts X-Forwarded-For."""
    n = uuid.uuid4().int
    return f"10.{200 + n % 50}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


@pytest.fixture(scope="session")
def login_reply(backend_http: httpx.Client, credentials: dict[str, Any]) -> Callable[..., httpx.Response]:
    def do_login(email: str, password: str | None = None, client: httpx.Client | None = None,
                 address: str | None = None) -> httpx.Response:
        return (client or backend_http).post(
            f"{API_PREFIX}/auth/login", json={"email": email, "password": password or credentials["student_password"]},
            headers={"X-Forwarded-For": address or client_address()})

    return do_login


@pytest.fixture(scope="session")
def login(login_reply: Callable[..., httpx.Response]) -> Callable[..., dict[str, str]]:
    """login(EMAIL[, PASSWORD]) -> the Authorization header (the students' password by default)."""

    def do_login(email: str, password: str | None = None, client: httpx.Client | None = None) -> dict[str, str]:
        reply = login_reply(email, password, client)
        assert reply.status_code == 200, f"login {email}: {reply.status_code} {reply.text}"
        return {"Authorization": f"Bearer {reply.json()['tokens']['access_token']}"}

    return do_login


@pytest.fixture(scope="session")
def operator(login: Callable[..., dict[str, str]], credentials: dict[str, Any]) -> dict[str, str]:
    return login(OPERATOR_EMAIL, credentials["operator_password"])


@pytest.fixture
def inject_fault(sandbox: Sandbox) -> Iterator[Callable[[str], Any]]:
    """inject_fault(NAME) is a context manager: the fault is active inside and cleared after,
    even when the test fails. Skips when NAME was already active before the test."""
    injected: list[str] = []

    @contextmanager
    def active(name: str) -> Iterator[dict[str, Any]]:
        if name in sandbox.state.faults():
            pytest.skip(f"fault {name} was already active before this test; not touching it")
        faults.inject(sandbox, name)
        injected.append(name)
        try:
            yield sandbox.state.faults()[name].get("undo", {})
        finally:
            if name in sandbox.state.faults():
                faults.clear(sandbox, name)
            injected.remove(name)

    yield active
    for name in injected:  # only if the context manager was never exited
        if name in sandbox.state.faults():
            faults.clear(sandbox, name)
