"""Read-only against the target, shown on the sandbox: every phase but the rehearsal together changes no
container and opens at most one database connection; examday's own session refuses a write."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from tests.checks.runner import run_checklist, sandbox_config

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

ALL_BUT_REHEARSAL = "preexam or freeze or during or postexam or recovery"
# What changes a container (exec_create/exec_start, examday's read-only `docker exec`, do not).
CHANGES = {"create", "start", "restart", "stop", "kill", "die", "destroy", "pause", "unpause", "update",
           "rename", "oom"}


def container_events(since: float, until: float) -> list[dict]:
    done = subprocess.run(["docker", "events", "--since", f"{since:.3f}", "--until", f"{until:.3f}",
                           "--filter", "type=container", "--format", "{{json .}}"],
                          capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_every_phase_together_changes_no_container_and_opens_one_database_connection(sandbox, tmp_path):
    counted = tmp_path / "connections.txt"
    os.environ["EXAMDAY_TEST_CONNECTIONS_FILE"] = str(counted)
    config = sandbox_config(tmp_path, baseline={"dir": str(tmp_path / "baselines")})
    since = time.time()
    try:
        run = run_checklist(ALL_BUT_REHEARSAL, tmp_path, f"--target={config}", "-p", "tests.checks.connection_counter")
    finally:
        del os.environ["EXAMDAY_TEST_CONNECTIONS_FILE"]
    until = time.time() + 1
    assert len(run.items) > 60, run.stdout[-3000:]  # every phase ran (whatever its items concluded)
    changed = [f"{e['Action']} {e['Actor']['Attributes'].get('name')}" for e in container_events(since, until)
               if e["Action"].split(":")[0] in CHANGES]
    assert changed == [], changed
    opened = counted.read_text().split()
    assert len(opened) <= 1 and set(opened) <= {"examday"}, opened


def test_a_write_through_examdays_own_session_is_refused(sandbox):
    from examday.config import load_config
    from examday.probes.errors import BadResponse
    from examday.probes.for_target import postgres_probe

    probe = postgres_probe(load_config())
    try:
        with pytest.raises(BadResponse, match="read-only transaction"):
            probe.query("CREATE TABLE examday_must_not_exist (x int)")
        assert probe.scalar("SELECT to_regclass('examday_must_not_exist')") is None
    finally:
        probe.close()
