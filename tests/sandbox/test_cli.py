"""`examday sandbox ...` as an operator runs it: status, and bad input answered with one
clear message and exit code 2 (nothing changed)."""

from __future__ import annotations

import subprocess

import pytest

from examday.sandbox.faults import FAULTS
from examday.sandbox.layout import CONTAINERS
from examday.sandbox.lifecycle import Sandbox
from tests.sandbox.helpers import examday_cli

pytestmark = pytest.mark.sandbox

EXIT_USAGE = 2


def assert_one_error(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == EXIT_USAGE, (done.returncode, done.stdout, done.stderr)
    assert done.stderr.count("error:") == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    message = " ".join(done.stderr.split())  # rich wraps long lines
    for text in expected:
        assert text in message, message


def test_status_lists_every_service_running_and_healthy(sandbox: Sandbox) -> None:
    done = examday_cli("sandbox", "status")

    assert done.returncode == 0, done.stdout + done.stderr
    expected = set(sandbox.expected_services())
    for service, container in CONTAINERS.items():
        line = next((ln for ln in done.stdout.splitlines() if container in ln), None)
        assert line is not None, f"{container} missing from:\n{done.stdout}"
        if service in expected:
            assert "running" in line and "healthy" in line and "unhealthy" not in line, line
    assert f"stage: {sandbox.state.stage()}" in done.stdout


def test_unknown_fault_is_refused(sandbox: Sandbox) -> None:
    faults_before = sandbox.state.faults()

    done = examday_cli("sandbox", "fault", "nope")

    assert_one_error(done, "unknown fault 'nope'", "choose one of:", *FAULTS)
    assert sandbox.state.faults() == faults_before


def test_unknown_stage_is_refused(sandbox: Sandbox) -> None:
    stage_before = sandbox.state.stage()

    done = examday_cli("sandbox", "stage", "nope")

    assert_one_error(done, "unknown stage 'nope'", "normal, preexam, freeze, during, postexam")
    assert sandbox.state.stage() == stage_before


def test_clearing_a_fault_that_is_not_active_is_refused(sandbox: Sandbox) -> None:
    inactive = next(name for name in FAULTS if name not in sandbox.state.faults())

    done = examday_cli("sandbox", "fault", "--clear", inactive)

    assert_one_error(done, f"fault {inactive} is not active")
    assert inactive not in sandbox.state.faults()


def test_clearing_an_unknown_fault_is_refused() -> None:
    assert_one_error(examday_cli("sandbox", "fault", "--clear", "nope"), "unknown fault 'nope'")
