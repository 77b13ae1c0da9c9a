"""Post-Exam / Disable Exam Mode: EXAM_MODE back to false and applied, background jobs running again."""

from __future__ import annotations

import pytest

from examday.checklist import Impact, item
from examday.facts.containers import find_containers
from examday.facts.exam_mode import as_bool

pytestmark = pytest.mark.postexam
RUNBOOK = "Post-Exam / Disable Exam Mode"


@item("POST-MOD-01", "Disable Exam Mode: EXAM_MODE=false in the configuration and in the live backend",
      runbook=RUNBOOK, impact=Impact.MEDIUM,
      remediation="Set EXAM_MODE=false (and the system_flags row, if used) and restart the backend: "
                  "`docker compose -f <prod compose> up -d backend`; heavy analytics and admin jobs stay "
                  "disabled until then.")
def test_exam_mode_off_and_applied(exam_mode_now, evidence):
    evidence.record(**exam_mode_now.as_evidence())
    problems = exam_mode_now.problems(want=False)
    assert not problems, "; ".join(problems)


@item("POST-JOB-01", "Re-enable background jobs: the job runners run, with their schedule enabled",
      runbook=RUNBOOK, impact=Impact.MEDIUM,
      remediation="Start the job runner again (`docker compose up -d worker`) with scheduled jobs enabled "
                  "in its configuration; recalculations skipped during the exam catch up then.")
def test_background_jobs_running_again(docker_engine, examday_config, evidence):
    switch = examday_config.platform.scheduled_jobs_env
    containers = find_containers(docker_engine, examday_config)
    roles = [role for role in examday_config.platform.job_runner_roles if role in containers]
    if not roles:
        pytest.skip("no job-runner role is configured ([platform] job_runner_roles with a container name)")
    runners = {role: containers[role] for role in roles}
    evidence.record(job_runners={role: None if c is None else {"name": c.name, "status": c.status,
                                                               switch: c.env.get(switch)}
                                 for role, c in runners.items()})
    stopped = [f"{role} ({'missing' if c is None else c.status})" for role, c in runners.items()
               if c is None or c.status != "running"]
    assert not stopped, f"job runners not running: {', '.join(stopped)}"
    disabled = [c.name for c in runners.values() if c is not None and as_bool(c.env.get(switch)) is False]
    assert not disabled, f"{switch}=false in the running {', '.join(disabled)}: its jobs never fire"
