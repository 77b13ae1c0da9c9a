"""Fixtures for the sandbox integration tests: the running sandbox and ways to talk to it.

The session fixture makes sure the sandbox is up (a no-op when every service is
already healthy). Tests must leave it as they found it: faults are injected
through `inject_fault`, which clears them even when the test fails, and tests
that walk the timeline restore the stage they found.

Students 121..200 start with no session; sessions resume per user and exam, so
each test takes its own student from `new_student` and copes with a session
left ACTIVE by an earlier run (or by the simulated students, which use 121..199).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest

from examday.sandbox import faults
from examday.sandbox.layout import API_HOST
from examday.sandbox.lifecycle import Sandbox, configured_ports
from examday.sandbox.stages import apply_stage
from tests.sandbox.helpers import API_PREFIX

HTTP_TIMEOUT_SECONDS = 15
# Students no other test and no seed state claims first; the simulated students also use
# 121..199, so tests cope with a resumed session anyway. student200 is the checks' canary.
TEST_STUDENTS = range(199, 120, -1)


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
        box.up()
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
    """The API through Caddy: TLS verified against the sandbox CA, SNI and Host api.exam.localhost.

    Python's resolver does not resolve *.localhost, so it connects to 127.0.0.1
    and names the host in SNI (checked against the certificate) and Host.
    """
    context = ssl.create_default_context(cafile=str(sandbox.paths.ca_bundle))

    def sni(request: httpx.Request) -> None:
        request.extensions["sni_hostname"] = API_HOST

    with httpx.Client(base_url=f"https://127.0.0.1:{ports['EXAMDAY_PORT_HTTPS']}", verify=context,
                      headers={"Host": API_HOST}, event_hooks={"request": [sni]},
                      timeout=HTTP_TIMEOUT_SECONDS) as client:
        yield client


@pytest.fixture(scope="session")
def db(sandbox: Sandbox, ports: dict[str, int]) -> Iterator[psycopg.Connection[Any]]:
    """A read-only autocommit connection for asserting on rows."""
    conn = psycopg.connect(
        host="127.0.0.1", port=ports["EXAMDAY_PORT_POSTGRES"], user="exam_user", dbname="exam_platform",
        password=sandbox.state.secrets()["POSTGRES_PASSWORD"], autocommit=True, connect_timeout=5,
        options="-c default_transaction_read_only=on -c statement_timeout=10000",
        application_name="examday_tests_sandbox",
    )
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def new_student() -> Callable[[], str]:
    """A student username no other test in this run uses."""
    numbers = iter(TEST_STUDENTS)

    def take() -> str:
        return f"student{next(numbers):03d}"

    return take


@pytest.fixture(scope="session")
def login(backend_http: httpx.Client, credentials: dict[str, Any]) -> Callable[..., dict[str, str]]:
    """login(USERNAME[, PASSWORD]) -> the Authorization header (the students' password by default)."""

    def do_login(username: str, password: str | None = None, client: httpx.Client | None = None
                 ) -> dict[str, str]:
        reply = (client or backend_http).post(f"{API_PREFIX}/auth/login", json={
            "username": username, "password": password or credentials["student_password"]})
        assert reply.status_code == 200, f"login {username}: {reply.status_code} {reply.text}"
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}

    return do_login


@pytest.fixture(scope="session")
def exam_ids(backend_http: httpx.Client, login: Callable[..., dict[str, str]],
             credentials: dict[str, Any]) -> dict[str, str]:
    reply = backend_http.get(f"{API_PREFIX}/exams", headers=login(credentials["admin_user"],
                                                                    credentials["admin_password"]))
    assert reply.status_code == 200, reply.text
    return {exam["code"]: exam["id"] for exam in reply.json()}


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
