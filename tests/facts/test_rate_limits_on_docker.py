"""PRE-CFG-05's readings from a real uvicorn in a throwaway container: its master's command line
through `docker top`, its env, and the Docker gateway a host proxy would come from.

The container runs the sandbox backend image's own uvicorn with a two-line app, on Docker's
default bridge network with no port published.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from examday.config.model import ExamdayConfig
from examday.facts.rate_limits import observe_login_limits
from examday.facts.processes import count_uvicorn_workers
from examday.probes.docker import DockerProbe
from tests.fixtures.services import TEST_LABEL, wait_until

IMAGES = ("examday-sandbox/backend:local", "examday-sandbox/backend:previous")
APP = "async def app(scope, receive, send):\n    pass\n"


@pytest.fixture(scope="module")
def start_backend(docker_client: Any) -> Iterator[Callable[..., Any]]:
    image = next((ref for ref in IMAGES if _has_image(docker_client, ref)), None)
    if image is None:
        pytest.skip(f"none of {', '.join(IMAGES)} is on this machine (build the sandbox's images)")
    started: list[Any] = []

    def start(extra_args: str = "", environment: dict[str, str] | None = None) -> Any:
        script = (f"mkdir -p /tmp/app && printf '{APP}' > /tmp/app/a.py && cd /tmp/app && "
                  f"exec /opt/venv/bin/python -m uvicorn a:app --host 0.0.0.0 --port 8000 --workers 2 {extra_args}")
        container = docker_client.containers.run(
            image, [script], entrypoint=["sh", "-c"], name=f"examday_test_jobs_{uuid.uuid4().hex[:8]}",
            detach=True, environment=environment or {}, labels={TEST_LABEL: "probes"})
        started.append(container)
        probe = DockerProbe(timeout=10)
        try:
            wait_until(lambda: count_uvicorn_workers(probe.processes(container.name)) == 2, 30, "two uvicorn workers")
        finally:
            probe.close()
        container.reload()
        return container

    yield start
    for container in started:
        container.remove(force=True)


def _has_image(client: Any, ref: str) -> bool:
    try:
        client.images.get(ref)
    except Exception:
        return False
    return True


def _config(container: Any) -> ExamdayConfig:
    return ExamdayConfig.model_validate({
        "target": {"name": "t", "kind": "staging"}, "api": {"base_url": "https://api.example.test"},
        "docker": {"containers": {"backend": container.name, "absent": ["postgres", "redis", "frontend"]}},
        "proxy": {"kind": "caddy"},  # a host Caddy in front, as on the real platform
        "exam": {"id": "x", "starts_at": "2026-06-01T09:00:00+02:00", "ends_at": "2026-06-01T12:00:00+02:00",
                 "expected_students": 400},
    })


def _gateway(container: Any) -> str:
    (network,) = container.attrs["NetworkSettings"]["Networks"].values()
    return network["Gateway"]


def _judge(container: Any) -> Any:
    probe = DockerProbe(timeout=10)
    try:
        return observe_login_limits(probe, _config(container))
    finally:
        probe.close()


def test_uvicorns_defaults_put_every_student_behind_the_gateway(start_backend: Callable[..., Any]) -> None:
    container = start_backend("--proxy-headers")  # proxy headers alone: still trusted from loopback only
    judgement = _judge(container)
    gateway = _gateway(container)
    assert judgement.source.addresses == (gateway,)
    assert judgement.trust is not None and judgement.trust.allow_ips_from == "uvicorn's default"
    (problem,) = judgement.problems
    assert f"--forwarded-allow-ips={gateway}" in problem and "40.0 logins a minute" in problem
    assert any("REDIS_REQUIRED" in note for note in judgement.notes)


@pytest.mark.parametrize("how", ["command line", "FORWARDED_ALLOW_IPS"])
def test_trusting_the_gateway_passes(start_backend: Callable[..., Any], docker_client: Any, how: str) -> None:
    # The default bridge's subnet (the gateway is in it), known before the container starts.
    bridge = docker_client.networks.get("bridge").attrs["IPAM"]["Config"][0]["Subnet"]
    container = start_backend(f"--forwarded-allow-ips={bridge}" if how == "command line" else "",
                              {"FORWARDED_ALLOW_IPS": bridge} if how != "command line" else None)
    judgement = _judge(container)
    assert judgement.problems == () and judgement.sees_clients is True
    assert judgement.trust is not None and judgement.trust.allow_ips_from == how
    assert judgement.bucket_rate == pytest.approx(0.1)
