"""Reversible faults: `examday sandbox fault NAME` and `fault --clear [NAME]`.

Each fault breaks one thing the runbook cares about, the way it breaks in real
life (a stopped container, a configuration reverted, a record corrupted), so
that every check can be seen failing for the right reason. Active faults are
kept in .state/faults.json with what is needed to undo them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from examday.probes.capacity import uvicorn_trees
from examday.probes.host import ProcessInfo
from examday.sandbox import pki
from examday.sandbox.errors import SandboxError
from examday.sandbox.layout import API_HOST, CONTAINERS
from examday.sandbox.lifecycle import Sandbox, reload_proxy
from examday.sandbox.stages import admin_api, apply_stage, set_flag, wait_for_flag_caches
from examday.sandbox.state import read_env_file, write_env_file
from examday.sandbox.timeline import STAGES

Undo = dict[str, Any]
WORKER_REPLACEMENT_SECONDS = 10


@dataclass(frozen=True)
class Fault:
    name: str
    summary: str
    apply: Callable[[Sandbox], Undo]
    clear: Callable[[Sandbox, Undo], None]


# -- helpers ---------------------------------------------------------------------
def _psql(sandbox: Sandbox, sql: str) -> str:
    """Run SQL as the database owner inside the postgres container (sandbox only)."""
    return sandbox.platform().exec_checked(
        "postgres", ["psql", "-v", "ON_ERROR_STOP=1", "-qAt", "-U", "exam_user", "-d", "exam_platform",
                     "-c", sql])


def _reapply_stage(sandbox: Sandbox, _undo: Undo) -> None:
    apply_stage(sandbox, sandbox.state.stage())


def _set_compose_vars(sandbox: Sandbox, updates: dict[str, str | None]) -> None:
    values = read_env_file(sandbox.paths.compose_env)
    for key, value in updates.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    write_env_file(sandbox.paths.compose_env, values, "compose variables set by examday sandbox faults")


def _redis_cli(sandbox: Sandbox, *args: str) -> str:
    return sandbox.platform().exec_checked("redis", ["redis-cli", *args])


# -- the faults ---------------------------------------------------------------------
def _restart_backend(sandbox: Sandbox) -> None:
    """Recreate the backend when its compose configuration changed (env file, variables)."""
    # Compose refuses to start it while a dependency is unhealthy, as after a drill that froze
    # the database or stopped Redis (the health check has yet to pass again).
    sandbox.wait_healthy(sandbox.platform(), services=("postgres", "redis"))
    sandbox.compose.up("backend")
    sandbox.wait_healthy(sandbox.platform(), services=("backend",))


def _set_backend_knobs(sandbox: Sandbox, updates: dict[str, str | None]) -> None:
    sandbox.state.set_sandbox_faults_env(updates)
    _restart_backend(sandbox)


def _exam_mode_off(sandbox: Sandbox) -> Undo:
    # An operator switches exam mode off through the admin API (or the stage never had it on).
    if set_flag(sandbox, "EXAM_MODE", False, "examday sandbox fault exam-mode-off"):
        wait_for_flag_caches(sandbox)
    return {}


def _exam_mode_flag_off(sandbox: Sandbox) -> Undo:
    # A stray admin sets the row false straight in the table mid-exam: no API, no audit user.
    _psql(sandbox, "UPDATE system_flags SET value = false, updated_at = now(), updated_by = NULL, "
                   "reason = 'manual UPDATE' WHERE key = 'EXAM_MODE'")
    wait_for_flag_caches(sandbox)
    return {}


def _freeze_updates_on(sandbox: Sandbox) -> Undo:
    if set_flag(sandbox, "FREEZE_UPDATES", True, "examday sandbox fault freeze-updates-on"):
        wait_for_flag_caches(sandbox)
    return {}


def _freeze_updates_off(sandbox: Sandbox, _undo: Undo) -> None:
    if set_flag(sandbox, "FREEZE_UPDATES", False, "examday sandbox fault --clear freeze-updates-on"):
        wait_for_flag_caches(sandbox)


def _cron_job_enabled(sandbox: Sandbox) -> Undo:
    # A job line back in the host's crontab (someone re-enabled it, or never commented it out).
    sandbox.state.write_crontab(("revision_queue_regen",),
                                backup="stale-backup" not in sandbox.state.faults())
    return {}


def _crontab_of_stage(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.state.write_crontab(STAGES[sandbox.state.stage()].enabled_jobs,
                                backup="stale-backup" not in sandbox.state.faults())


JOB_ARGV = ["python", "-m", "app.jobs.run", "revision_queue_regen"]
JOB_PATTERN = "app.jobs.run revision_queue_regen"


def _job_pids(sandbox: Sandbox, service: str) -> list[int]:
    _code, output = sandbox.platform().exec(service, ["pgrep", "-f", JOB_PATTERN])
    return [int(pid) for pid in output.split() if pid.isdigit()]


def _start_held_job(sandbox: Sandbox, service: str) -> Undo:
    """A job started before exam mode went on and still running (held by the sandbox's
    SANDBOX_FAULT_JOB_HOLD_SECONDS knob): `ps` in the container shows its command line."""
    container = sandbox.platform().require(service)
    container.exec_run(["sh", "-c", "cd /app && exec " + " ".join(JOB_ARGV) + " >> /proc/1/fd/1 2>&1"],
                       detach=True, environment={"SANDBOX_FAULT_JOB_HOLD_SECONDS": "7200",
                                                 "PATH": "/opt/venv/bin:/usr/local/bin:/usr/bin:/bin"})
    deadline = time.monotonic() + 10
    while not _job_pids(sandbox, service):
        if time.monotonic() > deadline:
            raise SandboxError(f"the job process did not start in the {service} container",
                               f"see `examday sandbox logs {service}`")
        time.sleep(0.3)
    return {"service": service, "pids": _job_pids(sandbox, service)}


def _job_running(sandbox: Sandbox) -> Undo:
    return _start_held_job(sandbox, "ops")  # the host's cron started it


def _job_in_backend(sandbox: Sandbox) -> Undo:
    # What `docker compose exec backend python -m app.jobs.run KEY` from a crontab, or by hand, leaves.
    return _start_held_job(sandbox, "backend")


def _job_stopped(sandbox: Sandbox, undo: Undo) -> None:
    for pid in undo.get("pids", []):
        sandbox.platform().exec(undo.get("service", "ops"), ["kill", "-TERM", str(int(pid))])


def _sessions_500(sandbox: Sandbox) -> Undo:
    _set_backend_knobs(sandbox, {"SANDBOX_FAULT_SESSIONS_500": "true"})
    return {}


def _sessions_500_cleared(sandbox: Sandbox, _undo: Undo) -> None:
    _set_backend_knobs(sandbox, {"SANDBOX_FAULT_SESSIONS_500": None})


def _handler_crashes(sandbox: Sandbox) -> Undo:
    _set_backend_knobs(sandbox, {"SANDBOX_FAULT_CRASH_SHARE": "0.1"})
    return {}


def _handler_crashes_cleared(sandbox: Sandbox, _undo: Undo) -> None:
    _set_backend_knobs(sandbox, {"SANDBOX_FAULT_CRASH_SHARE": None})


def _rate_limit_fails_closed(sandbox: Sandbox) -> Undo:
    # Not a platform setting: with Redis down, every limited route answers 429.
    _set_backend_knobs(sandbox, {"SANDBOX_FAULT_RATE_LIMIT_FAILS_CLOSED": "true"})
    return {}


def _rate_limit_fails_open(sandbox: Sandbox, _undo: Undo) -> None:
    _set_backend_knobs(sandbox, {"SANDBOX_FAULT_RATE_LIMIT_FAILS_CLOSED": None})


PROXY_FLAG_VARS = ("EXAMDAY_UVICORN_PROXY_HEADERS_FLAG", "EXAMDAY_UVICORN_FORWARDED_ALLOW_IPS_FLAG")


def _no_proxy_headers(sandbox: Sandbox) -> Undo:
    # uvicorn as the platform ships it: no --proxy-headers/--forwarded-allow-ips, so the
    # client address is the proxy's and every student shares one login bucket.
    _set_compose_vars(sandbox, {name: "" for name in PROXY_FLAG_VARS})
    _restart_backend(sandbox)
    return {}


def _proxy_headers_back(sandbox: Sandbox, _undo: Undo) -> None:
    _set_compose_vars(sandbox, {name: None for name in PROXY_FLAG_VARS})
    _restart_backend(sandbox)


def _no_log_rotation(sandbox: Sandbox) -> Undo:
    # json-file with no size limit, as the platform ships it. Docker has no "unlimited"
    # value for max-size, so the option must go: the backend is recreated from a copy of
    # the compose file without its logging options (sandbox/.state/docker-compose.faulted.yml).
    config = yaml.safe_load(sandbox.paths.compose_file.read_text())
    config["services"]["backend"]["logging"] = {"driver": "json-file"}
    sandbox.paths.faulted_compose_file.write_text(
        "# Written by the no-log-rotation fault: the backend without log rotation.\n"
        + yaml.safe_dump(config, sort_keys=False))
    _restart_backend(sandbox)
    return {}


def _log_rotation_back(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.paths.faulted_compose_file.unlink(missing_ok=True)
    _restart_backend(sandbox)


def _redis_down(sandbox: Sandbox) -> Undo:
    sandbox.compose.stop("redis")
    return {}


def _redis_up(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.compose.start("redis")
    sandbox.wait_healthy(sandbox.platform(), services=("redis",))


def _stale_backup(sandbox: Sandbox) -> Undo:
    # The host's backup line commented out of the crontab, and every dump three days old:
    # what a silently broken backup cron looks like.
    sandbox.state.write_crontab(STAGES[sandbox.state.stage()].enabled_jobs, backup=False)
    sandbox.platform().exec_checked("ops", [
        "sh", "-c", "for f in /backups/backup_*.dump; do [ -e \"$f\" ] && touch -d '3 days ago' \"$f\"; done; true"])
    return {}


def _fresh_backup(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.state.write_crontab(STAGES[sandbox.state.stage()].enabled_jobs, backup=True)
    sandbox.platform().exec_checked("ops", ["/usr/local/bin/pg-backup.sh"])


def _reissue_api_cert(sandbox: Sandbox, days: int) -> None:
    pki.issue_server_certificate(sandbox.paths.ca_dir, sandbox.paths.certs_dir, API_HOST, days=days)
    reload_proxy(sandbox.platform())


def _cert_expiring(sandbox: Sandbox) -> Undo:
    _reissue_api_cert(sandbox, days=5)
    return {}


def _cert_renewed(sandbox: Sandbox, _undo: Undo) -> None:
    _reissue_api_cert(sandbox, days=pki.NORMAL_LEAF_DAYS)


def _reload_dns(sandbox: Sandbox) -> None:
    sandbox.platform().require("dns").kill(signal="SIGHUP")  # dnsmasq re-reads its hosts file


def _dns_wrong(sandbox: Sandbox) -> Undo:
    # A stale record: still loopback, so nothing can leave this machine by it.
    sandbox.state.write_dns_hosts(api_address="127.0.0.2")
    _reload_dns(sandbox)
    return {}


def _dns_right(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.state.write_dns_hosts()
    _reload_dns(sandbox)


LIMIT_VARS = ("EXAMDAY_BACKEND_MEM_LIMIT", "EXAMDAY_BACKEND_CPUS", "EXAMDAY_FRONTEND_MEM_LIMIT",
              "EXAMDAY_FRONTEND_CPUS")


def _no_limits(sandbox: Sandbox) -> Undo:
    # 0 means "no limit" to Docker: backend and frontend recreated without memory or CPU caps,
    # as the platform's current compose file has them.
    _set_compose_vars(sandbox, {name: "0" for name in LIMIT_VARS})
    sandbox.compose.up("backend", "frontend")
    sandbox.wait_healthy(sandbox.platform(), services=("backend", "frontend"))
    return {}


def _limits_back(sandbox: Sandbox, _undo: Undo) -> None:
    _set_compose_vars(sandbox, {name: None for name in LIMIT_VARS})
    sandbox.compose.up("backend", "frontend")
    sandbox.wait_healthy(sandbox.platform(), services=("backend", "frontend"))


def _orphan_answers(sandbox: Sandbox) -> Undo:
    # Rows whose session does not exist, written past the foreign key the way a
    # replication or restore accident does (session_replication_role = replica).
    session_id = str(uuid.uuid4())
    _psql(sandbox, f"""
        SET session_replication_role = replica;
        INSERT INTO session_answers (session_id, question_id, selected_index, is_correct, answered_at,
                                     changed_count, marked_for_review)
        SELECT '{session_id}', q.id, 0, false, now(), 0, false
        FROM questions q ORDER BY q.id LIMIT 3;""")
    return {"session_id": session_id}


def _orphans_removed(sandbox: Sandbox, undo: Undo) -> None:
    _psql(sandbox, f"DELETE FROM session_answers WHERE session_id = '{undo['session_id']}'")


def _duplicate_submit(sandbox: Sandbox) -> Undo:
    row = _psql(sandbox, """
        INSERT INTO attempt_events (event_type, event_ts, seq, session_id, user_id, payload_json, source)
        SELECT 'SESSION_SUBMITTED', now(), 9999, s.id, s.user_id, '{"duplicate": true}'::jsonb, 'api'
        FROM test_sessions s WHERE s.status = 'SUBMITTED' ORDER BY s.submitted_at LIMIT 1
        RETURNING id, session_id""").strip()
    if not row:
        raise SandboxError("no SUBMITTED session to duplicate a submit for",
                           "seed the sandbox first (`examday sandbox reset`)")
    event_id, session_id = row.split("|")
    return {"event_id": str(uuid.UUID(event_id)), "session_id": session_id}


def _duplicate_removed(sandbox: Sandbox, undo: Undo) -> None:
    # attempt_events is append-only by trigger; a sandbox repair goes around it (replica role).
    _psql(sandbox, "SET session_replication_role = replica; "
                   f"DELETE FROM attempt_events WHERE id = '{uuid.UUID(undo['event_id'])}'")


def _answer_after_submit(sandbox: Sandbox) -> Undo:
    # A late write the API should have refused: one answer of a submitted session changed
    # ten minutes after the submit.
    row = _psql(sandbox, """
        WITH target AS (
            SELECT a.session_id, a.question_id, a.answered_at FROM session_answers a
            JOIN test_sessions s ON s.id = a.session_id
            WHERE s.status = 'SUBMITTED' AND a.selected_index IS NOT NULL
            ORDER BY s.submitted_at, a.question_id LIMIT 1)
        UPDATE session_answers a SET answered_at = s.submitted_at + interval '10 minutes'
        FROM target t, test_sessions s
        WHERE a.session_id = t.session_id AND a.question_id = t.question_id AND s.id = t.session_id
        RETURNING t.session_id, t.question_id, t.answered_at""").strip()
    if not row:
        raise SandboxError("no answered SUBMITTED session to write late into",
                           "seed the sandbox first (`examday sandbox reset`)")
    session_id, question_id, answered_at = row.split("|")
    return {"session_id": session_id, "question_id": question_id, "answered_at": answered_at}


def _late_answer_undone(sandbox: Sandbox, undo: Undo) -> None:
    _psql(sandbox, f"""
        UPDATE session_answers SET answered_at = '{undo['answered_at']}'
        WHERE session_id = '{undo['session_id']}' AND question_id = '{undo['question_id']}'""")


def _answer_lost(sandbox: Sandbox) -> Undo:
    # A student's saved answer vanishes from an exam still in progress: no invariant sees
    # it (an open session may have any number of answers); only the freeze baseline does.
    row = _psql(sandbox, """
        WITH target AS (
            SELECT a.session_id, a.question_id FROM session_answers a
            JOIN test_sessions s ON s.id = a.session_id
            WHERE s.status = 'ACTIVE' AND a.selected_index IS NOT NULL
            ORDER BY s.started_at, a.question_id LIMIT 1)
        DELETE FROM session_answers a USING target t
        WHERE a.session_id = t.session_id AND a.question_id = t.question_id
        RETURNING row_to_json(a)""").strip()
    if not row:
        raise SandboxError("no answered ACTIVE session to lose an answer from",
                           "seed the sandbox first (`examday sandbox reset`)")
    return {"row": row}


def _answer_restored(sandbox: Sandbox, undo: Undo) -> None:
    row = str(undo["row"]).replace("'", "''")
    _psql(sandbox, f"INSERT INTO session_answers SELECT * FROM json_populate_record(NULL::session_answers, '{row}')")


def _uvicorn_worker_pids(sandbox: Sandbox) -> list[int]:
    """Worker pids as seen inside the backend container (the pids `kill` there understands)."""
    output = sandbox.platform().exec_checked("backend", ["ps", "-eo", "pid,ppid,args", "--no-headers"])
    processes = [ProcessInfo(int(pid), int(ppid), "", args)
                 for pid, ppid, args in (line.split(None, 2) for line in output.splitlines() if line.strip())]
    return [pid for tree in uvicorn_trees(processes) for pid in tree.worker_pids]


def _backend_worker_killed(sandbox: Sandbox) -> Undo:
    workers = _uvicorn_worker_pids(sandbox)
    if not workers:
        raise SandboxError("no uvicorn worker processes found in the backend", "is the backend running?")
    victim = workers[0]
    killed_at = int(time.time())
    sandbox.platform().exec_checked("backend", ["kill", "-KILL", str(victim)])
    return {"killed_pid": victim, "workers_before": len(workers), "killed_at": killed_at}


def _backend_workers_restored(sandbox: Sandbox, undo: Undo) -> None:
    # uvicorn's master replaces a dead worker itself within a second or so: give it that
    # time, and restart the container (which cuts every other worker's requests) only if not.
    # Cleared means the replacement has started up too: a worker still starting when Redis
    # goes away fails its start-up ping, and uvicorn's master then stops the whole backend.
    deadline = time.monotonic() + WORKER_REPLACEMENT_SECONDS
    backend = sandbox.platform().require("backend")
    while not (len(_uvicorn_worker_pids(sandbox)) >= int(undo["workers_before"])
               and b"Application startup complete." in backend.logs(since=int(undo.get("killed_at", 0)))):
        if time.monotonic() > deadline:
            backend.restart(timeout=20)
            sandbox.wait_healthy(sandbox.platform(), services=("backend",))
            return
        time.sleep(0.5)


def _ready_degraded(sandbox: Sandbox) -> Undo:
    # A backend deployed without REDIS_REQUIRED (as outside production), and Redis stopped:
    # ready says "degraded" instead of "down".
    sandbox.state.set_platform_env({"REDIS_REQUIRED": "false"})
    _restart_backend(sandbox)
    sandbox.compose.stop("redis")
    return {}


def _ready_restored(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.compose.start("redis")
    sandbox.wait_healthy(sandbox.platform(), services=("redis",))
    sandbox.state.set_platform_env({"REDIS_REQUIRED": "true"})
    _restart_backend(sandbox)


LOCKER_APP = "examday-sandbox-fault"  # application_name of the fault's own database session
LOCK_EVENTS = "BEGIN; LOCK TABLE attempt_events IN EXCLUSIVE MODE; SELECT pg_sleep({seconds}); COMMIT;"
SLOW_FLAG = "/tmp/examday-slow-endpoint"


def _require_students(sandbox: Sandbox) -> None:
    if sandbox.platform().state("students").status != "running":
        raise SandboxError("this fault acts under load: no simulated students are answering",
                           "walk the sandbox to the exam first: `examday sandbox stage during`")


def _psql_detached(sandbox: Sandbox, script: str) -> None:
    """Run a shell script in the postgres container in the background (docker exec -d)."""
    container = sandbox.platform().require("postgres")
    container.exec_run(["sh", "-c", script], detach=True,
                       environment={"PGAPPNAME": LOCKER_APP, "PGUSER": "exam_user", "PGDATABASE": "exam_platform"})


def _release_locks(sandbox: Sandbox) -> None:
    _psql(sandbox, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{LOCKER_APP}'")


BURST_MARK = "examday-pool-pressure-burst"  # in the burst simulator's argv, to stop it by name
BURST_ENV = {"SIMULATE_FIRST_STUDENT": "1", "SIMULATE_LAST_STUDENT": "60", "SIMULATE_CONCURRENCY": "60",
             "SIMULATE_RATE_PER_SECOND": "100", "SIMULATE_THINK_SECONDS": "0.2",
             "SIMULATE_DURATION_SECONDS": "300",
             # its own file: the burst's students are not the answering students
             "SIMULATE_SESSIONS_FILE": "/var/lib/simulate/burst-sessions.json"}


def _pool_pressure(sandbox: Sandbox) -> Undo:
    # A long transaction holds a lock every answer needs while a burst of 60 more students
    # answers: their requests pile up, each holding a pooled connection, until the
    # backend's pools (workers x (pool_size + max_overflow)) are exhausted.
    _require_students(sandbox)
    _psql_detached(sandbox, "psql -qc '" + LOCK_EVENTS.format(seconds=900) + "'")
    sandbox.platform().require("students").exec_run(
        ["python", "-m", "app.simulate", BURST_MARK], detach=True, environment=BURST_ENV)
    return {}


def _pool_released(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.platform().exec("students", ["pkill", "-f", BURST_MARK])
    _release_locks(sandbox)


def _slow_endpoint(sandbox: Sandbox) -> Undo:
    # Short locks, again and again: saving an answer takes up to a second, slow but not failing.
    _require_students(sandbox)
    _psql_detached(sandbox, f"touch {SLOW_FLAG}; while [ -e {SLOW_FLAG} ]; do "
                            "psql -qc '" + LOCK_EVENTS.format(seconds=1.0) + "'; sleep 0.2; done")
    return {}


def _slow_endpoint_fixed(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.platform().exec_checked("postgres", ["rm", "-f", SLOW_FLAG])
    _release_locks(sandbox)


SCRAPE_WAIT_SECONDS = 30


def _wait_for_scrape(sandbox: Sandbox, job: str, health: str) -> None:
    """Until Prometheus' own view of `job` is `health`: the fault is in effect when the command returns."""
    deadline = time.monotonic() + SCRAPE_WAIT_SECONDS
    while time.monotonic() < deadline:
        _code, answer = sandbox.platform().exec("prometheus", ["curl", "-fsS", "http://localhost:9090/api/v1/targets"])
        try:
            targets = json.loads(answer)["data"]["activeTargets"]
        except (ValueError, KeyError, TypeError):
            targets = []
        if any(t["labels"].get("job") == job and t.get("health") == health for t in targets):
            return
        time.sleep(1)
    raise SandboxError(f"Prometheus did not see its {job} target {health} within {SCRAPE_WAIT_SECONDS} s",
                       "see `examday sandbox logs prometheus`")


