"""The runbook's timeline on the sandbox: stages set exam mode through the admin API and
jobs through the host's crontab; the exam-mode faults; the simulated students of `during`.

Tests run in file order on one walk: normal -> preexam -> freeze (+ faults) -> during ->
back to the stage the module found (normally `normal`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from examday.sandbox.layout import OPS_CRONTAB_IN_CONTAINER, STUDENTS_CONTAINER
from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.stages import apply_stage, stored_flag
from examday.sandbox.state import crontab_entries
from tests.sandbox.helpers import (
    ANSWERS_AFTER_SUBMIT,
    ANSWERS_WITHOUT_SESSION,
    API_PREFIX,
    FINISHED_WITH_MISSING_ANSWERS,
    SESSIONS_SUBMITTED_TWICE,
    TWO_ACTIVE_SESSIONS,
    DockerPsql,
    rows,
    wait_for,
)

pytestmark = pytest.mark.sandbox

STAGE_CHANGE_BOUND_SECONDS = 120


@pytest.fixture(scope="module")
def timeline(sandbox: Sandbox) -> Iterator[Callable[[str], None]]:
    found = sandbox.state.stage()

    def go(stage: str) -> None:
        if sandbox.state.stage() != stage:
            started = time.monotonic()
            apply_stage(sandbox, stage)
            assert time.monotonic() - started < STAGE_CHANGE_BOUND_SECONDS

    yield go
    go(found)


def exam_mode_views(client: httpx.Client, headers: dict[str, str], times: int = 9) -> list[bool]:
    """What several workers say (a new connection each time)."""
    views = []
    for _ in range(times):
        with httpx.Client(base_url=client.base_url, timeout=15) as fresh:
            reply = fresh.get(f"{API_PREFIX}/admin/system/exam-mode", headers=headers)
        assert reply.status_code == 200, reply.text
        views.append(reply.json()["enabled"])
    return views


def job_lines(sandbox: Sandbox) -> list[str]:
    text = sandbox.platform().exec_checked("ops", ["cat", OPS_CRONTAB_IN_CONTAINER])
    return [line for line in crontab_entries(text) if "app.jobs.run" in line]


def test_normal_has_exam_mode_off_and_the_jobs_in_cron(sandbox: Sandbox, timeline: Callable[[str], None],
                                                       backend_http: httpx.Client, operator: dict[str, str]) -> None:
    timeline("normal")
    assert stored_flag(sandbox.platform(), "EXAM_MODE") is False
    assert stored_flag(sandbox.platform(), "FREEZE_UPDATES") is False
    assert not any(exam_mode_views(backend_http, operator))
    assert len(job_lines(sandbox)) == 3


def test_preexam_switches_exam_mode_on_and_the_jobs_off(sandbox: Sandbox, timeline: Callable[[str], None],
                                                        backend_http: httpx.Client, operator: dict[str, str]) -> None:
    backend_started = sandbox.platform().require("backend").attrs["State"]["StartedAt"]
    timeline("preexam")

    assert stored_flag(sandbox.platform(), "EXAM_MODE") is True
    assert all(exam_mode_views(backend_http, operator))
    assert job_lines(sandbox) == []
    # the operators' way: nothing restarted, and the env var nobody reads left alone
    backend = sandbox.platform().require("backend")
    assert backend.attrs["State"]["StartedAt"] == backend_started
    assert sandbox.state.platform_env()["EXAM_MODE"] == "false"


def test_freeze_has_no_job_line_and_no_job_process(sandbox: Sandbox, timeline: Callable[[str], None]) -> None:
    timeline("freeze")
    assert job_lines(sandbox) == []
    processes = sandbox.platform().exec_checked("ops", ["ps", "-eo", "args", "--no-headers"])
    assert "app.jobs.run" not in processes


@pytest.mark.parametrize("fault", ["exam-mode-off", "exam-mode-flag-off"])
def test_exam_mode_faults_switch_the_flag_off_and_clear_restores_it(
        sandbox: Sandbox, timeline: Callable[[str], None], inject_fault: Callable[[str], Any],
        backend_http: httpx.Client, operator: dict[str, str], db: DockerPsql, fault: str) -> None:
    timeline("freeze")
    with inject_fault(fault):
        assert stored_flag(sandbox.platform(), "EXAM_MODE") is False
        assert not any(exam_mode_views(backend_http, operator))
        updated_by = rows(db, "SELECT coalesce(updated_by::text, 'none') FROM system_flags WHERE key = 'EXAM_MODE'")
        assert (updated_by == [("none",)]) == (fault == "exam-mode-flag-off")
    assert stored_flag(sandbox.platform(), "EXAM_MODE") is True
    assert all(exam_mode_views(backend_http, operator))


def simulate_lines(sandbox: Sandbox, since: int) -> list[dict[str, Any]]:
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
        sandbox: Sandbox, timeline: Callable[[str], None], db: DockerPsql) -> None:
    since = int(time.time()) - 1
    timeline("during")
    assert sandbox.platform().state("students").status == "running"

    def progress() -> list[dict[str, Any]]:
        return [line for line in simulate_lines(sandbox, since) if line.get("event") == "simulate.progress"]

    wait_for(lambda: progress() and progress()[-1].get("answers_saved", 0) > 0, 60,
             "simulated students saving answers (a simulate.progress line with answers)")
    last = progress()[-1]
    assert not {s: n for s, n in last["by_status"].items() if s.startswith("5")}, last
    assert last.get("answers_missing", 0) == 0, last
    # each visit has its session: a new one, or the one kept from an earlier during stage
    assert last.get("sessions_created", 0) + last.get("sessions_resumed", 0) > 0, last

    timeline("freeze")
    state = sandbox.platform().client.containers.get(STUDENTS_CONTAINER).attrs["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 0)
    for invariant in (ANSWERS_WITHOUT_SESSION, SESSIONS_SUBMITTED_TWICE, ANSWERS_AFTER_SUBMIT,
                      FINISHED_WITH_MISSING_ANSWERS, TWO_ACTIVE_SESSIONS):
        assert rows(db, invariant) == [], invariant


def test_postexam_switches_exam_mode_off_and_the_jobs_back(sandbox: Sandbox, timeline: Callable[[str], None],
                                                           backend_http: httpx.Client,
                                                           operator: dict[str, str]) -> None:
    timeline("postexam")
    assert stored_flag(sandbox.platform(), "EXAM_MODE") is False
    assert not any(exam_mode_views(backend_http, operator))
    assert len(job_lines(sandbox)) == 3
