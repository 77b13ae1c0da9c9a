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
    seconds = sandbox.state.flags_cache_seconds() + 1  # SYSTEM_FLAGS_CACHE_TTL_SECONDS: every worker has it then
    sandbox.report(f"waiting {seconds:g} s: every worker re-reads system_flags within its cache time")
    time.sleep(seconds)


def _stage_client_address() -> str:
    n = secrets.randbits(24)
    return f"10.{250 + n % 5}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


# Run inside the staging backend: switch exam mode with the cached access token (argv[4]) when it is
# still good, else sign in; print the token used, for the next stage change. The platform allows 10
# sign-ins a minute per email, which stage changes 3 s apart would otherwise exceed.
_STAGING_EXAM_MODE_SCRIPT = """
import json, sys, urllib.error, urllib.request as u
FORWARDED_FOR, email, password, token = sys.argv[1:5]
def call(path, body, token=None):
    # each stage change its own client address: the login limit is 5 a minute per address
    headers = {'Content-Type': 'application/json', 'X-Forwarded-For': FORWARDED_FOR}
    if token: headers['Authorization'] = 'Bearer ' + token
    req = u.Request('http://localhost:8000/v1' + path, json.dumps(body).encode(), headers)
    return json.loads(u.urlopen(req, timeout=60).read())
def sign_in():
    return call('/auth/login', {'email': email, 'password': password})['tokens']['access_token']
body = {'enabled': sys.argv[5] == 'on', 'reason': 'examday sandbox stage', 'confirmation_phrase': sys.argv[6]}
def switch(token):
    call('/admin/system/exam-mode', body, token)
    return token
try:
    token = switch(token or sign_in())
except urllib.error.HTTPError as error:
    if error.code != 401 or not sys.argv[4]:  # an expired or revoked cached token: sign in once
        raise
    token = switch(sign_in())
print(token, end='')
"""


def set_staging_exam_mode(sandbox: Sandbox, platform: RunningPlatform, enabled: bool) -> None:
    """The staging twin follows production's flag, set from inside its host (no proxy, whose
    basic auth would take the Authorization header a bearer token needs)."""
    if not platform.state("backend_staging").running:
        return
    phrase = ("ENABLE" if enabled else "DISABLE") + " EXAM MODE"
    credentials = sandbox.state.credentials()
    cache = sandbox.paths.staging_operator_token
    cached = cache.read_text().strip() if cache.exists() else ""
    used = platform.exec_checked("backend_staging", [
        "python", "-c", _STAGING_EXAM_MODE_SCRIPT, _stage_client_address(), credentials["operator_email"],
        credentials["operator_password"], cached, "on" if enabled else "off", phrase]).strip()
    if used != cached:
        cache.touch(mode=0o600)
        cache.write_text(used)


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
