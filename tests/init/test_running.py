"""What the running stack adds to compose, read through a stand-in for the engine: the compose
project, the proxy's program, the backend's log format, whether the exam-mode flag table exists;
and a stack that is not running, or an engine that fails, is a note, never a failure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from examday.init import discover, read_running
from examday.probes.errors import ProbeError, Unreachable
from tests.init.test_discoveries import SANDBOX_SHAPED


@dataclass
class Observed:
    is_running: bool = True
    labels: dict[str, str] = field(default_factory=lambda: {"com.docker.compose.project": "examday-sandbox"})


@dataclass
class FakeStack:
    log: list[str] = field(default_factory=list)
    program_of: dict[str, str] = field(default_factory=dict)
    flag_table: bool | Exception = True
    running: bool = True
    asked: list[str] = field(default_factory=list)

    def container(self, name: str) -> Observed:
        return Observed(is_running=self.running)

    def logs(self, name: str, tail: int) -> list[str]:
        self.asked.append(f"logs {name} {tail}")
        return self.log

    def program(self, name: str) -> str:
        return self.program_of.get(name, "")

    def has_table(self, container: str, dbname: str, user: str, table: str) -> bool:
        self.asked.append(f"table {container} {dbname} {user} {table}")
        if isinstance(self.flag_table, Exception):
            raise self.flag_table
        return self.flag_table


def request_end(**fields: object) -> str:
    return json.dumps({"event": "request.end", "status_code": 200, **fields})


def test_the_running_stack_gives_project_proxy_log_format_and_flag_table():
    found = discover(SANDBOX_SHAPED, project="sandbox")
    stack = FakeStack(log=[request_end(duration_ms=5), 'INFO:     10.0.0.1:0 - "GET /v1/health" 200 OK',
                           request_end(duration_ms=7), json.dumps({"event": "request.start"})],
                      program_of={"exam_platform_proxy": "caddy run --config /etc/caddy/Caddyfile"})
    read_running(stack, found)
    values = {key: f.value for key, f in found.values.items()}
    assert values["docker.compose_project_name"] == "examday-sandbox"
    assert values["proxy.kind"] == "caddy" and not found.values["proxy.kind"].guess
    assert values["logs.latency_fields"] == ["duration_ms"] and values["logs.end_event"] == "request.end"
    assert "2 with duration_ms" in found.values["logs.latency_fields"].how
    assert values["exam_mode.sources"] == ["system_flags"] and not found.values["exam_mode.sources"].guess
    assert "table exam_platform_postgres exam_platform exam_user system_flags" in stack.asked


def test_the_runbook_eras_log_and_no_flag_table():
    found = discover(SANDBOX_SHAPED, project="sandbox")
    stack = FakeStack(log=[request_end(total_ms=12)], flag_table=False,
                      program_of={"exam_platform_proxy": "/usr/local/bin/traefik --api"})
    read_running(stack, found)
    assert found.values["logs.latency_fields"].value == ["total_ms"]
    assert found.values["exam_mode.sources"].value == ["env"] and found.values["exam_mode.sources"].guess
    assert found.values["proxy.kind"].value == "traefik" and "proxy.admin_url" not in found.values


def test_a_stopped_stack_or_a_failing_read_is_a_note():
    stopped = discover(SANDBOX_SHAPED, project="sandbox")
    before = dict(stopped.values)
    read_running(FakeStack(running=False), stopped)
    assert stopped.values == before and any("no container of the compose file is running" in n for n in stopped.notes)

    failing = discover(SANDBOX_SHAPED, project="sandbox")
    read_running(FakeStack(log=[], flag_table=Unreachable("psql did not answer", dependency="postgres")), failing)
    assert failing.values["exam_mode.sources"].guess  # the compose guess stays
    assert any("psql did not answer" in note for note in failing.notes)
    assert any("both are read" in note for note in failing.notes)  # no latency field in an empty log


def test_an_engine_that_does_not_answer_leaves_the_compose_findings():
    class Dead(FakeStack):
        def container(self, name: str) -> Observed:
            raise ProbeError("docker engine at the default socket is unreachable", dependency="docker")

    found = discover(SANDBOX_SHAPED, project="sandbox")
    read_running(Dead(), found)
    assert "docker.compose_project_name" not in found.values
    assert [note for note in found.notes if "unreachable" in note] == [
        "running containers not read: docker engine at the default socket is unreachable"]  # said once
