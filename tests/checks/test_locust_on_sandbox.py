"""The Redis drill with its students on Locust, master and workers, against the sandbox: the same
verdict as the built-in engine, on the healthy sandbox and with rate limiting that fails closed.

The two workers are `examday rehearse --worker --master-host 127.0.0.1` processes, exactly what an
operator starts on other machines: they get the target, the plan and the caps from the master.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from examday.rehearsal.locust.job import PASSWORD_ENV
from examday.sandbox.faults import clear, inject
from examday.sandbox.lifecycle import Sandbox
from tests.checks.conftest import at_stage
from tests.checks.runner import REPO, ChecklistRun, run_checklist, sandbox_config

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

# As short as the drill can honestly be: 6 s steady on either side, Redis down 20 s, 40 students.
SHORT = {"steady_seconds": 6, "redis_outage_seconds": 20, "students": 40}
# What a REH-RED-01 failure names: the cause, as the drill words it.
CAUSES = ("rate limiting did not fail open", "waited for it", "answers lost", "no request was scheduled")


@pytest.fixture(scope="module")
def frozen(sandbox: Sandbox) -> Iterator[Sandbox]:
    yield from at_stage(sandbox, "freeze")


@pytest.fixture
def workers() -> Iterator[int]:
    """Two Locust workers for a master on this machine (the port they join); ended by their pids."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    password = (REPO / "sandbox" / ".state" / "student-password").read_text().rstrip("\r\n")
    env = {**os.environ, PASSWORD_ENV: password}
    argv = [sys.executable, "-m", "examday.cli.main", "rehearse", "--worker", "--master-host", "127.0.0.1",
            "--master-port", str(port)]
    started = [subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(2)]
    try:
        yield port
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def redis_drill(tmp_path: Path, *engine: str) -> ChecklistRun:
    config = sandbox_config(tmp_path, rehearsal=SHORT)
    return run_checklist("rehearsal", tmp_path, f"--target={config}", "-k", "redis", *engine, timeout=300)


def verdict(run: ChecklistRun) -> tuple[str, str | None]:
    [result] = run.by_id("REH-RED-01")
    cause = next((c for c in CAUSES if c in result.message), None) if result.outcome != "passed" else None
    return result.outcome, cause


def error_classes(run: ChecklistRun) -> set[str]:
    [result] = run.by_id("REH-RED-01")
    return set(result.evidence["errors_by_class"])


def locust_master(port: int) -> tuple[str, ...]:
    return ("--examday-engine=locust", "--examday-locust-processes=0", "--examday-locust-expect-workers=2",
            f"--examday-locust-port={port}", "--examday-locust-wait=60")


def both_engines(tmp_path: Path, port: int) -> tuple[ChecklistRun, ChecklistRun]:
    builtin = redis_drill(tmp_path / "builtin")
    on_locust = redis_drill(tmp_path / "locust", *locust_master(port))
    return builtin, on_locust


def test_healthy_sandbox_same_verdict_on_locust_as_built_in(frozen, workers, tmp_path):
    builtin, on_locust = both_engines(tmp_path, workers)
    assert verdict(on_locust) == verdict(builtin), (verdict(builtin), on_locust.stdout[-3000:])
    [result] = on_locust.by_id("REH-RED-01")
    evidence = result.evidence
    assert evidence["load_engine"] == "locust" and evidence["load_workers"] == 2, evidence
    assert evidence["reconciliation"]["acknowledged_answers"] > 0, evidence
    assert evidence["reconciliation"]["missing_or_different"] == 0, evidence
    window = evidence["fault_window_s"]
    assert window[0] >= SHORT["steady_seconds"] - 0.5 and window[1] - window[0] >= SHORT["redis_outage_seconds"]
    assert evidence["throughput_rps"] > 0 and evidence["latency_ms"]["p95"] > 0
    # The platform's own trap (no circuit breaker) may fail the drill here too, but never as the fault
    # below does: nothing is refused with 429 when rate limiting fails open.
    assert "429" not in error_classes(builtin) | error_classes(on_locust), (error_classes(builtin),
                                                                           error_classes(on_locust))


def test_rate_limiting_that_fails_closed_breaks_the_promise_on_both_engines(frozen, workers, tmp_path):
    inject(frozen, "rate-limit-fails-closed")
    try:
        builtin, on_locust = both_engines(tmp_path, workers)
    finally:
        clear(frozen, "rate-limit-fails-closed")
    assert verdict(builtin) == ("failed", "rate limiting did not fail open"), builtin.stdout[-3000:]
    assert verdict(on_locust) == verdict(builtin), on_locust.stdout[-3000:]
    assert "429" in error_classes(builtin) and "429" in error_classes(on_locust), (error_classes(builtin),
                                                                                   error_classes(on_locust))
