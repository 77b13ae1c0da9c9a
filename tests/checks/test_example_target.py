"""examples/exam-platform.toml's shapes, pointed at the sandbox, run every phase through docker exec.

Only what names the deployment changes (host names, the CA, secrets' files, the compose file, the
question bank's blocks, where the host keeps the dumps); the shapes stay the real platform's:
API under /api/v1 through the site's proxy, PostgreSQL and Redis unpublished and read with
`docker exec`, no proxy container (Caddy's admin API), dumps in a folder of this host, the
host's own crontab.
"""

from __future__ import annotations

import datetime as dt
import time
import tomllib
from pathlib import Path

import docker
import pytest
import tomli_w

from tests.checks.conftest import at_stage
from tests.checks.runner import CANARY_MEMORY, REPO, failed_ids, run_checklist, verdict_of_run

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
STATE = REPO / "sandbox" / ".state"
WINDOW_SECONDS = 15  # the during window: the steady answering of the simulated students


def example_on_the_sandbox(tmp_path: Path, window_minutes: float | None = None) -> Path:
    data = tomllib.loads((REPO / "examples" / "exam-platform.toml").read_text())
    data["target"] = {"name": "example-on-sandbox", "kind": "staging"}
    data["exam"].update(expected_students=200)
    data["docker"] = {"compose_files": [str(REPO / "sandbox" / "docker-compose.yml")],
                      "compose_project_name": "examday-sandbox"}
    data["api"].update(base_url="https://exam.localhost:8443", ca_bundle=str(STATE / "ca" / "ca.pem"),
                       resolve={"exam.localhost": "127.0.0.1", "api.exam.localhost": "127.0.0.1",
                                "staging.api.exam.localhost": "127.0.0.1"})
    for section, name in (("operator", "operator-password"), ("canary", "student-password")):
        data[section].pop("password_env")
        data[section]["password_file"] = str(STATE / name)
    data["operator"]["username"] = "operator@exam.localhost"
    data["canary"]["username"] = "student200@exam.localhost"
    data["canary"]["memory_file"] = str(CANARY_MEMORY)  # one canary, one kept session, whichever config runs it
    data["flow"]["create_body"]["blocks"] = ["A", "B"]
    data["backup"]["host_dir"] = backups_folder_on_this_host()
    # The sandbox's "operator host" is its ops container; its crontab is a file of this host too.
    data["jobs"]["crontabs"][0]["paths"] = [str(STATE / "ops" / "crontab")]
    data["tls"]["endpoints"] = ["api.exam.localhost:8443", "exam.localhost:8443"]
    data["dns"] = {"resolver": "127.0.0.1:5353",
                   "records": [{"name": "api.exam.localhost", "type": "A", "expected": ["127.0.0.1"]}]}
    data["staging"] = {"api_base_url": "https://staging.api.exam.localhost:8443", "basic_auth_username": "staging",
                       "password_file": str(STATE / "staging-basic-auth")}
    data["baseline"] = {"dir": str(tmp_path / "baselines")}
    if window_minutes is not None:
        data["logs"]["window_minutes"] = window_minutes
    path = tmp_path / "exam-platform.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def backups_folder_on_this_host() -> str:
    """Where Docker keeps the ops container's backups volume: a folder of this host, as on the platform."""
    volume = docker.from_env().volumes.get("examday-sandbox_backups")
    return volume.attrs["Mountpoint"]


def test_postgres_and_redis_are_not_published():
    client = docker.from_env()
    for name in ("exam_platform_postgres", "exam_platform_redis"):
        ports = client.containers.get(name).attrs["NetworkSettings"]["Ports"] or {}
        published = [binding for bindings in ports.values() if bindings for binding in bindings]
        assert not published, f"{name} publishes {published}"


# What the example's platform does not have: no Alertmanager, no dashboard, no scratch database.
NOT_DEPLOYED = {"PRE-MON-04": "the platform ships no Alertmanager",
                "PRE-MON-07": "the platform ships no Alertmanager",
                "PRE-MON-05": "no dashboard: on-call reads Prometheus",
                "PRE-INF-08": "restore drills run monthly, apart"}


def declared_not_applicable(target: Path) -> Path:
    """The operator's decision, in the target's own file: who, why, until when."""
    data = tomllib.loads(target.read_text())
    now = dt.datetime.now(dt.timezone.utc)
    data["not_applicable"] = [{"item": item, "by": "Dana Okafor", "at": now - dt.timedelta(hours=1),
                               "justification": why, "expires": now + dt.timedelta(days=30)}
                              for item, why in NOT_DEPLOYED.items()]
    declared = target.with_name("declared.toml")
    declared.write_text(tomli_w.dumps(data))
    return declared


def test_the_example_target_runs_the_day_before_go(sandbox, tmp_path, all_attested):
    target = example_on_the_sandbox(tmp_path)
    for _ in at_stage(sandbox, "preexam"):
        run = run_checklist("preexam", tmp_path, f"--target={target}", "--attestations", str(all_attested))
        declared = run_checklist("preexam", tmp_path, f"--target={declared_not_applicable(target)}",
                                 "--attestations", str(all_attested))
    assert failed_ids(run) == set(), run.stdout[-4000:]
    # the docker-exec way in answered: the flag row, the crontab reader, the dumps on this host
    assert {"PRE-CFG-01", "PRE-CFG-03", "PRE-INF-03", "PRE-INF-04", "PRE-INF-07"} <= run.ids_with("passed")
    # what the platform lacks is not checked: INCOMPLETE until the operator declares it
    assert run.ids_with("skipped") == set(NOT_DEPLOYED) and verdict_of_run(run) == "INCOMPLETE"
    assert declared.ids_with("not_applicable") == set(NOT_DEPLOYED), declared.stdout[-4000:]
    assert verdict_of_run(declared) == "GO" and declared.exit_code == 0


def test_the_example_target_runs_freeze_during_recovery_and_postexam(sandbox, tmp_path):
    target = example_on_the_sandbox(tmp_path, window_minutes=WINDOW_SECONDS / 60)
    for _ in at_stage(sandbox, "during"):  # the simulated students answering
        freeze = run_checklist("freeze", tmp_path, f"--target={target}")  # the baseline the rest reads
        # the items judge the steady answering, not the students' opening burst of logins
        time.sleep(WINDOW_SECONDS + 5)
        run = run_checklist("during or recovery", tmp_path, f"--target={target}")
    for _ in at_stage(sandbox, "postexam"):
        post = run_checklist("postexam", tmp_path, f"--target={target}")
    assert failed_ids(freeze) == set(), freeze.stdout[-4000:]
    assert {"FRZ-MOD-01", "FRZ-MOD-02", "FRZ-SYS-01", "FRZ-SYS-04", "FRZ-EPT-01"} <= freeze.ids_with("passed")
    assert failed_ids(run) == set(), run.stdout[-4000:]
    # the log analyser read the platform's request.end lines (routes under the backend's /v1)
    assert {"DUR-LAT-01", "DUR-ERR-01", "DUR-LAT-02", "DUR-LAT-03", "DUR-RED-01", "DUR-DRF-01",
            "REC-HLT-01", "REC-OBS-02", "REC-OBS-03", "REC-SES-01"} <= run.ids_with("passed")
    assert failed_ids(post) == set(), post.stdout[-4000:]
    # exam mode back off in the flag row, the job lines active again, no answer lost since the freeze
    assert {"POST-MOD-01", "POST-JOB-01", "POST-INT-01", "POST-INT-02"} <= post.ids_with("passed")
