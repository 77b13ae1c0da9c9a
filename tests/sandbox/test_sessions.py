"""Auth and sessions on docs/platform.md's shapes: login body and token claims, create, answer,
resume by id, submit (idempotent), owner only, rate limits, and Redis down."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from examday.sandbox.lifecycle import Sandbox
from tests.sandbox.helpers import API_PREFIX, DockerPsql, rows, wait_for

pytestmark = pytest.mark.sandbox

LOGIN_LIMIT_PER_IP = 5
SESSION = {"mode": "EXAM", "year": 1, "blocks": ["A", "B"], "count": 20}
REDIS_DOWN_REQUEST_TIMEOUT = 120


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def create_session(client: httpx.Client, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    reply = client.post(f"{API_PREFIX}/sessions", json={**SESSION, **overrides}, headers=headers)
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_login_body_and_access_token_claims(login_reply: Callable[..., httpx.Response],
                                            new_student: Callable[[], str]) -> None:
    email = new_student()
    reply = login_reply(email)

    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert set(body) >= {"user", "tokens", "mfa_required"} and body["mfa_required"] is False
    assert set(body["user"]) == {"id", "email", "role", "full_name"}
    assert (body["user"]["email"], body["user"]["role"]) == (email, "STUDENT")
    assert set(body["tokens"]) == {"access_token", "refresh_token", "token_type"}
    assert body["tokens"]["token_type"] == "bearer"
    header = json.loads(base64.urlsafe_b64decode(body["tokens"]["access_token"].split(".")[0] + "=="))
    assert header["alg"] == "HS256"
    access = claims(body["tokens"]["access_token"])
    assert {"sub", "role", "sid", "type"} <= set(access)
    assert (access["sub"], access["role"], access["type"]) == (body["user"]["id"], "STUDENT", "access")
    assert 14 * 60 <= access["exp"] - access["iat"] <= 15 * 60


def test_unverified_email_gets_403_email_not_verified(login_reply: Callable[..., httpx.Response]) -> None:
    reply = login_reply("unverified@exam.localhost")

    assert reply.status_code == 403
    assert reply.json() == {"error": {"code": "EMAIL_NOT_VERIFIED", "message": reply.json()["error"]["message"]}}


def test_refresh_gives_new_tokens(backend_http: httpx.Client, login_reply: Callable[..., httpx.Response],
                                  new_student: Callable[[], str]) -> None:
    refresh_token = login_reply(new_student()).json()["tokens"]["refresh_token"]

    reply = backend_http.post(f"{API_PREFIX}/auth/refresh", json={"refresh_token": refresh_token})

    assert reply.status_code == 200, reply.text
    assert set(reply.json()) == {"tokens"}
    assert claims(reply.json()["tokens"]["access_token"])["type"] == "access"


def test_create_answer_resume_submit(backend_http: httpx.Client, login: Callable[..., dict[str, str]],
                                     new_student: Callable[[], str], db: DockerPsql) -> None:
    headers = login(new_student())
    created = create_session(backend_http, headers)
    assert set(created) == {"session_id", "status", "mode", "total_questions", "started_at", "expires_at",
                            "progress"}
    assert (created["status"], created["mode"], created["total_questions"]) == ("ACTIVE", "EXAM", 20)
    session_id = created["session_id"]

    view = backend_http.get(f"{API_PREFIX}/sessions/{session_id}", headers=headers).json()
    assert set(view) == {"session", "progress", "questions", "current_question"}
    assert len(view["questions"]) == 20
    assert set(view["questions"][0]) == {"position", "question_id", "has_answer", "marked_for_review"}
    first = view["questions"][0]
    question = backend_http.get(f"{API_PREFIX}/sessions/{session_id}/question", params={"index": 1},
                                headers=headers).json()
    assert question["question_id"] == first["question_id"] and len(question["options"]) == 5
    assert "correct_index" not in question

    answer = {"question_id": first["question_id"], "selected_index": 3, "marked_for_review": True}
    saved = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/answer", json=answer, headers=headers)
    repeat = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/answer", json=answer, headers=headers)
    assert saved.status_code == 200, saved.text
    assert set(saved.json()) == {"answer", "progress"}
    assert repeat.json() == saved.json()  # a retried answer is harmless
    assert saved.json()["progress"]["answered"] == 1

    thin = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/answer-thin", headers=headers, json={
        "question_id": view["questions"][1]["question_id"], "selected_index": 0, "index": 2,
        "client_event_id": "examday-test-1"})
    assert thin.status_code == 200, thin.text
    assert (thin.json()["index"], thin.json()["client_event_id"]) == (2, "examday-test-1")

    # Resuming needs the stored session_id: GET by id shows both answers.
    resumed = backend_http.get(f"{API_PREFIX}/sessions/{session_id}", headers=headers).json()
    assert [q["has_answer"] for q in resumed["questions"][:3]] == [True, True, False]
    assert resumed["questions"][0]["marked_for_review"] is True
    assert resumed["progress"]["answered"] == 2

    first_submit = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/submit", headers=headers)
    again = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/submit", headers=headers)
    assert first_submit.status_code == 200, first_submit.text
    assert set(first_submit.json()) == {"session_id", "status", "score_correct", "score_total", "score_pct",
                                        "submitted_at"}
    assert again.json() == first_submit.json() and first_submit.json()["status"] == "SUBMITTED"
    assert rows(db, "SELECT count(*) FROM attempt_events WHERE session_id = %s "
                    "AND event_type = 'SESSION_SUBMITTED'", (session_id,)) == [(1,)]
    assert rows(db, "SELECT count(*) FROM session_answers WHERE session_id = %s", (session_id,)) == [(20,)]
    late = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/answer", json=answer, headers=headers)
    assert late.status_code == 409


def test_submit_with_an_idempotency_key_replays(backend_http: httpx.Client, login: Callable[..., dict[str, str]],
                                                 new_student: Callable[[], str]) -> None:
    headers = login(new_student())
    session_id = create_session(backend_http, headers, count=5)["session_id"]
    key = {"Idempotency-Key": f"examday-{uuid.uuid4()}"}

    first = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/submit", headers={**headers, **key})
    second = backend_http.post(f"{API_PREFIX}/sessions/{session_id}/submit", headers={**headers, **key})

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()


def test_only_the_owner_sees_a_session(backend_http: httpx.Client, login: Callable[..., dict[str, str]],
                                       new_student: Callable[[], str]) -> None:
    owner, other = login(new_student()), login(new_student())
    session_id = create_session(backend_http, owner, count=3)["session_id"]

    assert backend_http.get(f"{API_PREFIX}/sessions/{session_id}", headers=other).status_code == 404
    assert backend_http.get(f"{API_PREFIX}/sessions/{session_id}").status_code == 401


def test_there_is_no_exam_code_and_no_my_sessions_route(backend_http: httpx.Client,
                                                        login: Callable[..., dict[str, str]],
                                                        new_student: Callable[[], str]) -> None:
    headers = login(new_student())
    for path in ("/exams", "/sessions", "/auth/me", "/system/exam-mode"):
        assert backend_http.get(f"{API_PREFIX}{path}", headers=headers).status_code in (404, 405), path


def wait_for_a_fresh_window() -> None:
    into_window = time.time() % 60
    if into_window > 45:
        time.sleep(60 - into_window + 0.5)


def test_login_is_limited_to_5_a_minute_per_client_address(login_reply: Callable[..., httpx.Response]) -> None:
    address = f"10.250.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    wait_for_a_fresh_window()
    replies = [login_reply(f"nobody-{uuid.uuid4().hex[:8]}@exam.localhost", "wrong", address=address)
               for _ in range(LOGIN_LIMIT_PER_IP + 2)]

    statuses = [r.status_code for r in replies]
    assert statuses[:LOGIN_LIMIT_PER_IP] == [401] * LOGIN_LIMIT_PER_IP, statuses
    assert statuses[LOGIN_LIMIT_PER_IP:] == [429, 429], statuses
    assert replies[-1].json()["error"]["code"] == "RATE_LIMITED"
    assert int(replies[-1].headers["Retry-After"]) > 0


def test_with_redis_down_ready_says_down_and_auth_fails_open(
        sandbox: Sandbox, inject_fault: Callable[[str], Any], backend_http: httpx.Client,
        login_reply: Callable[..., httpx.Response], new_student: Callable[[], str]) -> None:
    student = new_student()
    refresh_token = login_reply(student).json()["tokens"]["refresh_token"]
    address = "10.251.0.1"
    with inject_fault("redis-down"):
        assert sandbox.platform().state("redis").status == "exited"
        with httpx.Client(base_url=backend_http.base_url, timeout=REDIS_DOWN_REQUEST_TIMEOUT) as slow, \
                ThreadPoolExecutor(max_workers=LOGIN_LIMIT_PER_IP + 4) as pool:
            ready = pool.submit(lambda: slow.get(f"{API_PREFIX}/ready"))
            logins = [pool.submit(login_reply, student, None, slow, address) for _ in range(LOGIN_LIMIT_PER_IP + 1)]
            refresh = pool.submit(lambda: slow.post(f"{API_PREFIX}/auth/refresh",
                                                    json={"refresh_token": refresh_token}))
            ready_reply, login_statuses = ready.result(), [f.result().status_code for f in logins]
            refresh_reply = refresh.result()

        assert ready_reply.status_code == 200  # always 200: the verdict is in the body
        body = ready_reply.json()
        assert body["status"] == "down" and body["checks"]["redis"]["status"] == "down", body
        assert body["checks"]["db"]["status"] == "ok"
        # The limiter fails open: six logins from one address in a minute all succeed.
        assert login_statuses == [200] * (LOGIN_LIMIT_PER_IP + 1)
        # ... but refresh's limiter fails closed (REDIS_REQUIRED).
        assert refresh_reply.status_code == 429 and refresh_reply.json()["error"]["code"] == "RATE_LIMITED"

    wait_for(lambda: backend_http.get(f"{API_PREFIX}/ready").json()["status"] == "ok", 30,
             "ready back to ok after Redis returned")
