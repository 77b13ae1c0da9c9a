"""`pytest -m recovery` on the sandbox: passes after a restart of the backend or of Redis, fails clearly
while the backend is down. The canary student must find its earlier answers after each restart."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from examday.config import load_config
from examday.probes.for_target import api_probe
from examday.probes.student_api import StudentClient
from examday.sandbox.faults import clear, inject
from examday.sandbox.lifecycle import Sandbox
from tests.checks.conftest import at_stage
from tests.checks.runner import (CANARY_MEMORY, ChecklistRun, checklist, failed_ids, fails_exactly, fails_for,
                                 sandbox_config)

# Their runs sign in seconds apart: the platform allows 5 sign-ins a minute per address.
pytestmark = [pytest.mark.sandbox, pytest.mark.slow, pytest.mark.usefixtures("sign_in_limits_forgotten")]

RECOVERY_ITEMS = {"REC-HLT-01", "POST-INT-01", "POST-INT-02", "REC-SES-01", "REC-OBS-01", "REC-OBS-02", "REC-OBS-03"}
LOG_ITEM = ("-k", "no_errors_logged")  # REC-OBS-03 alone


@pytest.fixture(scope="module")
def exam_running(sandbox: Sandbox, baseline_dir: Path, tmp_path_factory) -> Iterator[Sandbox]:
    """Frozen (baseline taken) and answered once by the canary: the state an incident interrupts."""
    for frozen in at_stage(sandbox, "freeze"):
        freeze = checklist("freeze", tmp_path_factory.mktemp("freeze"), baseline_dir)
        assert failed_ids(freeze) == set(), freeze.stdout[-3000:]
        first = checklist("recovery", tmp_path_factory.mktemp("recovery"), baseline_dir)
        assert failed_ids(first) == set(), first.stdout[-3000:]
        yield frozen


def canary_answers() -> int:
    """The answers the canary remembers saving (every checks test shares its memory file)."""
    return sum(len(answers) for answers in json.loads(CANARY_MEMORY.read_text())["answers"].values())


def recovered(run: ChecklistRun) -> None:
    assert run.exit_code == 0 and failed_ids(run) == set(), run.stdout[-3000:]
    assert {r.item_id for r in run.items if r.outcome == "passed"} == RECOVERY_ITEMS


@pytest.mark.parametrize("service", ["backend", "redis"])
def test_recovery_passes_after_a_restart(exam_running, tmp_path, baseline_dir, service):
    saved_before = canary_answers()
    platform = exam_running.platform()
    platform.require(service).restart(timeout=20)
    exam_running.wait_healthy(platform, services=(service,))
    recovered(checklist("recovery", tmp_path, baseline_dir))
    # the canary resumed the same session, found every earlier answer, and saved one more
    assert canary_answers() == saved_before + 1


def test_the_platforms_broken_session_paths_fail_the_canary_naming_the_500(exam_running, tmp_path, baseline_dir):
    """docs/platform.md: at the current commit creating a session answers 500; the canary must say so.
    (Its kept session is untimed, which reads fine: the canary here starts as a new one would.)"""
    kept = CANARY_MEMORY.read_bytes()
    CANARY_MEMORY.unlink()
    inject(exam_running, "sessions-500")
    try:
        run = checklist("recovery", tmp_path, baseline_dir)
    finally:
        clear(exam_running, "sessions-500")
        CANARY_MEMORY.write_bytes(kept)  # no session was made: the kept one is still the canary's
    # the canary's own request crashed, and the backend's log shows it
    fails_exactly(run, {"REC-SES-01": "HTTP 500", "REC-OBS-03": "POST /v1/sessions -> null (crashed)"})


def hand_in_as_canary(session_id: str, tmp_path: Path) -> None:
    """Submit a session of the canary's through the API, as the student would."""
    config = load_config(sandbox_config(tmp_path / "hand-in"))
    api = api_probe(config)
    try:
        student = StudentClient(api, config.flow, config.canary.username, config.canary.password.get_secret_value())
        student.sign_in()
        student.submit(session_id)
    finally:
        api.close()


