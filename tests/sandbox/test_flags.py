"""Exam mode and freeze-updates: the system_flags rows, switched through the admin API,
reaching every worker within the cache time, and what each flag blocks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.stages import apply_stage, stored_flag
from tests.sandbox.helpers import API_PREFIX, DockerPsql, rows

pytestmark = pytest.mark.sandbox

WORKERS = 3
SESSION = {"mode": "EXAM", "year": 1, "blocks": ["A"], "count": 3}


def fresh_connection_get(base_url: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """A new TCP connection each time, so different uvicorn workers answer."""
    with httpx.Client(base_url=base_url, timeout=15) as client:
        reply = client.get(path, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def set_exam_mode(client: httpx.Client, headers: dict[str, str], enabled: bool) -> httpx.Response:
    phrase = ("ENABLE" if enabled else "DISABLE") + " EXAM MODE"
    return client.post(f"{API_PREFIX}/admin/system/exam-mode", headers=headers,
                       json={"enabled": enabled, "reason": "examday tests", "confirmation_phrase": phrase})


@pytest.fixture
def restore_stage(sandbox: Sandbox) -> Iterator[None]:
    yield
    apply_stage(sandbox, sandbox.state.stage())  # puts the flags back where the stage has them


def test_exam_mode_change_reaches_every_worker_within_the_cache_time(
        sandbox: Sandbox, backend_http: httpx.Client, operator: dict[str, str], restore_stage: None) -> None:
    before = stored_flag(sandbox.platform(), "EXAM_MODE")
    target = not before
    changed = set_exam_mode(backend_http, operator, target)
    assert changed.status_code == 200, changed.text
    assert set(changed.json()) == {"enabled", "updated_at", "updated_by", "reason", "source"}
    assert changed.json()["enabled"] is target
    cache_seconds = sandbox.state.flags_cache_seconds()  # the platform's 10 s; examday's tests set 2
    started = time.monotonic()
    while True:
        views = [fresh_connection_get(str(backend_http.base_url), f"{API_PREFIX}/admin/system/exam-mode", operator)
                 for _ in range(WORKERS * 4)]
        if all(v["enabled"] is target for v in views):
            break
        assert time.monotonic() - started < cache_seconds + 3, views
        time.sleep(0.5)
    assert time.monotonic() - started <= cache_seconds + 3


def test_wrong_confirmation_phrase_is_refused(backend_http: httpx.Client, operator: dict[str, str]) -> None:
    reply = backend_http.post(f"{API_PREFIX}/admin/system/exam-mode", headers=operator,
                              json={"enabled": True, "reason": "x", "confirmation_phrase": "yes please"})
    assert reply.status_code in (400, 422)


def test_a_student_cannot_use_the_admin_api(backend_http: httpx.Client, login: Callable[..., dict[str, str]],
                                            new_student: Callable[[], str]) -> None:
    assert backend_http.get(f"{API_PREFIX}/admin/system/exam-mode", headers=login(new_student())).status_code == 403


def test_exam_mode_blocks_heavy_admin_work_not_sessions_and_is_recorded_at_start(
        sandbox: Sandbox, backend_http: httpx.Client, operator: dict[str, str],
        login: Callable[..., dict[str, str]], new_student: Callable[[], str], db: DockerPsql,
        restore_stage: None) -> None:
    assert set_exam_mode(backend_http, operator, True).status_code == 200
    time.sleep(sandbox.state.flags_cache_seconds() + 1)
    for path in ("/admin/rankings/recompute", "/admin/search/reindex"):
        reply = backend_http.post(f"{API_PREFIX}{path}", headers=operator)
        assert reply.status_code == 423 and reply.json()["error"]["code"] == "EXAM_MODE_ACTIVE", reply.text
    created = backend_http.post(f"{API_PREFIX}/sessions", json=SESSION, headers=login(new_student()))
    assert created.status_code == 201, created.text
    assert rows(db, "SELECT exam_mode_at_start::text, freeze_updates_at_start::text FROM test_sessions "
                    "WHERE id = %s", (created.json()["session_id"],)) == [("true", "false")]


def test_freeze_updates_blocks_answer_and_submit(
        inject_fault: Callable[[str], Any], backend_http: httpx.Client, login: Callable[..., dict[str, str]],
        new_student: Callable[[], str]) -> None:
    headers = login(new_student())
    session_id = backend_http.post(f"{API_PREFIX}/sessions", json=SESSION, headers=headers).json()["session_id"]
    question_id = backend_http.get(f"{API_PREFIX}/sessions/{session_id}", headers=headers).json()[
        "questions"][0]["question_id"]

    with inject_fault("freeze-updates-on"):
        answer = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/answer", headers=headers,
                                   json={"question_id": question_id, "selected_index": 1})
        submit = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/submit", headers=headers)
        for reply in (answer, submit):
            assert reply.status_code == 423, reply.text
            assert reply.json()["error"]["code"] == "FREEZE_UPDATES_ACTIVE"
        # reading still works
        assert backend_http.get(f"{API_PREFIX}/sessions/{session_id}", headers=headers).status_code == 200

    after = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/answer", headers=headers,
                              json={"question_id": question_id, "selected_index": 1})
    assert after.status_code == 200, after.text
