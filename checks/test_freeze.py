"""Exam-Day Freeze (1 hour before): exam mode applied, jobs stopped, endpoints, final system check."""

from __future__ import annotations

import pytest

from examday.checklist import Impact, item, not_applicable
from examday.facts.baseline import save_baseline, take_baseline
from examday.facts.connections import connection_use
from examday.facts.health import health_problem
from examday.facts.exam_mode import freeze_updates_problem, read_flag
from examday.facts.jobs import observe_jobs
from examday.facts.proxy import route_health
from examday.facts.resources import over_thresholds, resource_evidence, sample_running_containers

pytestmark = pytest.mark.freeze
RUNBOOK = "Exam-Day Freeze (1 Hour Before)"


@item("FRZ-MOD-01", "Enable Exam Mode: exam mode on where the platform reads it, and the application runs with it",
      runbook=f"{RUNBOOK} / Enable Exam Mode",
      remediation="Switch exam mode on through the admin API (POST {prefix}/admin/system/exam-mode, phrase "
                  "ENABLE EXAM MODE): it reaches every worker within the flag cache (10 s), no restart needed. "
                  "On a platform that reads the EXAM_MODE env var, set it and restart the backend.",
      references=("docs/platform.md#exam-mode-and-freeze_updates", "docs/platform.md#traps"))
def test_exam_mode_on_and_applied(read_exam_mode, evidence):
    view = read_exam_mode()
    evidence.record(**view.as_evidence())
    problems = view.problems(want=True)
    assert not problems, "; ".join(problems)


@item("FRZ-MOD-02", "Enable Exam Mode: FREEZE_UPDATES is off, students can save answers",
      runbook=f"{RUNBOOK} / Enable Exam Mode", impact=Impact.CRITICAL,
      remediation="Switch FREEZE_UPDATES off now (POST {prefix}/admin/system/freeze-updates, phrase DISABLE FREEZE "
                  "UPDATES): while it is on every answer and submit is refused with HTTP 423.",
      references=("docs/platform.md#exam-mode-and-freeze_updates", "docs/platform.md#traps"))
@pytest.mark.during
def test_freeze_updates_off(postgres, examday_config, evidence):
    key = examday_config.exam_mode.freeze_updates_key
    if key is None:
        not_applicable("the platform has no freeze-updates flag ([exam_mode] freeze_updates_key unset)")
    row = read_flag(postgres, examday_config.exam_mode.flag_table, key)
    evidence.record(flag=row)
    problem = freeze_updates_problem(row)
    assert problem is None, problem


@item("FRZ-JOB-01", "Disable Background Jobs: no job process running, no crontab entry that starts one",
      runbook=f"{RUNBOOK} / Disable Background Jobs",
      remediation="Comment out or delete the crontab lines named above, and let the running job named above "
                  "finish or stop it (`docker exec <container> kill PID`, or `kill PID` on the host); a job "
                  "started in exam mode exits saying it skipped. Stop a job-runner container where the platform "
                  "has one. A cron daemon with no job entry and uvicorn's workers are not jobs and stay.",
      references=("docs/platform.md#background-jobs",))
@pytest.mark.during
def test_no_background_jobs_running(docker_engine, examday_config, evidence):
    picture = observe_jobs(docker_engine, examday_config)
    evidence.record(**picture.as_evidence(), host_processes_searched=examday_config.jobs.host_processes)
    problems = picture.freeze_problems()
    assert not problems, "; ".join(problems)


@item("FRZ-EPT-01", "Verify Critical Endpoints: /health returns 200 OK", runbook=f"{RUNBOOK} / Verify Critical Endpoints",
      remediation="The backend process is not answering: `docker logs <backend> --tail=100`, restart it.",
      references=("docs/platform.md#http-endpoints",))
def test_health_endpoint_answers_200(api, evidence):
    health = api.health()
    evidence.record(health=health)
    problem = health_problem(health)
    assert problem is None, problem


