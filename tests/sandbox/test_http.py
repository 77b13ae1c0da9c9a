"""The HTTP surface PLATFORM.md promises, direct and through the TLS proxy."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from typing import Any

import httpx
import pytest

from examday.sandbox.layout import API_HOST
from examday.sandbox.lifecycle import Sandbox
from tests.sandbox.helpers import API_PREFIX

pytestmark = pytest.mark.sandbox

TIMING_HEADERS = ("X-Response-Time-ms", "X-DB-Queries", "X-DB-Time-ms")


@pytest.fixture(params=["direct", "proxy"])
def client(request: pytest.FixtureRequest) -> httpx.Client:
    return request.getfixturevalue("backend_http" if request.param == "direct" else "proxy_http")


def assert_timing_headers(headers: httpx.Headers) -> None:
    for name in TIMING_HEADERS:
        assert name in headers, f"{name} missing from {dict(headers)}"
    assert float(headers["X-Response-Time-ms"]) >= 0
    assert int(headers["X-DB-Queries"]) >= 0
    assert float(headers["X-DB-Time-ms"]) >= 0


def test_ready_body_is_ok_and_echoes_the_request_id(client: httpx.Client) -> None:
    request_id = f"examday-test-{uuid.uuid4()}"
    reply = client.get(f"{API_PREFIX}/ready", headers={"X-Request-ID": request_id})

    assert reply.status_code == 200
    body: dict[str, Any] = reply.json()
    assert set(body) == {"status", "checks", "request_id"}
    assert body["status"] == "ok", body
    assert set(body["checks"]) == {"db", "redis"}
    for name, check in body["checks"].items():
        assert set(check) == {"status", "message"}, name
        assert check["status"] == "ok", (name, check)
    assert body["request_id"] == request_id
    assert reply.headers["X-Request-ID"] == request_id
    assert_timing_headers(reply.headers)
    assert int(reply.headers["X-DB-Queries"]) >= 1  # the db check ran SELECT 1


def test_a_request_without_an_id_gets_one(client: httpx.Client) -> None:
    reply = client.get(f"{API_PREFIX}/ready")

    assert reply.status_code == 200
    generated = reply.headers.get("X-Request-ID", "")
    assert generated and generated == reply.json()["request_id"]
    assert_timing_headers(reply.headers)


def test_health_carries_the_headers_too(client: httpx.Client) -> None:
    reply = client.get("/health", headers={"X-Request-ID": "examday-test-health"})

    assert reply.status_code == 200 and reply.json() == {"status": "ok"}
    assert reply.headers["X-Request-ID"] == "examday-test-health"
    assert_timing_headers(reply.headers)


def test_curl_reaches_health_through_the_proxy(sandbox: Sandbox, ports: dict[str, int]) -> None:
    """What an operator types: curl resolves *.localhost itself and verifies against the CA."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    url = f"https://{API_HOST}:{ports['EXAMDAY_PORT_HTTPS']}/health"
    done = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "--cacert", str(sandbox.paths.ca_bundle), url],
        capture_output=True, text=True, timeout=30)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"status": "ok"}
