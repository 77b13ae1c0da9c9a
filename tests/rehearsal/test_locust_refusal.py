"""A Locust worker checks the target the master sent against the allowed networks the master sent, on
its own machine, and refuses anything outside: nothing is sent, the master's run fails naming the
reason, and `examday rehearse --worker` exits 2 with one message. No load is ever sent to the refused
address: the check happens before any connection (10.99.0.1 is never contacted)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest

from examday.rehearsal.locust.engine import LocustEngine, LocustRunError
from examday.rehearsal.locust.job import LocustJob

pytestmark = pytest.mark.slow

OUTSIDE = "http://10.99.0.1:8000"  # never contacted: refused before any connection


def refused_job(workers: int) -> LocustJob:
    return LocustJob(base_url=OUTSIDE, workers=workers, max_requests=10, max_duration_s=5.0, timeout_s=1.0,
                     allowed_networks=["127.0.0.0/8"], steps=[(0.0, 0, "join")], lead_s=0.5)


def test_a_local_worker_refuses_a_target_outside_the_allowed_networks(monkeypatch):
    monkeypatch.setenv("EXAMDAY_REHEARSAL_PASSWORD", "unused")
    with pytest.raises(LocustRunError) as refused:
        LocustEngine(processes=1, wait_for_workers_s=30).run(refused_job(1), "StudentUser", 2, planned=3)
    message = str(refused.value)
    assert "refused" in message and "10.99.0.1" in message and "outside the target's own networks" in message


def test_a_remote_worker_exits_2_with_one_message(monkeypatch):
    monkeypatch.setenv("EXAMDAY_REHEARSAL_PASSWORD", "unused")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome: dict[str, BaseException] = {}

    def master() -> None:
        try:
            LocustEngine(processes=0, expect_workers=1, port=port, wait_for_workers_s=60).run(
                refused_job(1), "StudentUser", 2, planned=3)
        except LocustRunError as error:
            outcome["error"] = error

    thread = threading.Thread(target=master, daemon=True)
    thread.start()
    worker = subprocess.run([sys.executable, "-m", "examday.cli.main", "rehearse", "--worker", "--master-host",
                             "127.0.0.1", "--master-port", str(port)], capture_output=True, text=True, timeout=120)
    thread.join(timeout=60)
    assert worker.returncode == 2, worker.stdout + worker.stderr
    assert worker.stderr.count("error:") == 1 and "10.99.0.1" in worker.stderr, worker.stderr
    assert "Traceback" not in worker.stdout + worker.stderr
    assert "refused" in str(outcome.get("error"))
