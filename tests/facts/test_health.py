"""A /health answer is the backend's only when it says {"status": "ok"}."""

from __future__ import annotations

from examday.facts.health import health_problem
from examday.probes.http_observation import HttpObservation


def observed(status: int, json_body: object, text: str = "") -> HttpObservation:
    return HttpObservation(url="https://api.exam.example.org/health", status=status, headers={}, json=json_body,
                           text=text, elapsed_ms=3.0, request_id="r-1")


def test_the_backends_ok_has_no_problem() -> None:
    assert health_problem(observed(200, {"status": "ok"}, '{"status":"ok"}')) is None


def test_a_frontend_page_answering_200_is_not_healthy() -> None:
    problem = health_problem(observed(200, None, "<!doctype html><title>Exam</title>"))
    assert problem is not None and "frontend" in problem and "health_path" in problem


def test_an_error_status_is_named() -> None:
    assert health_problem(observed(503, {"status": "ok"})) == "https://api.exam.example.org/health answered 503"


def test_a_body_that_is_not_ok_is_a_problem() -> None:
    assert health_problem(observed(200, {"status": "degraded"}, '{"status":"degraded"}')) is not None