@item("FRZ-EPT-02", "Verify Critical Endpoints: ready returns 200 with status ok",
      runbook=f"{RUNBOOK} / Verify Critical Endpoints",
      remediation="Fix the component ready names (database, Redis) before the exam: a 200 with status "
                  "degraded or down is not ready.",
      references=("docs/platform.md#http-endpoints", "docs/platform.md#traps"))
def test_ready_endpoint_reports_ok(api, evidence):
    ready = api.ready()
    evidence.record(ready=ready)
    assert ready.is_ok, ready.describe()


@item("FRZ-SYS-01", "Final System Check: database connections under capacity",
      runbook=f"{RUNBOOK} / Final System Check",
      remediation="Too many connections for the pool the backend can hold: look at the breakdown for a leak "
                  "or a stuck client, and at workers x (pool_size + max_overflow) against max_connections.",
      references=("docs/platform.md#processes-and-the-connection-pool",))
def test_database_connections_under_capacity(docker_engine, postgres, examday_config, evidence):
    use = connection_use(docker_engine, postgres, examday_config)
    evidence.record(**use.as_evidence())
    assert use.capacity.assessment.fits, (
        f"capacity {use.capacity.capacity} does not fit max_connections {use.capacity.assessment.max_connections} "
        "with headroom")
    assert use.backend_connections <= use.capacity.capacity, (
        f"the backend holds {use.backend_connections} connections, over its capacity {use.capacity.capacity}")
    assert use.total_connections < use.capacity.assessment.usable, (
        f"{use.total_connections} connections: PostgreSQL is at its max_connections")


@item("FRZ-SYS-02", "Final System Check: container resources within limits", runbook=f"{RUNBOOK} / Final System Check",
      impact=Impact.HIGH,
      remediation="Find what is using the CPU or memory named above (`docker stats`, `docker top`) before the "
                  "exam starts; raise the limit only if the load is expected.",
      references=("docs/platform.md#containers-and-deployment",))
def test_container_resources_within_limits(docker_engine, examday_config, evidence):
    samples = sample_running_containers(docker_engine, examday_config)
    thresholds = examday_config.thresholds
    evidence.record(resources=resource_evidence(samples), cpu_pct_max=thresholds.cpu_pct,
                    memory_pct_max=thresholds.mem_pct)
    over = over_thresholds(samples, thresholds.cpu_pct, thresholds.mem_pct)
    assert not over, "; ".join(over)


@item("FRZ-SYS-03", "Final System Check: proxy routers healthy", runbook=f"{RUNBOOK} / Final System Check",
      remediation="Fix the router, service or upstream named: on Traefik its dashboard (127.0.0.1:8080) shows each "
                  "router's error, `docker logs <proxy> --tail=100` the rest; a server DOWN is the backend or "
                  "frontend failing its health check. No router, upstream or access-log line at all means nothing "
                  "is routed (or the proxy is read in the wrong place: [proxy] admin_url, access_log_source).",
      references=("docs/platform.md#the-tls-edge-and-the-proxy", "docs/platform.md#logs"))
def test_proxy_routes_healthy(docker_engine, examday_config, evidence):
    health = route_health(docker_engine, examday_config)
    evidence.record(**health.as_evidence())
    assert not health.unhealthy, f"{health.source}: " + "; ".join(health.unhealthy)


@item("FRZ-SYS-04", "Freeze baseline recorded for the exam", runbook=f"{RUNBOOK} / Final System Check",
      remediation="examday could not read what it needs for the baseline (see the message); fix and re-run the "
                  "freeze phase: without a baseline, drift and lost answers cannot be detected later.",
      references=("docs/platform.md#data-model-and-integrity",))
def test_freeze_baseline_taken(docker_engine, postgres, compose_config, examday_config, evidence):
    baseline = take_baseline(docker_engine, postgres, compose_config, examday_config)
    path = save_baseline(baseline, examday_config)
    evidence.record(baseline_file=str(path), **baseline.as_evidence())
    assert baseline.images, "no running platform container to baseline"
    assert baseline.migration_version not in (None, "None"), "no schema migration version found"
