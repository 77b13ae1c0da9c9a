"""Pre-Exam Checklist (24 hours before) / Configuration."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

import pytest

from examday.checklist import Impact, deployed, item
from examday.facts.containers import find_containers
from examday.facts.exam_mode import report_disagrees_within_cache
from examday.plugin.platform_fixtures import application_report
from examday.facts.jobs import job_patterns, job_runner_services, list_processes, observe_jobs, survey_processes
from examday.facts.rate_limits import observe_login_limits
from examday.facts.redaction import allowed_env

pytestmark = pytest.mark.preexam
RUNBOOK = "Pre-Exam Checklist / Configuration"


@item("PRE-CFG-01", "Set `EXAM_MODE=true` in production environment", runbook=RUNBOOK,
      remediation="Switch exam mode on where the platform reads it: the system_flags row EXAM_MODE, through "
                  "the admin API (POST {prefix}/admin/system/exam-mode, phrase ENABLE EXAM MODE); an EXAM_MODE "
                  "env var alone changes nothing on the current platform.",
      references=("docs/platform.md#exam-mode-and-freeze_updates", "docs/platform.md#traps"))
def test_exam_mode_set_where_the_platform_reads_it(read_exam_mode, evidence):
    view = read_exam_mode(ask_application=False)
    evidence.record(**view.as_evidence())
    problems = view.problems(want=True, applied=False)
    assert not problems, "; ".join(problems)


@item("PRE-CFG-02", "Verify `EXAM_MODE` is respected by application", runbook=RUNBOOK,
      remediation="The application does not run with the mode its flag gives it: check the flag row, the "
                  "workers' flag cache (SYSTEM_FLAGS_CACHE_TTL_SECONDS) and the backend's log; restart it if a "
                  "worker is stuck. Without [operator] examday cannot ask the application.",
      references=("docs/platform.md#exam-mode-and-freeze_updates", "docs/platform.md#traps"))
def test_application_runs_the_mode_its_flag_gives_it(request, read_exam_mode, examday_config, evidence):
    if "http" not in examday_config.exam_mode.sources:
        pytest.fail('the application\'s own report is not read: add "http" to exam_mode.sources and an '
                    "[operator] account (the exam-mode endpoint is admin-only)")
    view = read_exam_mode()
    wait = report_disagrees_within_cache(view, examday_config.exam_mode.cache_seconds, dt.datetime.now(dt.timezone.utc))
    if wait:  # the flag changed moments ago: every worker has it within the cache time
        time.sleep(wait)
        view = replace(view, reported=application_report(request, examday_config)())
    evidence.record(**view.as_evidence(), waited_for_cache_seconds=round(wait, 1))
    expected = view.flag.value if view.flag is not None else (view.env.container_env.enabled if view.env else None)
    assert view.reported.enabled is bool(expected), (
        f"the application reports exam mode {str(view.reported.enabled).lower()} but its "
        f"{'flag' if view.flag is not None else 'env'} says {str(expected).lower()}")


@item("PRE-CFG-03", "Disable any cron jobs or scheduled tasks", runbook=RUNBOOK,
      remediation="Comment out or delete each crontab line named above where it is (the file under /etc/cron.d, "
                  "/etc/crontab, or `crontab -e -u USER`). examday must read every crontab [jobs] crontabs names: "
                  "run it with read access (root), or correct the location. A job-runner container, where the "
                  "platform has one, must not start at the next `up` (or its schedule switch must say false).",
      references=("docs/platform.md#background-jobs",))
def test_no_crontab_entry_starts_a_job(docker_engine, examday_config, evidence, request):
    # Processes are listed only to find cron daemons whose crontabs [jobs] does not name.
    picture = observe_jobs(docker_engine, examday_config, host_processes=False)
    survey = picture.crontabs
    evidence.record(**survey.as_evidence(), cron_daemons=picture.processes.as_evidence()["cron_daemons"])
    problems = [problem for problem in (survey.entries_problem(), survey.unreadable_problem()) if problem]
    if examday_config.platform.job_runner_roles:
        problems += _job_runners_that_would_fire(examday_config, evidence, request)
    assert not problems, "; ".join(problems)


def _job_runners_that_would_fire(examday_config, evidence, request) -> list[str]:
    if not examday_config.docker.compose_files:
        return ["[platform] job_runner_roles is set but docker.compose_files is not: examday cannot read "
                "whether the job runner starts at the next `up`"]
    services = job_runner_services(request.getfixturevalue("compose_config"), examday_config)
    evidence.record(job_runners=[{"role": s.role, "service": s.service, "would_run": s.would_run,
                                  "schedule_enabled": s.jobs_enabled} for s in services])
    switch = examday_config.platform.scheduled_jobs_env
    return [f"job runner {s.service} would run at the next `up`"
            + (f" with {switch} not false" if switch else "") for s in services if s.will_fire]


@item("PRE-CFG-04", "Disable any cron jobs or scheduled tasks: none in the backend", runbook=RUNBOOK,
      remediation="A job runs in the backend container (started by cron on the host through `docker exec`, or "
                  "by hand): let it finish or stop it (`docker exec <backend> kill PID`); uvicorn and its "
                  "workers are not jobs and stay.",
      references=("docs/platform.md#background-jobs",))
def test_no_job_process_in_the_backend(docker_engine, examday_config, evidence):
    # The day before, a job may still run today; none may stay in the backend.
    deployed(examday_config, "backend")
    survey = survey_processes(list_processes(docker_engine, examday_config, ["backend"]),
                              job_patterns(examday_config))
    evidence.record(**survey.as_evidence(), command_patterns=examday_config.jobs.command_patterns)
    problems = [problem for problem in (survey.jobs_problem(), survey.errors_problem()) if problem]
    assert not problems, "; ".join(problems)


@item("PRE-CFG-05", "Verify rate limits are appropriate", runbook=RUNBOOK, impact=Impact.HIGH,
      remediation="Behind the proxy the backend must see each student's own address: add `--proxy-headers "
                  "--forwarded-allow-ips=<the address the proxy connects from>` to uvicorn's command (the "
                  "Docker gateway for a host proxy) and restart the backend. Students behind one NAT share a "
                  "bucket: spread their logins ([exam] login_window_minutes) or give the hall more addresses.",
      references=("docs/platform.md#sign-in-and-rate-limits", "docs/platform.md#traps"))
def test_login_burst_fits_the_rate_limits(docker_engine, examday_config, evidence):
    deployed(examday_config, "backend")
    judgement = observe_login_limits(docker_engine, examday_config)
    evidence.record(**judgement.as_evidence())
    assert not judgement.problems, "; ".join(judgement.problems)


@item("PRE-CFG-06", "Check container resource limits are set", runbook=RUNBOOK,
      remediation="Give the container named above a memory and CPU limit (compose mem_limit/cpus or "
                  "deploy.resources.limits) and recreate it.",
      references=("docs/platform.md#containers-and-deployment", "docs/platform.md#traps"))
def test_every_container_has_memory_and_cpu_limits(docker_engine, examday_config, evidence):
    containers = {role: c for role, c in find_containers(docker_engine, examday_config).items() if c}
    limits = {c.name: {"memory_bytes": c.mem_limit_bytes, "cpus": c.cpus} for c in containers.values()}
    evidence.record(limits=limits, env_sample=allowed_env(
        containers["backend"].env if "backend" in containers else {}, examday_config.platform.env_allowlist))
    unlimited = [f"{name} (memory {v['memory_bytes'] or 'none'}, cpus {v['cpus'] or 'none'})"
                 for name, v in limits.items() if not v["memory_bytes"] or not v["cpus"]]
    assert not unlimited, f"containers without limits: {', '.join(unlimited)}"
