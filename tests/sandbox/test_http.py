"""The HTTP surface docs/platform.md promises, direct and through the TLS proxy."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import uuid
from typing import Any

import httpx
import pytest

from examday.sandbox.layout import API_HOST
from examday.sandbox.lifecycle import Sandbox
from tests.sandbox.helpers import API_PREFIX

pytestmark = pytest.mark.sandbox

# docs/platform.md has none of these: the sandbox must not either.
NOT_PLATFORM_HEADERS = ("X-Response-Time-ms", "X-DB-Queries", "X-DB-Time-ms")


@pytest.fixture(params=["direct", "proxy"])
def client(request: pytest.FixtureRequest) -> httpx.Client:
    return request.getfixturevalue("backend_http" if request.param == "direct" else "proxy_http")


def assert_no_extra_headers(headers: httpx.Headers) -> None:
    for name in NOT_PLATFORM_HEADERS:
        assert name not in headers, f"{name} is not a platform header"


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
    assert_no_extra_headers(reply.headers)


def test_a_request_without_an_id_gets_one(client: httpx.Client) -> None:
    reply = client.get(f"{API_PREFIX}/ready")

    assert reply.status_code == 200
    generated = reply.headers.get("X-Request-ID", "")
    assert generated and generated == reply.json()["request_id"]
    assert_no_extra_headers(reply.headers)


def test_health_carries_the_headers_too(client: httpx.Client) -> None:
    reply = client.get("/health", headers={"X-Request-ID": "examday-test-health"})

    assert reply.status_code == 200 and reply.json() == {"status": "ok"}
    assert reply.headers["X-Request-ID"] == "examday-test-health"
    assert_no_extra_headers(reply.headers)


def test_curl_reaches_health_through_the_proxy(sandbox: Sandbox, ports: dict[str, int]) -> None:
    """What an operator types: curl resolves *.localhost itself and verifies against the CA."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    url = f"https://{API_HOST}:{ports['EXAMDAY_PORT_HTTPS']}/api/health"
    done = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "--cacert", str(sandbox.paths.ca_bundle), url],
        capture_output=True, text=True, timeout=30)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"status": "ok"}


def test_the_prefixed_health_touches_nothing(backend_http: httpx.Client) -> None:
    reply = backend_http.get(f"{API_PREFIX}/health")
    assert reply.status_code == 200 and reply.json() == {"status": "ok"}


def test_metrics_label_the_raw_path(backend_http: httpx.Client) -> None:
    marker = f"/v1/sessions/{uuid.uuid4()}"
    for _ in range(6):
        backend_http.get(marker)  # 401 without a token: still counted, under its raw path
    # Each worker has its own registry: ask on new connections until one that counted answers.
    for _ in range(30):
        with httpx.Client(base_url=backend_http.base_url, timeout=10) as fresh:
            text = fresh.get("/metrics").text
        if marker in text:
            break
    assert f'route="{marker}"' in text
    assert "http_request_duration_seconds_bucket" in text
    assert "db_pool" not in text


def test_postgres_and_redis_are_not_published(sandbox: Sandbox) -> None:
    platform = sandbox.platform()
    for service in ("postgres", "redis"):
        ports = platform.require(service).attrs["NetworkSettings"]["Ports"] or {}
        assert all(not bindings for bindings in ports.values()), (service, ports)


def https_get(sandbox: Sandbox, port: int, host: str, path: str, auth: tuple[str, str] | None = None) -> httpx.Response:
    context = ssl.create_default_context(cafile=str(sandbox.paths.ca_bundle))
    with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=context, headers={"Host": host}, timeout=15,
                      event_hooks={"request": [lambda r: r.extensions.__setitem__("sni_hostname", host)]}) as c:
        return c.get(path, auth=auth)


def test_the_site_proxies_api_with_the_prefix_stripped(sandbox: Sandbox, ports: dict[str, int]) -> None:
    reply = https_get(sandbox, ports["EXAMDAY_PORT_HTTPS"], "exam.localhost", "/api/v1/ready")
    assert reply.status_code == 200 and reply.json()["status"] == "ok"


def test_staging_is_behind_basic_auth(sandbox: Sandbox, ports: dict[str, int]) -> None:
    port = ports["EXAMDAY_PORT_HTTPS"]
    assert https_get(sandbox, port, "staging.api.exam.localhost", "/health").status_code == 401
    credentials = sandbox.state.basic_auth(sandbox.paths.staging_basic_auth)
    reply = https_get(sandbox, port, "staging.api.exam.localhost", "/api/v1/ready", credentials)
    assert reply.status_code == 200 and reply.json()["status"] == "ok", reply.text


def test_the_dashboard_is_prometheus_behind_basic_auth(sandbox: Sandbox, ports: dict[str, int]) -> None:
    port = ports["EXAMDAY_PORT_HTTPS"]
    assert https_get(sandbox, port, "exam.localhost", "/prometheus/-/ready").status_code == 401
    credentials = sandbox.state.basic_auth(sandbox.paths.dashboard_basic_auth)
    assert https_get(sandbox, port, "exam.localhost", "/prometheus/-/ready", credentials).status_code == 200


def test_outside_api_the_proxy_answers_with_the_frontends_page(sandbox: Sandbox, ports: dict[str, int]) -> None:
    """The platform's host Caddy sends all but /api/* to the frontend: /health and /metrics at the
    root are its page, 200 to any path (the trap a check must not read as the backend's ok)."""
    for path in ("/health", "/metrics", "/v1/ready"):
        reply = https_get(sandbox, ports["EXAMDAY_PORT_HTTPS"], API_HOST, path)
        assert reply.status_code == 200 and "<html" in reply.text.lower(), (path, reply.text[:100])
