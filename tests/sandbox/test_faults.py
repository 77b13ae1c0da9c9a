"""Each fault changes what the platform says, and `--clear` restores it.

Observed the way examday's checks observe it: a real TLS handshake, a real DNS
query, docker inspect, the invariant SQL, the ready body, processes in the
container. redis-down is in test_sessions.py (with fail-open), freeze-updates-on in
test_flags.py, exam-mode-off and exam-mode-flag-off in test_timeline.py.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import dns.resolver
import httpx
import pytest

from examday.sandbox.layout import API_HOST, OPS_CRONTAB_IN_CONTAINER
from examday.sandbox.state import crontab_entries
from examday.sandbox.lifecycle import Sandbox
from tests.sandbox.helpers import (
    ANSWERS_AFTER_SUBMIT,
    ANSWERS_WITHOUT_SESSION,
    DockerPsql,
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


# -- no-limits, no-log-rotation ------------------------------------------------------------
def limits(sandbox: Sandbox, service: str) -> tuple[int, int]:
    host_config = sandbox.platform().require(service).attrs["HostConfig"]
    return host_config["Memory"], host_config["NanoCpus"]


def test_no_limits(sandbox: Sandbox, inject_fault: Callable[[str], Any]) -> None:
    before = {s: limits(sandbox, s) for s in ("backend", "frontend")}
    assert all(m > 0 and c > 0 for m, c in before.values())
    with inject_fault("no-limits"):
        assert {s: limits(sandbox, s) for s in before} == {s: (0, 0) for s in before}
    assert {s: limits(sandbox, s) for s in before} == before
    assert sandbox.platform().state("backend").ready


def test_no_log_rotation(sandbox: Sandbox, inject_fault: Callable[[str], Any]) -> None:
    def log_config() -> dict[str, Any]:
        return sandbox.platform().require("backend").attrs["HostConfig"]["LogConfig"]

    assert log_config()["Config"].get("max-size") == "10m"
    with inject_fault("no-log-rotation"):
        config = log_config()
        assert config["Type"] == "json-file" and config["Config"].get("max-size") in (None, "-1")
    assert log_config()["Config"].get("max-size") == "10m"


# -- stale-backup ------------------------------------------------------------------------
def newest_backup_age_hours(sandbox: Sandbox) -> float:
    """Age of the newest backup_*.dump in the ops container's /backups."""
    container = sandbox.platform().client.containers.get(sandbox.platform().container_name("ops"))
    stream, _stat = container.get_archive("/backups")
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        dumps = [m.mtime for m in archive.getmembers()
                 if m.isfile() and m.name.rsplit("/", 1)[-1].startswith("backup_") and m.name.endswith(".dump")]
    assert dumps, "no backup_*.dump in /backups"
    return (time.time() - max(dumps)) / 3600


def active_crontab_lines(sandbox: Sandbox) -> list[str]:
    text = sandbox.platform().exec_checked("ops", ["cat", OPS_CRONTAB_IN_CONTAINER])
    return crontab_entries(text)


def test_stale_backup(sandbox: Sandbox, inject_fault: Callable[[str], Any]) -> None:
    assert newest_backup_age_hours(sandbox) < 2
    assert any("pg-backup.sh" in line for line in active_crontab_lines(sandbox))
    with inject_fault("stale-backup"):
        assert newest_backup_age_hours(sandbox) > 48
        assert not any("pg-backup.sh" in line for line in active_crontab_lines(sandbox))
    assert any("pg-backup.sh" in line for line in active_crontab_lines(sandbox))
    assert newest_backup_age_hours(sandbox) < 0.5  # clearing takes a backup at once


# -- cron-job-enabled, job-running ----------------------------------------------------------
def test_cron_job_enabled(sandbox: Sandbox, inject_fault: Callable[[str], Any]) -> None:
    before = active_crontab_lines(sandbox)
    with inject_fault("cron-job-enabled"):
        assert any("app.jobs.run revision_queue_regen" in line for line in active_crontab_lines(sandbox))
    assert active_crontab_lines(sandbox) == before


def ops_processes(sandbox: Sandbox) -> list[str]:
    return sandbox.platform().exec_checked("ops", ["ps", "-eo", "args", "--no-headers"]).splitlines()


def test_job_running(sandbox: Sandbox, inject_fault: Callable[[str], Any]) -> None:
    command = "python -m app.jobs.run revision_queue_regen"
    assert command not in ops_processes(sandbox)
    with inject_fault("job-running"):
        assert command in [line.strip() for line in ops_processes(sandbox)]
    wait_for(lambda: command not in [line.strip() for line in ops_processes(sandbox)], 10, "the job process gone")


