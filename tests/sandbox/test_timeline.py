"""The runbook's timeline on the sandbox: exam mode from env and from system_flags, the
configuration faults that only mean something once exam mode is on, and the simulated
students of the `during` stage.

Walking a stage restarts the backend (seconds each), so the tests here run in file
order on one walk: normal (flag test) -> preexam -> freeze (+ faults) -> during ->
back to the stage the module found (normally `normal`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest

from examday.sandbox.layout import STUDENTS_CONTAINER
from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.stages import apply_stage
from tests.sandbox.helpers import (
    ANSWERS_AFTER_SUBMIT,
    ANSWERS_WITHOUT_SESSION,
    API_PREFIX,
    FINISHED_WITH_MISSING_ANSWERS,
    SESSIONS_SUBMITTED_TWICE,
    TWO_ACTIVE_SESSIONS,
    psql_as_owner,
    rows,
    wait_for,
)

pytestmark = pytest.mark.sandbox

STAGE_CHANGE_BOUND_SECONDS = 120  # generous: a stage restarts the backend at most


@pytest.fixture(scope="module")
def timeline(sandbox: Sandbox) -> Iterator[Callable[[str], None]]:
    """go(STAGE) walks the sandbox to STAGE (no-op when already there); the stage the
    module found is restored at its end."""
    found = sandbox.state.stage()

    def go(stage: str) -> None:
        if sandbox.state.stage() != stage:
            started = time.monotonic()
            apply_stage(sandbox, stage)
            assert time.monotonic() - started < STAGE_CHANGE_BOUND_SECONDS

    yield go
    go(found)


def exam_mode_reports(client: httpx.Client, times: int = 6) -> list[dict[str, Any]]:
    """Several answers, so that more than one uvicorn worker (each read its env at start) replies."""
    replies = [client.get(f"{API_PREFIX}/system/exam-mode") for _ in range(times)]
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    return [r.json() for r in replies]


def running_env(sandbox: Sandbox, service: str) -> dict[str, str]:
    container = sandbox.platform().require(service)
    container.reload()
    return dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])


def test_exam_mode_from_system_flags_wins_over_env(sandbox: Sandbox, backend_http: httpx.Client) -> None:
    existing = psql_as_owner("SELECT value FROM system_flags WHERE key = 'EXAM_MODE'").strip()
    if existing:
        pytest.skip(f"system_flags already holds EXAM_MODE={existing}; not touching someone else's flag")
    before = exam_mode_reports(backend_http, times=1)[0]
    assert before["source"] == "env" and before["flag_value"] is None
    psql_as_owner("INSERT INTO system_flags (key, value, updated_by, reason) "
                  "VALUES ('EXAM_MODE', true, 'examday-tests', 'tests/sandbox flag source')")
    try:
        for report in exam_mode_reports(backend_http):
            assert report["exam_mode"] is True
            assert report["source"] == "system_flags"
            assert report["flag_value"] is True
            assert report["env_value"] == before["env_value"]  # the env did not change, the row decided
    finally:
        psql_as_owner("DELETE FROM system_flags WHERE key = 'EXAM_MODE' AND updated_by = 'examday-tests'")
    after = exam_mode_reports(backend_http, times=1)[0]
    assert after["source"] == "env" and after["exam_mode"] == before["exam_mode"]


def test_preexam_configures_exam_mode_without_applying_it(
        sandbox: Sandbox, timeline: Callable[[str], None], backend_http: httpx.Client) -> None:
    timeline("preexam")

    assert sandbox.state.platform_env()["EXAM_MODE"] == "true"  # what the next restart applies
    assert sandbox.state.platform_env()["SCHEDULED_JOBS_ENABLED"] == "false"
    assert running_env(sandbox, "backend")["EXAM_MODE"] == "false"  # what the process runs with
    for report in exam_mode_reports(backend_http):
        assert (report["exam_mode"], report["source"], report["env_value"]) == (False, "env", False)
    assert sandbox.platform().state("worker").status == "running"  # still up until the freeze


def test_freeze_applies_exam_mode_and_stops_the_worker(
        sandbox: Sandbox, timeline: Callable[[str], None], backend_http: httpx.Client,
        proxy_http: httpx.Client) -> None:
    timeline("freeze")

    assert running_env(sandbox, "backend")["EXAM_MODE"] == "true"
    for client in (backend_http, proxy_http):
        for report in exam_mode_reports(client):
            assert (report["exam_mode"], report["source"], report["env_value"]) == (True, "env", True)
    assert sandbox.platform().state("worker").status != "running"


def test_exam_mode_off_fault_reverts_the_live_mode_and_clear_restores_it(
        sandbox: Sandbox, timeline: Callable[[str], None], inject_fault: Callable[[str], Any],
        backend_http: httpx.Client) -> None:
    timeline("freeze")  # only meaningful once exam mode is on

    with inject_fault("exam-mode-off"):
        assert sandbox.state.platform_env()["EXAM_MODE"] == "false"
        assert all(r["exam_mode"] is False and r["source"] == "env" for r in exam_mode_reports(backend_http))

    assert sandbox.state.platform_env()["EXAM_MODE"] == "true"
    assert all(r["exam_mode"] is True and r["source"] == "env" for r in exam_mode_reports(backend_http))


def test_worker_running_fault_starts_the_worker_and_clear_stops_it(
        sandbox: Sandbox, timeline: Callable[[str], None], inject_fault: Callable[[str], Any]) -> None:
    timeline("freeze")  # the worker is stopped from the freeze on
    platform = sandbox.platform()
    assert platform.state("worker").status != "running"

    with inject_fault("worker-running"):
        assert sandbox.state.platform_env()["SCHEDULED_JOBS_ENABLED"] == "true"
        assert platform.state("worker").status == "running"
        assert running_env(sandbox, "worker")["SCHEDULED_JOBS_ENABLED"] == "true"

    assert sandbox.state.platform_env()["SCHEDULED_JOBS_ENABLED"] == "false"
    assert platform.state("worker").status != "running"


def simulate_lines(sandbox: Sandbox, since: int) -> list[dict[str, Any]]:
    """The students container's JSON lines since `since` (it is restarted, not recreated,
    so older runs' lines are in its log too)."""
    container = sandbox.platform().container("students")
    if container is None:
        return []
    lines = []
    for raw in container.logs(since=since).decode(errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def test_during_simulated_students_answer_without_breaking_invariants(
        sandbox: Sandbox, timeline: Callable[[str], None], db: psycopg.Connection[Any]) -> None:
    since = int(time.time()) - 1
    timeline("during")
    assert sandbox.platform().state("students").status == "running"

    def progress() -> list[dict[str, Any]]:
        return [line for line in simulate_lines(sandbox, since) if line.get("event") == "simulate.progress"]

    wait_for(lambda: progress() and progress()[-1].get("answers_saved", 0) > 0, 45,
             "simulated students saving answers (a simulate.progress line with answers)")
    last = progress()[-1]
    server_errors = {status: n for status, n in last["by_status"].items() if status.startswith("5")}
    assert not server_errors, last
    assert last.get("answers_missing", 0) == 0, last

    # Back to the freeze: the students stop first (SIGTERM), promptly and cleanly.
    started = time.monotonic()
    timeline("freeze")
    assert time.monotonic() - started < STAGE_CHANGE_BOUND_SECONDS
    state = sandbox.platform().client.containers.get(STUDENTS_CONTAINER).attrs["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 0)
    assert simulate_lines(sandbox, since)[-1]["event"] == "simulate.stopped"
    for invariant in (ANSWERS_WITHOUT_SESSION, SESSIONS_SUBMITTED_TWICE, ANSWERS_AFTER_SUBMIT,
                      TWO_ACTIVE_SESSIONS, FINISHED_WITH_MISSING_ANSWERS):
        assert rows(db, invariant) == [], invariant
