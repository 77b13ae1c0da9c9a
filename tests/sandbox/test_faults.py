"""Each fault changes what the platform says, and `--clear` restores it.

Observed the way examday's checks observe it: a real TLS handshake, a real DNS
query, docker inspect, the invariant SQL, the ready body, processes in the
container. redis-down is in test_sessions.py (with fail-open), exam-mode-off and
worker-running in test_timeline.py (they only mean something once exam mode is on).
"""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Callable
from typing import Any

import dns.resolver
import httpx
import psycopg
import pytest

from examday.sandbox.layout import API_HOST
from examday.sandbox.lifecycle import Sandbox
from tests.sandbox.helpers import (
    ANSWERS_WITHOUT_SESSION,
    API_PREFIX,
    SESSIONS_SUBMITTED_TWICE,
    certificate_days_left,
    rows,
    wait_for,
)

pytestmark = pytest.mark.sandbox

CERT_WARNING_DAYS = 14


# -- cert-expiring -----------------------------------------------------------------------
def test_cert_expiring(sandbox: Sandbox, inject_fault: Callable[[str], Any], ports: dict[str, int]) -> None:
    def days_left() -> float:
        return certificate_days_left(ports["EXAMDAY_PORT_HTTPS"], API_HOST, sandbox.paths.ca_bundle)

    assert days_left() > CERT_WARNING_DAYS
    with inject_fault("cert-expiring"):
        assert wait_for(lambda: days_left() < CERT_WARNING_DAYS, 10, "the proxy serving the short certificate")
    assert wait_for(lambda: days_left() > CERT_WARNING_DAYS, 10, "the proxy serving a renewed certificate")


# -- dns-wrong ---------------------------------------------------------------------------
def resolve_api(port: int) -> list[str]:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = ["127.0.0.1"], port
    resolver.lifetime = 3
    return sorted(record.address for record in resolver.resolve(API_HOST, "A"))


def test_dns_wrong(inject_fault: Callable[[str], Any], ports: dict[str, int]) -> None:
    port = ports["EXAMDAY_PORT_DNS"]
    assert resolve_api(port) == ["127.0.0.1"]
    with inject_fault("dns-wrong"):
        wait_for(lambda: resolve_api(port) == ["127.0.0.2"], 10, "DNS answering the stale address")
    wait_for(lambda: resolve_api(port) == ["127.0.0.1"], 10, "DNS answering the right address again")


# -- no-limits ---------------------------------------------------------------------------
def frontend_limits(sandbox: Sandbox) -> tuple[int, int]:
    host_config = sandbox.platform().require("frontend").attrs["HostConfig"]
    return host_config["Memory"], host_config["NanoCpus"]


def test_no_limits(sandbox: Sandbox, inject_fault: Callable[[str], Any]) -> None:
    before = frontend_limits(sandbox)
    assert before[0] > 0 and before[1] > 0
    with inject_fault("no-limits"):
        assert frontend_limits(sandbox) == (0, 0)
    assert frontend_limits(sandbox) == before
    assert sandbox.platform().state("frontend").ready


# -- stale-backup ------------------------------------------------------------------------
def newest_backup_age_hours(sandbox: Sandbox) -> float:
    """Age of the newest dump in /backups, read from the container's filesystem (works stopped too)."""
    container = sandbox.platform().client.containers.get(sandbox.platform().container_name("backup"))
    stream, _stat = container.get_archive("/backups")
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        dumps = [m.mtime for m in archive.getmembers() if m.isfile() and m.name.endswith(".dump")]
    assert dumps, "no dump in /backups"
    return (time.time() - max(dumps)) / 3600


def test_stale_backup(sandbox: Sandbox, inject_fault: Callable[[str], Any]) -> None:
    assert newest_backup_age_hours(sandbox) < 2
    with inject_fault("stale-backup"):
        assert sandbox.platform().state("backup").ready  # the job runs; its schedule is paused
        assert newest_backup_age_hours(sandbox) > 48
        paused = sandbox.platform().exec("backup", ["test", "-e", "/backups/.paused"])[0]
        assert paused == 0
    assert sandbox.platform().state("backup").ready
    assert newest_backup_age_hours(sandbox) < 0.5  # clearing takes a backup at once


# -- orphan-answers, duplicate-submit: the invariant SQL finds the planted rows, then none ---------
@pytest.mark.parametrize(("fault", "invariant", "key"), [
    ("orphan-answers", ANSWERS_WITHOUT_SESSION, "session_id"),
    ("duplicate-submit", SESSIONS_SUBMITTED_TWICE, "session_id"),
])
def test_integrity_faults(inject_fault: Callable[[str], Any], db: psycopg.Connection[Any],
                          fault: str, invariant: str, key: str) -> None:
    assert rows(db, invariant) == [], "the invariant must hold before the fault"
    with inject_fault(fault) as undo:
        violations = rows(db, invariant)
        assert violations, f"{fault} planted nothing the invariant sees"
        assert {str(row[0]) for row in violations} == {undo[key]}
    assert rows(db, invariant) == []


# -- backend-worker-killed -----------------------------------------------------------------
def backend_processes(sandbox: Sandbox) -> list[tuple[int, int, str, str]]:
    output = sandbox.platform().exec_checked("backend", ["ps", "-eo", "pid,ppid,stat,args", "--no-headers"])
    processes = []
    for line in output.splitlines():
        pid, ppid, stat, args = line.split(None, 3)
        processes.append((int(pid), int(ppid), stat, args))
    return processes


def uvicorn_workers(sandbox: Sandbox) -> list[int]:
    """Live children of the uvicorn master started by multiprocessing spawn (not the resource_tracker)."""
    processes = backend_processes(sandbox)
    masters = {pid for pid, _, _, args in processes if "uvicorn" in args and "spawn_main" not in args}
    return [pid for pid, ppid, stat, args in processes
            if ppid in masters and "spawn_main" in args and not stat.startswith("Z")]


def test_backend_worker_killed(sandbox: Sandbox, inject_fault: Callable[[str], Any],
                               backend_http: httpx.Client) -> None:
    container = sandbox.platform().require("backend")
    expected = int(dict(e.split("=", 1) for e in container.attrs["Config"]["Env"])["UVICORN_WORKERS"])
    assert len(uvicorn_workers(sandbox)) == expected

    with inject_fault("backend-worker-killed") as undo:
        killed = undo["killed_pid"]
        alive = {pid for pid, _, stat, _ in backend_processes(sandbox) if not stat.startswith("Z")}
        assert killed not in alive
        # uvicorn's master may already have replaced it; either way the killed one is gone.
        assert killed not in uvicorn_workers(sandbox)

    wait_for(lambda: len(uvicorn_workers(sandbox)) == expected, 30,
             f"{expected} uvicorn workers (UVICORN_WORKERS) after clear")
    wait_for(lambda: backend_http.get("/health").status_code == 200, 30, "the backend answering /health")


# -- ready-degraded ------------------------------------------------------------------------
def test_ready_degraded(inject_fault: Callable[[str], Any], backend_http: httpx.Client) -> None:
    def ready() -> dict[str, Any]:
        return backend_http.get(f"{API_PREFIX}/ready").json()

    assert ready()["status"] == "ok"
    with inject_fault("ready-degraded"):
        body = ready()
        assert body["status"] == "degraded", body
        assert body["checks"]["redis"]["status"] == "down"
        assert "write probe failed" in body["checks"]["redis"]["message"]  # PING alone still answers
        assert body["checks"]["db"]["status"] == "ok"
    wait_for(lambda: ready()["status"] == "ok", 10, "ready back to ok")
