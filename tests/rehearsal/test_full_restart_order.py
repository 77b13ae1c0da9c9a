"""The full system restart's order and its promise never to leave the platform down, on a stand-in
engine that records what it was told (the drill itself runs on the sandbox: test_rehearsal_on_sandbox)."""

from __future__ import annotations

import pytest

from examday.rehearsal.faults import full_system_restart


class RecordingEngineStandIn:
    """Stands in for rehearsal.faults.Engine: records stop/start/wait; `never_healthy` times out."""

    def __init__(self, never_healthy: str = "") -> None:
        self.calls: list[str] = []
        self.never_healthy = never_healthy

    def container(self, name: str) -> RecordingEngineStandIn._Container:
        return self._Container(self, name)

    def wait_healthy(self, name: str) -> float:
        self.calls.append(f"wait {name}")
        if name == self.never_healthy:
            raise TimeoutError(f"{name} did not become healthy within 30 s")
        return 0.1

    class _Container:
        def __init__(self, engine: RecordingEngineStandIn, name: str) -> None:
            self.engine, self.name = engine, name

        def stop(self, timeout: int) -> None:
            self.engine.calls.append(f"stop {self.name}")

        def start(self) -> None:
            self.engine.calls.append(f"start {self.name}")


INFRA, APP = ["db", "cache", "edge"], ["api", "web"]


def test_the_application_stops_first_and_starts_after_the_infrastructure_is_healthy():
    engine = RecordingEngineStandIn()
    with full_system_restart(engine, INFRA, APP) as seen:
        assert engine.calls == ["stop api", "stop web", "stop db", "stop cache", "stop edge"]
    assert engine.calls[5:] == ["start db", "start cache", "start edge", "wait db", "wait cache", "wait edge",
                                "start api", "start web", "wait api", "wait web"]
    assert [step["did"] for step in seen["steps"]][-1] == "web healthy" and seen["back_after_s"] is not None


def test_an_infrastructure_that_never_gets_healthy_still_gets_the_application_started_and_fails():
    engine = RecordingEngineStandIn(never_healthy="db")
    with pytest.raises(RuntimeError, match="after the full restart: db did not become healthy"):
        with full_system_restart(engine, INFRA, APP):
            pass
    assert "start api" in engine.calls and "start web" in engine.calls
