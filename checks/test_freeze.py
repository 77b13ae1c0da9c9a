"""Exam-Day Freeze (1 hour before): exam mode applied, jobs stopped, endpoints, final system check."""

from __future__ import annotations

import pytest

from examday.checklist import Impact, item
from examday.facts.baseline import save_baseline, take_baseline
from examday.facts.connections import connection_use
from examday.facts.containers import find_containers
from examday.facts.proxy import route_health
from examday.facts.resources import over_thresholds, resource_evidence, sample_resources
from examday.probes.capacity import background_job_processes

pytestmark = pytest.mark.freeze
RUNBOOK = "Exam-Day Freeze (1 Hour Before)"


@item("FRZ-MOD-01", "Enable Exam Mode: `printenv EXAM_MODE` should output true, and the live process has it",
      runbook=f"{RUNBOOK} / Enable Exam Mode",
      remediation="Set EXAM_MODE=true and restart the backend to apply it: "
                  "`docker compose -f <prod compose> up -d backend`; then re-run this item.")
def test_exam_mode_on_in_container_and_live_process(exam_mode_now, evidence):
    evidence.record(**exam_mode_now.as_evidence())
    problems = exam_mode_now.problems(want=True)
    assert not problems, "; ".join(problems)


@item("FRZ-JOB-01", "Disable Background Jobs: no cron, celery or worker processes running",
      runbook=f"{RUNBOOK} / Disable Background Jobs",
      remediation="Stop the job runner (`docker compose stop worker`) and any cron/celery/rq/scheduler process "
                  "named above; uvicorn and gunicorn workers are not jobs and stay.")
def test_no_background_jobs_running(docker_engine, examday_config, evidence):
    containers = find_containers(docker_engine, examday_config)
    runners = [containers[role].name for role in examday_config.platform.job_runner_roles
               if containers.get(role) is not None and containers[role].status == "running"]
    jobs = {c.name: [p.cmdline[:100] for p in background_job_processes(docker_engine.processes(c.name))]
            for c in containers.values() if c is not None and c.status == "running"}
    jobs = {name: found for name, found in jobs.items() if found}
    evidence.record(job_runner_containers_running=runners, job_processes=jobs)
    assert not runners, f"job-runner containers still running: {', '.join(runners)}"
    assert not jobs, f"background job processes running: {jobs}"


@item("FRZ-EPT-01", "Verify Critical Endpoints: /health returns 200 OK", runbook=f"{RUNBOOK} / Verify Critical Endpoints",
      remediation="The backend process is not answering: `docker logs <backend> --tail=100`, restart it.")
def test_health_endpoint_answers_200(api, evidence):
    health = api.health()
    evidence.record(health=health)
    assert health.status == 200, f"/health answered {health.status}"


@item("FRZ-EPT-02", "Verify Critical Endpoints: ready returns 200 with status ok",
      runbook=f"{RUNBOOK} / Verify Critical Endpoints",
      remediation="Fix the component ready names (database, Redis) before the exam: a 200 with status "
                  "degraded or down is not ready.")
def test_ready_endpoint_reports_ok(api, evidence):
    ready = api.ready()
    evidence.record(ready=ready)
    assert ready.is_ok, ready.describe()


@item("FRZ-SYS-01", "Final System Check: database connections under capacity",
      runbook=f"{RUNBOOK} / Final System Check",
      remediation="Too many connections for the pool the backend can hold: look at the breakdown for a leak "
                  "or a stuck client, and at workers x (pool_size + max_overflow) against max_connections.")
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
                  "exam starts; raise the limit only if the load is expected.")
def test_container_resources_within_limits(docker_engine, examday_config, evidence):
    running = [c.name for c in find_containers(docker_engine, examday_config).values()
               if c is not None and c.status == "running"]
    samples = sample_resources(docker_engine, running)
    thresholds = examday_config.thresholds
    evidence.record(resources=resource_evidence(samples), cpu_pct_max=thresholds.cpu_pct,
                    memory_pct_max=thresholds.mem_pct)
    over = over_thresholds(samples, thresholds.cpu_pct, thresholds.mem_pct)
    assert not over, "; ".join(over)


@item("FRZ-SYS-03", "Final System Check: proxy routers healthy", runbook=f"{RUNBOOK} / Final System Check",
      remediation="Read the proxy's log (`docker logs <proxy> --tail=100`) and fix the route or upstream named.")
def test_proxy_routes_healthy(docker_engine, examday_config, evidence):
    health = route_health(docker_engine, examday_config)
    evidence.record(**health.as_evidence())
    assert not health.unhealthy, f"{health.source}: {health.unhealthy}"


@item("FRZ-SYS-04", "Freeze baseline recorded for the exam", runbook=f"{RUNBOOK} / Final System Check",
      remediation="examday could not read what it needs for the baseline (see the message); fix and re-run the "
                  "freeze phase: without a baseline, drift and lost answers cannot be detected later.")
def test_freeze_baseline_taken(docker_engine, postgres, compose_config, examday_config, evidence):
    baseline = take_baseline(docker_engine, postgres, compose_config, examday_config)
    path = save_baseline(baseline, examday_config)
    evidence.record(baseline_file=str(path), **baseline.as_evidence())
    assert baseline.images, "no running platform container to baseline"
    assert baseline.migration_version not in (None, "None"), "no schema migration version found"
