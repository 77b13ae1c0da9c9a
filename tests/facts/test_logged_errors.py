"""REC-OBS-03's facts: from when errors count (facts/logged_errors.py) and the operator's --recovered-at."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from examday.config import ExamdayConfig
from examday.facts.logged_errors import LoggedErrors, Since, since_recovery
from examday.facts.log_analysis import analyze_lines
from examday.plugin.recovery import parse_recovered_at
from tests.facts.test_log_analysis import answer_end
from tests.checks.test_plugin import make_checklist, run_pytest

NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc)


class StartedAt:
    """Stands in for the Docker engine's inspect: only each container's start time."""

    def __init__(self, **minutes_ago: float | None) -> None:
        self.starts = {name: None if ago is None else NOW - dt.timedelta(minutes=ago) for name, ago in minutes_ago.items()}

    def container(self, name: str) -> SimpleNamespace:
        return SimpleNamespace(started_at=self.starts[name])


def config() -> ExamdayConfig:
    return ExamdayConfig.model_validate({
        "target": {"name": "t", "kind": "sandbox"}, "api": {"base_url": "http://127.0.0.1:9"},
        "logs": {"window_minutes": 15},
        "docker": {"containers": {"backend": "b", "redis": "r", "postgres": "p", "frontend": "f"}}})


def test_the_latest_platform_restart_within_the_window_is_the_start() -> None:
    since = since_recovery(StartedAt(b=60, r=4, p=30, f=1), config(), None, now=NOW)
    # Redis restarted last; the frontend is no part of an incident's end
    assert since == Since(NOW - dt.timedelta(minutes=4), "the redis's last start")


def test_no_restart_within_the_window_counts_from_the_window_start() -> None:
    since = since_recovery(StartedAt(b=600, r=None, p=90, f=1), config(), None, now=NOW)
    assert since.moment == NOW - dt.timedelta(minutes=15) and "log window (15 min)" in since.source


def test_the_operators_time_wins() -> None:
    given = NOW - dt.timedelta(minutes=2)
    assert since_recovery(StartedAt(b=1, r=1, p=1, f=1), config(), given, now=NOW) == Since(given, "--recovered-at")


def test_the_problem_names_counts_since_when_and_the_request_ids_first() -> None:
    summary = analyze_lines([answer_end(None, 3, request_id="req-1"), "Traceback (most recent call last):",
                             "RuntimeError: boom"])
    problem = LoggedErrors(Since(NOW, "the backend's last start"), "b", summary).problem()
    assert problem.startswith("b logged 1 request(s) answered 5xx (1 crashed), 1 traceback(s) since "
                              "2026-12-03T10:00:00Z (the backend's last start)")
    assert "(request req-1)" in problem and "error line" not in problem


def test_recovered_at_takes_iso_times_local_or_zoned() -> None:
    assert parse_recovered_at("2026-12-03T09:30Z", now=NOW) == dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.timezone.utc)
    local = parse_recovered_at("2026-12-03T09:30", now=NOW + dt.timedelta(days=1))
    assert local == dt.datetime(2026, 12, 3, 9, 30).astimezone().astimezone(dt.timezone.utc)


@pytest.mark.parametrize("text, says", [("yesterday", "not a time"), ("2999-01-01T00:00Z", "in the future")])
def test_a_bad_recovered_at_is_one_usage_error_before_anything_runs(tmp_path, text, says) -> None:
    body = '@item("REC-OBS-09", "t", remediation="r")\n@pytest.mark.preexam\ndef test_a():\n    pass\n'
    done = run_pytest(make_checklist(tmp_path, body), f"--recovered-at={text}")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert f"--recovered-at {text!r}" in done.stderr and says in done.stderr
    assert "Traceback" not in done.stderr and "passed" not in done.stdout
