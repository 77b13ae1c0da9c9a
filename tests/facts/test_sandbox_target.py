"""The sandbox is told by its containers' labels and published ports, never by a word in the toml."""

from __future__ import annotations

from examday.facts.sandbox_target import served_by_the_sandbox
from examday.probes.docker_observations import observe_container


def container(project: str, service: str, host_ip: str, port: int, status: str = "running") -> dict:
    return {"Name": f"/{service}", "State": {"Status": status},
            "Config": {"Labels": {"com.docker.compose.project": project, "com.docker.compose.service": service}},
            "NetworkSettings": {"Ports": {"9093/tcp": [{"HostIp": host_ip, "HostPort": str(port)}], "9094/tcp": None}}}


class FakeEngineByLabel:
    """Stands in for the Docker engine's label filter (the real one is used in tests/checks/)."""

    def __init__(self, *attrs: dict) -> None:
        self.observed = [observe_container(a) for a in attrs]

    def containers_by_label(self, label: str, value: str):
        return [c for c in self.observed if c.labels.get(label) == value]


SANDBOX = FakeEngineByLabel(container("examday-sandbox", "alertmanager", "127.0.0.1", 9093))


def test_the_sandboxs_published_alertmanager_is_the_sandbox_however_spelled():
    assert served_by_the_sandbox(SANDBOX, "http://127.0.0.1:9093", "alertmanager")
    assert served_by_the_sandbox(SANDBOX, "http://localhost:9093/", "alertmanager")


def test_another_host_port_service_or_project_is_not():
    assert not served_by_the_sandbox(SANDBOX, "http://alertmanager.prod.internal:9093", "alertmanager")
    assert not served_by_the_sandbox(SANDBOX, "http://127.0.0.1:9094", "alertmanager")
    assert not served_by_the_sandbox(SANDBOX, "http://127.0.0.1:9093", "prometheus")
    other = FakeEngineByLabel(container("compose", "alertmanager", "127.0.0.1", 9093))
    assert not served_by_the_sandbox(other, "http://127.0.0.1:9093", "alertmanager")
    stopped = FakeEngineByLabel(container("examday-sandbox", "alertmanager", "127.0.0.1", 9093, status="exited"))
    assert not served_by_the_sandbox(stopped, "http://127.0.0.1:9093", "alertmanager")
