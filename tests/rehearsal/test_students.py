"""Simulated students against the fake platform over real HTTPS: the journey, the ledger, recovery."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from examday.rehearsal import (
    Action,
    AnswerLedger,
    Limits,
    LoadResult,
    Step,
    exam_day,
    numbered_accounts,
    resolve_target,
    run_students,
)
from tests.fixtures.network_servers import API_HOST, Pki
from tests.rehearsal.conftest import PASSWORD, STUDENTS
from tests.rehearsal.fake_platform import FakePlatform, running

@pytest.fixture
def https_port(platform: FakePlatform, pki: Pki) -> Iterator[int]:
    with running(platform, pki.valid) as port:
        yield port


def play(platform_port: int, pki: Pki, plan: list[Step], **limits: float) -> LoadResult:
    target = resolve_target(f"https://{API_HOST}:{platform_port}", resolve={API_HOST: "127.0.0.1"},
                            ca_bundle=pki.ca_pem)
    return run_students(target, plan, numbered_accounts(STUDENTS, PASSWORD), prefix="/v1",
                        seed=3, limits=Limits(concurrency=4, **limits), progress=False)


def a_short_exam() -> list[Step]:
    # 6 students join within 1 s, answer 30/s for 1 s (about 5 each: all 5 questions, some changed), submit
    return exam_day(STUDENTS, join_within_s=1.0, answer_rate_per_s=30, answer_for_s=1.0, submit_within_s=0.5, seed=1)


def stored_agrees_with_ledger(platform: FakePlatform, result: LoadResult) -> None:
    ledger = result.ledger
    assert ledger is not None
    for key, value in ledger.acknowledged.items():
        assert key in platform.stored, f"acknowledged answer {key} is not stored"
        assert ledger.accepts(*key, platform.stored[key]), f"{key}: stored {platform.stored[key]}, acked {value}"


def test_every_student_joins_answers_resumes_and_submits_and_every_acknowledged_answer_is_stored(
        platform: FakePlatform, https_port: int, pki: Pki):
    plan = a_short_exam()
    result = play(https_port, pki, plan)
    answers = sum(step.action is Action.ANSWER for step in plan)
    assert result.error_count == 0 and result.notes == {}
    assert result.answers_acknowledged == len(platform.stored)  # one entry per (session, question)
    assert platform.count("POST /v1/sessions/{id}/answer") == answers
    stored_agrees_with_ledger(platform, result)
    assert result.ledger is not None
    assert set(result.ledger.submitted) == set(platform.sessions) and len(platform.sessions) == STUDENTS
    assert all(session["status"] == "SUBMITTED" for session in platform.sessions.values())
    # one student's journey, in the platform's own order
    journey = platform.requests_of("student001")
    assert journey[:3] == ["POST /v1/auth/login", "POST /v1/sessions", "GET /v1/sessions/{id}"]
    assert journey[-1] == "POST /v1/sessions/{id}/submit" and journey.count("POST /v1/sessions/{id}/submit") == 1
    assert "GET /v1/sessions/{id}" in journey[3:-1]  # the resume, between the answers


def test_answers_refused_by_the_server_are_not_in_the_ledger(platform: FakePlatform, https_port: int, pki: Pki):
    platform.fail_every_nth_answer = 3
    result = play(https_port, pki, a_short_exam())
    assert result.errors == {"5xx": result.outcomes["5xx"]} and result.outcomes["5xx"] > 0
    assert result.notes["answer failed: HTTP 503"] == result.outcomes["5xx"]
    stored_agrees_with_ledger(platform, result)
    assert result.answers_acknowledged == len(platform.stored)


def test_a_later_run_cannot_find_the_earlier_sessions_and_starts_new_ones(
        platform: FakePlatform, https_port: int, pki: Pki):
    def join_and_answer(start: float) -> list[Step]:
        return [Step(start + 0.01 * n, n, Action.JOIN) for n in range(STUDENTS)] + [
            Step(start + 0.3 + 0.01 * n, n, Action.ANSWER) for n in range(STUDENTS)]

    play(https_port, pki, join_and_answer(0.0))
    platform.forget_tokens()  # as a restart would: the next run logs in afresh
    result = play(https_port, pki, join_and_answer(0.0))
    # the platform has no "my sessions" route: a student who did not keep its session id starts anew
    assert len(platform.sessions) == 2 * STUDENTS
    assert len(platform.stored) == 2 * STUDENTS
    assert result.answers_acknowledged == STUDENTS
    stored_agrees_with_ledger(platform, result)


def test_a_student_whose_token_is_revoked_mid_exam_recovers_on_the_next_step(platform: FakePlatform,
                                                                             https_port: int, pki: Pki):
    plan = [Step(0.0, 0, Action.JOIN), Step(0.3, 0, Action.ANSWER), Step(0.9, 0, Action.ANSWER),
            Step(1.2, 0, Action.SUBMIT)]
    threading.Timer(0.6, platform.forget_tokens).start()
    result = play(https_port, pki, plan)
    # the answer at 0.9 s meets a 401 and is lost; the submit logs in again and succeeds
    assert result.notes == {"answer failed: HTTP 401": 1}
    assert result.ledger is not None and len(result.ledger.submitted) == 1
    assert platform.count("POST /v1/auth/login") == 2


def test_more_students_than_accounts_is_refused_before_any_request(platform: FakePlatform, https_port: int,
                                                                  pki: Pki):
    with pytest.raises(ValueError, match="7 students but only 6 accounts"):
        play(https_port, pki, [Step(0.0, 6, Action.JOIN)])
    assert platform.requests == []


def test_the_time_cap_cuts_students_mid_exam_and_the_run_still_reports(platform: FakePlatform, https_port: int,
                                                                       pki: Pki):
    plan = exam_day(STUDENTS, join_within_s=0.2, answer_rate_per_s=20, answer_for_s=5.0, submit_within_s=0.5, seed=2)
    result = play(https_port, pki, plan, max_duration_s=1.0)
    assert result.stopped_by == "max_duration" and result.duration_s <= 1.0
    assert result.ledger is not None and not result.ledger.submitted
    stored_agrees_with_ledger(platform, result)


def test_an_answer_of_an_unexpected_shape_ends_the_step_not_the_run(platform: FakePlatform, https_port: int,
                                                                    pki: Pki):
    platform.questions_without_ids = True
    result = play(https_port, pki, [Step(0.0, 0, Action.JOIN), Step(0.05, 1, Action.JOIN)])
    [(note, count)] = result.notes.items()
    assert count == 2 and note.startswith("join failed: unexpected answer (FlowError:") and "question_id" in note
    assert result.outcomes["2xx"] == 6  # both students' three requests were answered


def test_the_ledger_accepts_an_acknowledged_or_an_unconfirmed_value_and_nothing_else():
    ledger = AnswerLedger()
    ledger.acknowledge("s1", "q1", 1)
    ledger.unsure("s1", "q1", 2)  # timed out after the 2xx: the server may have stored either
    assert ledger.accepts("s1", "q1", 1) and ledger.accepts("s1", "q1", 2)
    assert not ledger.accepts("s1", "q1", 3) and not ledger.accepts("s1", "q1", None)
    assert ledger.missing_from("s1", ["q1", "q2"], {"q1": 3}) == 1  # q2 was never acknowledged
    assert ledger.missing_from("s1", ["q1"], {}) == 1 and ledger.missing_from("s1", ["q1"], {"q1": 2}) == 0
