"""Faults in exam mode and in the jobs it must hold back: the flag off, FREEZE_UPDATES on, a cron
line back, a job running, a flag cache that keeps the old value."""

from __future__ import annotations

import time

from examday.sandbox.errors import SandboxError
from examday.sandbox.faults.base import Fault, Undo, psql, reapply_stage, set_backend_knobs, set_compose_vars
from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.stages import admin_api, apply_stage, set_flag, wait_for_flag_caches
from examday.sandbox.timeline import STAGES


def _exam_mode_off(sandbox: Sandbox) -> Undo:
    # An operator switches exam mode off through the admin API (or the stage never had it on).
    if set_flag(sandbox, "EXAM_MODE", False, "examday sandbox fault exam-mode-off"):
        wait_for_flag_caches(sandbox)
    return {}


def _exam_mode_flag_off(sandbox: Sandbox) -> Undo:
    # A stray admin sets the row false straight in the table mid-exam: no API, no audit user.
    psql(sandbox, "UPDATE system_flags SET value = false, updated_at = now(), updated_by = NULL, "
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


FLAGS_CACHE_STUCK_SECONDS = "3600"


def _flag_cache_stuck(sandbox: Sandbox) -> Undo:
    # An operator raised SYSTEM_FLAGS_CACHE_TTL_SECONDS to an hour (a real setting of the
    # platform), and exam mode went on by hand in system_flags: the workers keep the "off" they
    # read. One worker, so that every worker is known to have read it (HTTP cannot pick one).
    psql(sandbox, "UPDATE system_flags SET value = false, updated_at = now(), updated_by = NULL, "
                   "reason = 'manual UPDATE' WHERE key = 'EXAM_MODE'")
    set_compose_vars(sandbox, {"EXAMDAY_BACKEND_WORKERS": "1"})
    set_backend_knobs(sandbox, {"SYSTEM_FLAGS_CACHE_TTL_SECONDS": FLAGS_CACHE_STUCK_SECONDS})
    with admin_api(sandbox) as api:
        if api.flag("EXAM_MODE")["enabled"] is not False:
            raise SandboxError("the backend did not read exam mode off", "see `examday sandbox logs backend`")
    psql(sandbox, "UPDATE system_flags SET value = true, updated_at = now(), updated_by = NULL, "
                   "reason = 'manual UPDATE' WHERE key = 'EXAM_MODE'")
    return {}


def _flag_cache_back(sandbox: Sandbox, _undo: Undo) -> None:
    set_compose_vars(sandbox, {"EXAMDAY_BACKEND_WORKERS": None})
    set_backend_knobs(sandbox, {"SYSTEM_FLAGS_CACHE_TTL_SECONDS": None})
    # The row goes back to what the stage sets through the admin API (by the operator, with its reason).
    psql(sandbox, "UPDATE system_flags SET value = false WHERE key = 'EXAM_MODE'")
    apply_stage(sandbox, sandbox.state.stage())


CATALOG: tuple[Fault, ...] = (
    Fault("exam-mode-off", "exam mode switched off through the admin API (the EXAM_MODE flag false)",
              _exam_mode_off, reapply_stage),
    Fault("exam-mode-flag-off", "the EXAM_MODE row set false straight in system_flags, as a stray admin would",
              _exam_mode_flag_off, reapply_stage),
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
)
