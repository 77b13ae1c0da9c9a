"""Silent logs: a failure during the exam's window, not applicable outside it, unknown without one."""

from __future__ import annotations

import datetime as dt

from examday.config import ExamdayConfig
from examday.facts.traffic import judge_silence

STARTS = dt.datetime(2030, 6, 1, 9, 0, tzinfo=dt.timezone.utc)


def config(with_exam: bool = True) -> ExamdayConfig:
    data: dict = {"target": {"name": "t", "kind": "production"}, "api": {"base_url": "http://127.0.0.1:9"},
                  "logs": {"window_minutes": 5}}
    if with_exam:
        data["exam"] = {"id": "EXAM-42", "starts_at": STARTS, "ends_at": STARTS + dt.timedelta(hours=3)}
    return ExamdayConfig.model_validate(data)


def test_silence_during_the_exam_is_lost_traffic_or_logs() -> None:
    silence = judge_silence(config(), now=STARTS + dt.timedelta(minutes=40))
    assert silence.live is True
    assert "no requests logged in the last 5 min during the live exam EXAM-42" in silence.message
    assert "lost" in silence.message


def test_silence_before_and_after_the_exam_is_normal() -> None:
    for moment in (STARTS - dt.timedelta(minutes=1), STARTS + dt.timedelta(hours=3)):
        silence = judge_silence(config(), "requests on a route with a target", now=moment)
        assert silence.live is False and "is not live (2030-06-01 09:00 UTC to 2030-06-01 12:00 UTC)" in silence.message


def test_without_an_exam_window_examday_cannot_tell_and_says_what_to_set() -> None:
    silence = judge_silence(config(with_exam=False))
    assert silence.live is None and "set [exam] starts_at and ends_at" in silence.message