# -- handler-crashes, sessions-500, no-proxy-headers: the backend's extensions and flags -----
def backend_log_lines(sandbox: Sandbox, since: int) -> list[dict[str, Any]]:
    raw = sandbox.platform().require("backend").logs(since=since).decode(errors="replace")
    lines = []
    for line in raw.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def fresh(client: httpx.Client) -> httpx.Client:
    """A new connection per request: a recreated backend drops kept-alive connections, and
    uvicorn closes a connection after a handler raised (the next request on it would fail)."""
    return httpx.Client(base_url=client.base_url, timeout=30, headers={"Connection": "close"})


def test_handler_crashes(sandbox: Sandbox, inject_fault: Callable[[str], Any], backend_http: httpx.Client) -> None:
    with inject_fault("handler-crashes"), fresh(backend_http) as backend_http:
        since = int(time.time()) - 1
        crashed: list[httpx.Response] = []
        for n in range(200):
            reply = backend_http.post(f"{API_PREFIX}/auth/refresh", json={"refresh_token": "x" * 20},
                                      headers={"X-Request-ID": f"examday-crash-{n}"})
            if reply.status_code == 500:
                crashed.append(reply)
            if len(crashed) >= 3:
                break
        assert crashed, "no request crashed in 200"
        assert all("x-request-id" not in r.headers for r in crashed)
        crash_ids = {f"examday-crash-{n}" for n in range(200)}

        def crashed_end_lines() -> list[dict[str, Any]]:
            return [line for line in backend_log_lines(sandbox, since)
                    if line.get("event") == "request.end" and line.get("request_id") in crash_ids
                    and line.get("status_code") is None]

        ends = wait_for(crashed_end_lines, 10, "request.end lines with status_code null")
        assert all(line["level"] == "info" for line in ends)
    with fresh(backend_http) as client:
        assert client.get(f"{API_PREFIX}/ready").status_code == 200


def test_sessions_500(inject_fault: Callable[[str], Any], backend_http: httpx.Client,
                      login: Callable[..., dict[str, str]], new_student: Callable[[], str]) -> None:
    # two students: one open session each (two for one student is what POST-INT-01 reports)
    untimed_student, timed_student = login(new_student()), login(new_student())
    body = {"mode": "EXAM", "year": 1, "blocks": ["A"], "count": 3}
    untimed = backend_http.post(f"{API_PREFIX}/sessions", json=body, headers=untimed_student).json()["session_id"]
    timed = backend_http.post(f"{API_PREFIX}/sessions", json={**body, "duration_seconds": 3600},
                              headers=timed_student).json()["session_id"]
    with inject_fault("sessions-500"), fresh(backend_http) as backend_http:
        assert backend_http.post(f"{API_PREFIX}/sessions", json=body, headers=untimed_student).status_code == 500
        assert backend_http.get(f"{API_PREFIX}/sessions/{timed}", headers=timed_student).status_code == 500
        assert backend_http.get(f"{API_PREFIX}/sessions/{untimed}", headers=untimed_student).status_code == 200
    with fresh(backend_http) as client:
        assert client.get(f"{API_PREFIX}/sessions/{timed}", headers=timed_student).status_code == 200


def backend_argv(sandbox: Sandbox) -> str:
    return sandbox.platform().exec_checked("backend", ["ps", "-o", "args=", "-p", "1"]).strip()


def test_no_proxy_headers(sandbox: Sandbox, inject_fault: Callable[[str], Any],
                          login_reply: Callable[..., httpx.Response]) -> None:
    assert "--proxy-headers" in backend_argv(sandbox) and "--forwarded-allow-ips=*" in backend_argv(sandbox)
    with inject_fault("no-proxy-headers"):
        argv = backend_argv(sandbox)
        assert "--proxy-headers" not in argv and "--forwarded-allow-ips" not in argv, argv
        # Different forwarded addresses no longer help: all share the socket address's bucket.
        statuses = [login_reply(f"nobody-{uuid.uuid4().hex[:8]}@exam.localhost", "wrong").status_code
                    for _ in range(7)]
        assert 429 in statuses, statuses
    assert "--proxy-headers" in backend_argv(sandbox)


# -- orphan-answers, duplicate-submit: the invariant SQL finds the planted rows, then none ---------
@pytest.mark.parametrize(("fault", "invariant", "key"), [
    ("orphan-answers", ANSWERS_WITHOUT_SESSION, "session_id"),
    ("duplicate-submit", SESSIONS_SUBMITTED_TWICE, "session_id"),
    ("answer-after-submit", ANSWERS_AFTER_SUBMIT, "session_id"),
])
def test_integrity_faults(inject_fault: Callable[[str], Any], db: DockerPsql,
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
        with httpx.Client(base_url=backend_http.base_url, timeout=120) as slow:
            return slow.get(f"{API_PREFIX}/ready").json()

    assert ready()["status"] == "ok"
    with inject_fault("ready-degraded"):
        body = ready()
        assert body["status"] == "degraded", body
        assert body["checks"]["redis"]["status"] == "down"
        assert body["checks"]["db"]["status"] == "ok"
    wait_for(lambda: ready()["status"] == "ok", 30, "ready back to ok")
