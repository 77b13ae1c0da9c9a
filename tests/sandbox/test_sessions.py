"""Sessions, answers, submit and login: idempotent where promised, limited, and failing open."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest

from examday.sandbox.lifecycle import Sandbox
from tests.sandbox.helpers import API_PREFIX, rows, wait_for

pytestmark = pytest.mark.sandbox

LOGIN_LIMIT_PER_MINUTE = 10  # RATE_LIMIT_LOGIN_PER_MINUTE in the sandbox's platform.env
REDIS_DOWN_REQUEST_TIMEOUT = 60


def open_session(client: httpx.Client, headers: dict[str, str], exam_id: str) -> dict[str, Any]:
    """Create, or resume (an earlier run or the simulated students may have left one ACTIVE)."""
    reply = client.post(f"{API_PREFIX}/sessions", json={"exam_id": exam_id}, headers=headers)
    assert reply.status_code in (200, 201), reply.text
    session_id = reply.json()["id"]
    state = client.get(f"{API_PREFIX}/sessions/{session_id}/state", headers=headers)
    assert state.status_code == 200, state.text
    return state.json()


def unanswered_question(state: dict[str, Any]) -> dict[str, Any]:
    answered = {a["question_id"] for a in state["answers"] if a["selected_index"] is not None}
    return next((q for q in state["questions"] if q["question_id"] not in answered), state["questions"][0])


def throwaway_username() -> str:
    """An account that does not exist, so its login counter never blocks a real student."""
    return f"examday-test-nobody-{uuid.uuid4().hex[:12]}"


def wait_for_a_fresh_login_window() -> None:
    # The limiter counts per fixed minute: do not start a burst a moment before it rolls over.
    into_window = time.time() % 60
    if into_window > 50:
        time.sleep(60 - into_window + 0.5)


def test_a_repeated_answer_gives_the_same_body_and_one_row(
        backend_http: httpx.Client, login: Callable[..., dict[str, str]], new_student: Callable[[], str],
        exam_ids: dict[str, str], db: psycopg.Connection[Any]) -> None:
    headers = login(new_student())
    state = open_session(backend_http, headers, exam_ids["MED-2026-A"])
    session_id = state["session"]["id"]
    question = unanswered_question(state)
    answer = {"question_id": question["question_id"], "selected_index": 1}

    first = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/answers", json=answer, headers=headers)
    repeat = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/answers", json=answer, headers=headers)

    assert first.status_code == 200, first.text
    assert repeat.status_code == 200, repeat.text
    assert repeat.json() == first.json()
    assert first.json()["selected_index"] == 1
    stored = rows(db, "SELECT selected_index FROM session_answers WHERE session_id = %s AND question_id = %s",
                  (session_id, question["question_id"]))
    assert stored == [(1,)]


def test_a_repeated_submit_gives_the_same_result_and_one_event(
        backend_http: httpx.Client, login: Callable[..., dict[str, str]], new_student: Callable[[], str],
        exam_ids: dict[str, str], db: psycopg.Connection[Any]) -> None:
    headers = login(new_student())
    state = open_session(backend_http, headers, exam_ids["MED-2026-B"])
    session_id = state["session"]["id"]
    question = unanswered_question(state)
    saved = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/answers", headers=headers,
                              json={"question_id": question["question_id"], "selected_index": 0})
    assert saved.status_code == 200, saved.text

    first = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/submit", headers=headers)
    repeat = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/submit", headers=headers)

    assert first.status_code == 200, first.text
    assert repeat.status_code == 200, repeat.text
    assert repeat.json() == first.json()
    assert first.json()["status"] == "SUBMITTED"
    events = rows(db, "SELECT count(*) FROM attempt_events WHERE session_id = %s "
                      "AND event_type = 'SESSION_SUBMITTED'", (session_id,))
    assert events == [(1,)]
    # Closed means closed: a late answer is refused, not stored after the submit.
    late = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/answers", headers=headers,
                             json={"question_id": question["question_id"], "selected_index": 2})
    assert late.status_code == 409
    assert rows(db, "SELECT count(*) FROM session_answers WHERE session_id = %s", (session_id,)) == [
        (state["session"]["total_questions"],)]


def test_login_is_limited_per_username_counting_failed_attempts(backend_http: httpx.Client) -> None:
    username = throwaway_username()
    wait_for_a_fresh_login_window()
    codes = [backend_http.post(f"{API_PREFIX}/auth/login", json={"username": username, "password": "wrong"})
             for _ in range(LOGIN_LIMIT_PER_MINUTE + 2)]

    statuses = [reply.status_code for reply in codes]
    # Every attempt failed (401) and still counted: the one past the limit is refused.
    assert statuses[:LOGIN_LIMIT_PER_MINUTE] == [401] * LOGIN_LIMIT_PER_MINUTE, statuses
    assert statuses[LOGIN_LIMIT_PER_MINUTE:] == [429, 429], statuses
    assert int(codes[-1].headers["Retry-After"]) > 0


def test_with_redis_down_requests_are_served_and_login_works(
        sandbox: Sandbox, inject_fault: Callable[[str], Any], backend_http: httpx.Client,
        login: Callable[..., dict[str, str]], new_student: Callable[[], str]) -> None:
    student, stranger = new_student(), throwaway_username()

    def login_and_ask_who_am_i(client: httpx.Client) -> httpx.Response:
        return client.get(f"{API_PREFIX}/auth/me", headers=login(student, client=client))

    def failed_login(client: httpx.Client) -> int:
        return client.post(f"{API_PREFIX}/auth/login",
                           json={"username": stranger, "password": "wrong"}).status_code

    with inject_fault("redis-down"):
        assert sandbox.platform().state("redis").status == "exited"
        started = time.monotonic()
        # Every Redis call may now cost seconds (its name no longer resolves), so the
        # requests run side by side with a generous timeout instead of one after another.
        with httpx.Client(base_url=backend_http.base_url, timeout=REDIS_DOWN_REQUEST_TIMEOUT) as slow, \
                ThreadPoolExecutor(max_workers=LOGIN_LIMIT_PER_MINUTE + 3) as pool:
            ready = pool.submit(lambda: slow.get(f"{API_PREFIX}/ready").json())
            me = pool.submit(login_and_ask_who_am_i, slow)
            attempts = [pool.submit(failed_login, slow) for _ in range(LOGIN_LIMIT_PER_MINUTE + 1)]
            ready_body, me_reply = ready.result(), me.result()
            statuses = [attempt.result() for attempt in attempts]
        assert time.monotonic() - started < 2 * REDIS_DOWN_REQUEST_TIMEOUT

        assert ready_body["status"] == "degraded", ready_body
        assert ready_body["checks"]["redis"]["status"] == "down"
        assert ready_body["checks"]["db"]["status"] == "ok"
        # Fail open: auth is checked in PostgreSQL, and the limiter lets everything through.
        assert me_reply.status_code == 200 and me_reply.json()["username"] == student
        assert statuses == [401] * (LOGIN_LIMIT_PER_MINUTE + 1), "no 429 while the limiter cannot count"

    assert sandbox.platform().state("redis").ready
    assert sandbox.platform().exec_checked("redis", ["redis-cli", "ping"]).strip() == "PONG"
    wait_for(lambda: backend_http.get(f"{API_PREFIX}/ready").json()["status"] == "ok", 15,
             "ready back to ok after Redis returned")
    assert backend_http.get(f"{API_PREFIX}/auth/me", headers=login(new_student())).status_code == 200
