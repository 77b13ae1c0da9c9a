"""`examday sandbox stage STAGE`: walk the runbook's timeline on the sandbox, the way the
platform's operators do it: exam mode and freeze-updates through the admin API (as the
ADMIN operator, from the host via http://127.0.0.1:8000), jobs through the host's
crontab (sandbox/.state/ops/crontab). No env var is changed and nothing restarts.

Applying a stage is idempotent, which is also how configuration faults are cleared.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from examday.sandbox.admin_api import AdminApi
from examday.sandbox.errors import SandboxError
from examday.sandbox.lifecycle import Sandbox, configured_ports
from examday.sandbox.platform import RunningPlatform
from examday.sandbox.timeline import STAGES, STUDENTS_PROFILE, Stage, exam_window

FLAGS_CACHE_SECONDS = 10  # SYSTEM_FLAGS_CACHE_TTL_SECONDS: every worker has it after this


def admin_api(sandbox: Sandbox) -> AdminApi:
    return AdminApi(sandbox.paths, configured_ports()["EXAMDAY_PORT_BACKEND"])


def stored_flag(platform: RunningPlatform, key: str) -> bool | None:
    """The flag's row as stored (a worker's GET may answer from its 10 s cache)."""
    output = platform.exec_checked("postgres", ["psql", "-qAt", "-U", "exam_user", "-d", "exam_platform", "-c",
                                                f"SELECT value FROM system_flags WHERE key = '{key}'"]).strip()
    return None if not output else output == "t"


def set_flag(sandbox: Sandbox, key: str, enabled: bool, reason: str) -> bool:
    """Set a system flag through the admin API when its row differs; True if it changed."""
    if stored_flag(sandbox.platform(), key) == enabled:
        return False
    with admin_api(sandbox) as api:
        api.set_flag(key, enabled, reason)
    return True


def wait_for_flag_caches(sandbox: Sandbox) -> None:
    sandbox.report(f"waiting {FLAGS_CACHE_SECONDS + 1} s: every worker re-reads system_flags within its cache time")
    time.sleep(FLAGS_CACHE_SECONDS + 1)


def _stage_client_address() -> str:
    n = secrets.randbits(24)
    return f"10.{250 + n % 5}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def set_staging_exam_mode(sandbox: Sandbox, platform: RunningPlatform, enabled: bool) -> None:
    """The staging twin follows production's flag, set from inside its host (no proxy, whose
    basic auth would take the Authorization header a bearer token needs)."""
    if not platform.state("backend_staging").running:
        return
    phrase = ("ENABLE" if enabled else "DISABLE") + " EXAM MODE"
    script = (
        "import json, urllib.request as u\n"
        f"FORWARDED_FOR = '{_stage_client_address()}'\n"
        "def call(path, body, token=None):\n"
        # each stage change its own client address: the login limit is 5 a minute per address
        "    headers = {'Content-Type': 'application/json', 'X-Forwarded-For': FORWARDED_FOR}\n"
        "    if token: headers['Authorization'] = 'Bearer ' + token\n"
        "    req = u.Request('http://localhost:8000/v1' + path, json.dumps(body).encode(), headers)\n"
        "    return json.loads(u.urlopen(req, timeout=60).read())\n"
        "import sys\n"
        "token = call('/auth/login', {'email': sys.argv[1], 'password': sys.argv[2]})['tokens']['access_token']\n"
        f"call('/admin/system/exam-mode', {{'enabled': {enabled}, 'reason': 'examday sandbox stage', "
        f"'confirmation_phrase': '{phrase}'}}, token)\n")
    credentials = sandbox.state.credentials()
    platform.exec_checked("backend_staging", ["python", "-c", script, credentials["operator_email"],
                                              credentials["operator_password"]])


def apply_stage(sandbox: Sandbox, name: str) -> Stage:
    """Bring the running sandbox to stage `name`, the operators' way."""
    stage = STAGES.get(name)
    if stage is None:
        raise SandboxError(f"unknown stage {name!r}", f"choose one of: {', '.join(STAGES)}")
    platform = sandbox.platform()
    platform.require("postgres")
    sandbox.require_own_stack(platform)
    compose = sandbox.compose
    sandbox.report(f"stage {name}: {stage.summary}")
    if not stage.students_answer:
        # The exam ends before exam mode is switched off: students stop first.
        compose.run("--profile", STUDENTS_PROFILE, "stop", "students")
    platform.require("backend")
    changed = set_flag(sandbox, "FREEZE_UPDATES", False, f"examday sandbox stage {name}")
    changed |= set_flag(sandbox, "EXAM_MODE", stage.exam_mode, f"examday sandbox stage {name}")
    set_staging_exam_mode(sandbox, platform, stage.exam_mode)
    backup = "stale-backup" not in sandbox.state.faults()
    if sandbox.state.write_crontab(stage.enabled_jobs, backup=backup):
        sandbox.report("crontab: job lines " + ("enabled" if stage.jobs_enabled else "commented out"))
    if changed:
        wait_for_flag_caches(sandbox)
    if stage.students_answer:
        sandbox.report("starting simulated students")
        compose.up("students", profiles=(STUDENTS_PROFILE,))
    sandbox.state.set_stage(name)
    sandbox.state.write_exam_window(name, *exam_window(name, dt.datetime.now(dt.timezone.utc)))
    return stage