def test_a_lost_canary_session_fails_naming_both_ids_and_the_next_round_resumes(exam_running, tmp_path,
                                                                                baseline_dir):
    kept = CANARY_MEMORY.read_bytes()
    gone = str(uuid.uuid4())  # a session the platform does not know: as if it were lost
    CANARY_MEMORY.write_text(json.dumps({"session_id": gone, "answers": {gone: {"q-1": 0, "q-2": 1}}}))
    try:
        lost = checklist("recovery", tmp_path / "lost", baseline_dir)
        again = checklist("recovery", tmp_path / "again", baseline_dir)
        started = json.loads(CANARY_MEMORY.read_text())["session_id"]
    finally:
        CANARY_MEMORY.write_bytes(kept)
    hand_in_as_canary(started, tmp_path)  # the canary keeps one open session, the one it had
    canary = fails_for(lost, "REC-SES-01", f"session {gone} is gone (404), with 2 saved answer(s)")
    assert failed_ids(lost) == {"REC-SES-01"}, lost.stdout[-3000:]
    assert f"a new session, {started}" in canary.message, canary.message
    # one incident fails one round; POST-INT-01 rightly sees the canary's two open sessions until one is handed in
    assert failed_ids(again) == {"POST-INT-01"}, again.stdout[-3000:]
    assert [r.outcome for r in again.by_id("REC-SES-01")] == ["passed"]


def test_recovery_fails_clearly_while_the_backend_is_down(exam_running, tmp_path, baseline_dir):
    exam_running.compose.stop("backend")
    try:
        run = checklist("recovery", tmp_path, baseline_dir)
    finally:
        exam_running.compose.start("backend")
        exam_running.wait_healthy(exam_running.platform(), services=("backend",))
    assert run.exit_code == 1
    assert failed_ids(run) == {"REC-HLT-01", "REC-SES-01", "REC-OBS-01", "REC-OBS-02", "REC-OBS-03"}, run.stdout[-3000:]
    fails_for(run, "REC-HLT-01", "/health answered 502")
    fails_for(run, "REC-OBS-03", "exam_platform_backend is exited")
    # the database is up: integrity is still checked, and holds
    assert {"POST-INT-01", "POST-INT-02"} <= run.ids_with("passed")


def crash_some_requests(tmp_path: Path, count: int = 100) -> list[int]:
    """Requests to a session route, which the handler-crashes fault makes raise about one in ten times
    (0.9^100: all 100 pass by chance once in 38,000 runs)."""
    api = api_probe(load_config(sandbox_config(tmp_path / "requests")))
    try:
        path = api.url_for(f"sessions/{uuid.uuid4()}").path
        return [api.get(path).status for _ in range(count)]
    finally:
        api.close()


def test_crashes_since_the_restart_fail_the_log_item_and_a_later_recovered_at_passes(exam_running, tmp_path,
                                                                                      baseline_dir):
    inject(exam_running, "handler-crashes")  # recreates the backend: a restart, then crashes after it
    try:
        statuses = crash_some_requests(tmp_path)
        time.sleep(1)
        after = dt.datetime.now(dt.timezone.utc)
        time.sleep(1)
        crashed = checklist("recovery", tmp_path / "crashed", baseline_dir, 1.0, *LOG_ITEM)
        later = checklist("recovery", tmp_path / "later", baseline_dir, 1.0, *LOG_ITEM,
                          f"--recovered-at={after.isoformat()}")
    finally:
        clear(exam_running, "handler-crashes")
    assert 500 in statuses
    result = fails_for(crashed, "REC-OBS-03", "crashed")
    assert "since" in result.message and "(the backend's last start)" in result.message
    assert "(request " in result.message  # the request IDs to look up
    assert result.evidence["tracebacks"] >= 1 and result.evidence["server_error_samples"]
    # No request since the given end of the incident: nothing logged after it, nothing to fail.
    assert later.ids_with("passed") == {"REC-OBS-03"}, later.stdout[-3000:]