def _exporter_down(sandbox: Sandbox) -> Undo:
    sandbox.compose.stop("postgres_exporter")
    _wait_for_scrape(sandbox, "postgres", "down")
    return {}


def _exporter_up(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.compose.start("postgres_exporter")
    sandbox.wait_healthy(sandbox.platform(), services=("postgres_exporter",))
    _wait_for_scrape(sandbox, "postgres", "up")


# A receiver with no integration: Alertmanager accepts alerts and delivers them nowhere,
# the way a receiver whose webhook was deleted from the config does.
SILENT_ALERTMANAGER_CONFIG = """\
route:
  receiver: on-call
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: on-call
"""


def _reload_alertmanager(sandbox: Sandbox) -> None:
    sandbox.platform().exec_checked("alertmanager", ["curl", "-fsS", "-X", "POST", "http://localhost:9093/-/reload"])


def _alertmanager_no_receiver(sandbox: Sandbox) -> Undo:
    sandbox.state.write_alertmanager_config(SILENT_ALERTMANAGER_CONFIG)
    _reload_alertmanager(sandbox)
    return {}


def _alertmanager_receiver_back(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.state.write_alertmanager_config()
    _reload_alertmanager(sandbox)


FLAGS_CACHE_STUCK_SECONDS = "3600"


def _flag_cache_stuck(sandbox: Sandbox) -> Undo:
    # An operator raised SYSTEM_FLAGS_CACHE_TTL_SECONDS to an hour (a real setting of the
    # platform), and exam mode went on by hand in system_flags: the workers keep the "off" they
    # read. One worker, so that every worker is known to have read it (HTTP cannot pick one).
    _psql(sandbox, "UPDATE system_flags SET value = false, updated_at = now(), updated_by = NULL, "
                   "reason = 'manual UPDATE' WHERE key = 'EXAM_MODE'")
    _set_compose_vars(sandbox, {"EXAMDAY_BACKEND_WORKERS": "1"})
    _set_backend_knobs(sandbox, {"SYSTEM_FLAGS_CACHE_TTL_SECONDS": FLAGS_CACHE_STUCK_SECONDS})
    with admin_api(sandbox) as api:
        if api.flag("EXAM_MODE")["enabled"] is not False:
            raise SandboxError("the backend did not read exam mode off", "see `examday sandbox logs backend`")
    _psql(sandbox, "UPDATE system_flags SET value = true, updated_at = now(), updated_by = NULL, "
                   "reason = 'manual UPDATE' WHERE key = 'EXAM_MODE'")
    return {}


def _flag_cache_back(sandbox: Sandbox, _undo: Undo) -> None:
    _set_compose_vars(sandbox, {"EXAMDAY_BACKEND_WORKERS": None})
    _set_backend_knobs(sandbox, {"SYSTEM_FLAGS_CACHE_TTL_SECONDS": None})
    # The row goes back to what the stage sets through the admin API (by the operator, with its reason).
    _psql(sandbox, "UPDATE system_flags SET value = false WHERE key = 'EXAM_MODE'")
    apply_stage(sandbox, sandbox.state.stage())


def _frontend_crashed(sandbox: Sandbox) -> Undo:
    # The container's main process dies (as an out-of-memory kill does): Docker's restart
    # policy starts it again and counts one restart, which stays until the container is recreated.
    container = sandbox.platform().require("frontend")
    os.kill(int(container.attrs["State"]["Pid"]), signal.SIGKILL)
    deadline = time.monotonic() + 60
    while sandbox.platform().state("frontend").restart_count < 1:
        if time.monotonic() > deadline:
            raise SandboxError("the frontend was not restarted by its restart policy",
                               "see `docker inspect exam_platform_frontend`")
        time.sleep(0.5)
    sandbox.wait_healthy(sandbox.platform(), services=("frontend",))
    return {}


def _frontend_recreated(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.compose.up("frontend", recreate=True)
    sandbox.wait_healthy(sandbox.platform(), services=("frontend",))


PREVIOUS_FRONTEND = "examday-sandbox/frontend:previous"
HIDDEN_PREVIOUS_FRONTEND = "examday-sandbox-hidden/frontend:previous"  # another repository: not a rollback


def _previous_image_gone(sandbox: Sandbox) -> Undo:
    # `docker image prune -a` (or a deploy that did not keep the old tag) leaves no image to roll
    # back to. The image is moved to another repository rather than deleted: a rebuild takes minutes.
    images = sandbox.platform().client.images
    images.get(PREVIOUS_FRONTEND).tag(HIDDEN_PREVIOUS_FRONTEND)
    images.remove(PREVIOUS_FRONTEND)  # untags only: the hidden tag keeps the image
    return {}


def _previous_image_back(sandbox: Sandbox, _undo: Undo) -> None:
    images = sandbox.platform().client.images
    images.get(HIDDEN_PREVIOUS_FRONTEND).tag(PREVIOUS_FRONTEND)
    images.remove(HIDDEN_PREVIOUS_FRONTEND)


def _sign_ins_lost_on_restart(sandbox: Sandbox) -> Undo:
    _set_backend_knobs(sandbox, {"SANDBOX_FAULT_SIGN_INS_LOST_ON_RESTART": "true"})
    return {}


def _sign_ins_kept(sandbox: Sandbox, _undo: Undo) -> None:
    _set_backend_knobs(sandbox, {"SANDBOX_FAULT_SIGN_INS_LOST_ON_RESTART": None})


def _connections_leak(sandbox: Sandbox) -> Undo:
    _set_backend_knobs(sandbox, {"SANDBOX_FAULT_LEAK_CONNECTIONS_AFTER_MS": str(LEAK_AFTER_MS)})
    return {}


def _connections_kept(sandbox: Sandbox, _undo: Undo) -> None:
    _set_backend_knobs(sandbox, {"SANDBOX_FAULT_LEAK_CONNECTIONS_AFTER_MS": None})


LEAK_AFTER_MS = 100  # healthy queries take a few ms; the drill's frozen database holds them up to 150 ms


def _single_worker(sandbox: Sandbox) -> Undo:
    _set_compose_vars(sandbox, {"EXAMDAY_BACKEND_WORKERS": "1"})
    _restart_backend(sandbox)
    return {}


def _workers_back(sandbox: Sandbox, _undo: Undo) -> None:
    _set_compose_vars(sandbox, {"EXAMDAY_BACKEND_WORKERS": None})
    _restart_backend(sandbox)


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault("exam-mode-off", "exam mode switched off through the admin API (the EXAM_MODE flag false)",
              _exam_mode_off, _reapply_stage),
        Fault("exam-mode-flag-off", "the EXAM_MODE row set false straight in system_flags, as a stray admin would",
              _exam_mode_flag_off, _reapply_stage),
        Fault("freeze-updates-on", "FREEZE_UPDATES on through the admin API: answer and submit answer 423",
              _freeze_updates_on, _freeze_updates_off),
        Fault("cron-job-enabled", "the revision_queue_regen job line back in the host's crontab",
              _cron_job_enabled, _crontab_of_stage),
        Fault("job-running", "`python -m app.jobs.run revision_queue_regen` running in the ops container "
              "(started before exam mode, still going)", _job_running, _job_stopped),
        Fault("job-in-backend", "`python -m app.jobs.run revision_queue_regen` running in the backend container "
              "(`docker compose exec backend ...` from a crontab or by hand)", _job_in_backend, _job_stopped),
        Fault("flag-cache-stuck", "SYSTEM_FLAGS_CACHE_TTL_SECONDS=3600 and exam mode set on by hand in "
              "system_flags: the backend still runs with it off", _flag_cache_stuck, _flag_cache_back),
        Fault("frontend-crashed", f"{CONTAINERS['frontend']}'s main process killed: restarted by its "
              "restart policy, RestartCount 1", _frontend_crashed, _frontend_recreated),
        Fault("previous-image-gone", f"no previous frontend image to roll back to ({PREVIOUS_FRONTEND} "
              "pruned)", _previous_image_gone, _previous_image_back),
        Fault("redis-down", f"{CONTAINERS['redis']} stopped", _redis_down, _redis_up),
        Fault("stale-backup", "backups three days old and the backup line commented out of the crontab",
              _stale_backup, _fresh_backup),
        Fault("cert-expiring", f"the certificate for {API_HOST} expires in 5 days", _cert_expiring, _cert_renewed),
        Fault("dns-wrong", f"DNS answers 127.0.0.2 for {API_HOST}", _dns_wrong, _dns_right),
        Fault("no-limits", "backend and frontend run without memory and CPU limits (as the platform ships)",
              _no_limits, _limits_back),
        Fault("no-log-rotation", f"{CONTAINERS['backend']} logs to json-file without max-size (as the platform ships)",
              _no_log_rotation, _log_rotation_back),
        Fault("no-proxy-headers", "uvicorn without --proxy-headers/--forwarded-allow-ips (as the platform ships): "
              "every client has the proxy's address, one login bucket for all", _no_proxy_headers,
              _proxy_headers_back),
        Fault("handler-crashes", "about 10% of API requests raise: 500 without X-Request-ID, status_code null",
              _handler_crashes, _handler_crashes_cleared),
        Fault("sessions-500", "creating a session and reading a timed session answer 500 (the platform's "
              "current commit)", _sessions_500, _sessions_500_cleared),
        Fault("orphan-answers", "answers whose session does not exist", _orphan_answers, _orphans_removed),
        Fault("duplicate-submit", "a second SESSION_SUBMITTED event for one session",
              _duplicate_submit, _duplicate_removed),
        Fault("answer-after-submit", "an answer of a submitted session changed 10 minutes after the submit",
              _answer_after_submit, _late_answer_undone),
        Fault("answer-lost", "a saved answer deleted from a session still in progress",
              _answer_lost, _answer_restored),
        Fault("backend-worker-killed", "one uvicorn worker process killed with SIGKILL",
              _backend_worker_killed, _backend_workers_restored),
        Fault("pool-pressure", "a long lock on attempt_events: answering requests hold the backend's pool",
              _pool_pressure, _pool_released),
        Fault("slow-endpoint", "saving an answer takes up to 1 s (repeated short locks on attempt_events)",
              _slow_endpoint, _slow_endpoint_fixed),
        Fault("prometheus-target-down", f"{CONTAINERS['postgres_exporter']} stopped: Prometheus cannot scrape it",
              _exporter_down, _exporter_up),
        Fault("alertmanager-no-receiver", "Alertmanager's receiver has no integration: alerts go nowhere",
              _alertmanager_no_receiver, _alertmanager_receiver_back),
        Fault("rate-limit-fails-closed", "SANDBOX_FAULT_RATE_LIMIT_FAILS_CLOSED: with Redis down, limited "
              "routes answer 429", _rate_limit_fails_closed, _rate_limit_fails_open),
        Fault("sign-ins-lost-on-restart", "SANDBOX_FAULT_SIGN_INS_LOST_ON_RESTART: tokens are signed with a "
              "key new at each start of the backend, so a restart signs every student out",
              _sign_ins_lost_on_restart, _sign_ins_kept),
        Fault("connections-leak-after-stall", f"SANDBOX_FAULT_LEAK_CONNECTIONS_AFTER_MS={LEAK_AFTER_MS}: a request "
              "whose query waited longer never gives its connection back, so a stalled database leaves the "
              "pools used up", _connections_leak, _connections_kept),
        Fault("single-worker", "the backend runs one uvicorn worker (UVICORN_WORKERS=1)", _single_worker,
              _workers_back),
        Fault("ready-degraded", "REDIS_REQUIRED=false applied and Redis stopped: ready reports degraded",
              _ready_degraded, _ready_restored),
    )
}


def _lookup(name: str) -> Fault:
    fault = FAULTS.get(name)
    if fault is None:
        raise SandboxError(f"unknown fault {name!r}", f"choose one of: {', '.join(FAULTS)}")
    return fault


def inject(sandbox: Sandbox, name: str) -> Fault:
    fault = _lookup(name)
    active = sandbox.state.faults()
    if name in active:
        raise SandboxError(f"fault {name} is already active",
                           f"clear it first: `examday sandbox fault --clear {name}`")
    sandbox.require_own_stack(sandbox.platform())
    sandbox.report(f"injecting {name}: {fault.summary}")
    try:
        undo = fault.apply(sandbox)
    except BaseException:
        _undo_half_applied(sandbox, fault)
        raise
    active[name] = {"since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "undo": undo}
    sandbox.state.save_faults(active)
    return fault


def _undo_half_applied(sandbox: Sandbox, fault: Fault) -> None:
    """A fault whose apply failed part way (a recreate that timed out after its variables were
    written) is not recorded as active, so nothing else would undo what it changed: try now."""
    sandbox.report(f"{fault.name} did not apply; undoing what it changed")
    try:
        fault.clear(sandbox, {})
    except Exception as error:  # noqa: BLE001 - the apply's own error is the one to show
        sandbox.report(f"undoing {fault.name} failed too ({type(error).__name__}: {error}): "
                       "`examday sandbox reset` starts afresh")


def clear(sandbox: Sandbox, name: str | None = None) -> list[str]:
    """Undo one active fault, or all of them (newest first); return what was cleared."""
    active = sandbox.state.faults()
    if name is not None:
        _lookup(name)
        if name not in active:
            raise SandboxError(f"fault {name} is not active", "`examday sandbox status` lists active faults")
    names = [name] if name else sorted(active, key=lambda n: active[n]["since"], reverse=True)
    for fault_name in names:
        sandbox.report(f"clearing {fault_name}")
        FAULTS[fault_name].clear(sandbox, active[fault_name].get("undo", {}))
        del active[fault_name]
        sandbox.state.save_faults(active)
    return names
