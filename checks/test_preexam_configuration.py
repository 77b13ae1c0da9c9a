"""Pre-Exam Checklist (24 hours before) / Configuration."""

from __future__ import annotations

import pytest

from examday.checklist import Impact, item
from examday.facts.containers import find_containers
from examday.facts.exam_mode import configured_mode, expected_effective, flag_mode, running_env_mode
from examday.facts.jobs import cron_entries, job_runner_services
from examday.facts.redaction import allowed_env
from examday.probes import compose as compose_config_of
from examday.probes.capacity import background_job_processes

pytestmark = pytest.mark.preexam
RUNBOOK = "Pre-Exam Checklist / Configuration"


@item("PRE-CFG-01", "Set `EXAM_MODE=true` in production environment", runbook=RUNBOOK,
      remediation="Write EXAM_MODE=true into the backend's configuration (its env file or compose file) "
                  "so the restart at the freeze applies it; if a system_flags row exists, set it true too.")
def test_exam_mode_true_in_the_configuration_the_next_restart_applies(
        compose_config, backend_service, postgres, examday_config, evidence):
    env = compose_config_of.service_environment(compose_config, backend_service)
    configured = configured_mode(env, examday_config)
    flag = flag_mode(postgres, examday_config)
    evidence.record(configured=configured, flag=flag)
    assert configured.enabled is True, (
        f"EXAM_MODE in the backend's compose configuration is {env.get(examday_config.exam_mode.env_key)!r}, "
        "not true: the restart at the freeze would leave exam mode off")
    assert flag.enabled is not False, f"the {flag.source} row says EXAM_MODE=false, and it wins over the env"


@item("PRE-CFG-02", "Verify `EXAM_MODE` is respected by application", runbook=RUNBOOK,
      remediation="The application does not run with the mode its own configuration gives it: check how it "
                  "reads EXAM_MODE (env name, system_flags table) and restart it.")
def test_application_runs_the_mode_its_configuration_gives_it(docker_engine, postgres, api, examday_config, evidence):
    if "http" not in examday_config.exam_mode.sources:
        pytest.skip("the application reports no effective mode (add \"http\" to exam_mode.sources "
                    "and set api.exam_mode_path)")
    container = docker_engine.container(examday_config.docker.containers.backend)
    expected = expected_effective(flag_mode(postgres, examday_config),
                                  running_env_mode(container.env, examday_config))
    reported = api.exam_mode()
    evidence.record(expected=expected, reported=reported)
    assert reported.enabled == bool(expected.enabled), (
        f"the application reports exam mode {reported.enabled} (source {reported.reported_source}) but its "
        f"{expected.source} says {expected.enabled}")


@item("PRE-CFG-03", "Disable any cron jobs or scheduled tasks", runbook=RUNBOOK,
      remediation="Disable the job runner's schedule in its configuration (e.g. SCHEDULED_JOBS_ENABLED=false) "
                  "or remove the service from the next `up`; the running worker is stopped at the freeze.")
def test_no_scheduled_job_will_run(compose_config, examday_config, evidence):
    services = job_runner_services(compose_config, examday_config)
    evidence.record(job_runners=[{"service": s.service, "would_run": s.would_run, "jobs_enabled": s.jobs_enabled}
                                 for s in services])
    firing = [s.service for s in services if s.will_fire]
    assert not firing, (f"scheduled jobs will still fire from {', '.join(firing)}: "
                        f"{examday_config.platform.scheduled_jobs_env} is not false in its configuration")


@item("PRE-CFG-04", "Disable any cron jobs or scheduled tasks: none in the backend", runbook=RUNBOOK,
      remediation="Remove the crontab entries / stop the cron, celery, rq or scheduler process named above "
                  "inside the backend container (uvicorn workers are fine).")
def test_no_cron_entries_or_job_processes_in_the_backend(docker_engine, examday_config, evidence):
    backend = examday_config.docker.containers.backend
    entries = cron_entries(docker_engine, backend)
    jobs = background_job_processes(docker_engine.processes(backend))
    # A crontab only fires through a cron daemon, which is itself one of the job processes.
    evidence.record(cron_entries=entries, job_processes=[p.cmdline[:120] for p in jobs])
    assert not jobs, (f"background job processes in {backend}: {[p.cmdline[:80] for p in jobs]}"
                      + (f"; crontab entries they may run: {entries[:5]}" if entries else ""))


@item("PRE-CFG-05", "Verify rate limits are appropriate", runbook=RUNBOOK, impact=Impact.HIGH,
      remediation="Set the rate-limit settings named above within the bounds in examday.toml "
                  "([platform] rate_limits) and keep the limiter failing open when Redis is down.")
def test_rate_limits_within_bounds(compose_config, backend_service, examday_config, evidence):
    env = compose_config_of.service_environment(compose_config, backend_service)
    platform = examday_config.platform
    observed = {key: env.get(key) for key in platform.rate_limits}
    fail_mode = env.get(platform.rate_limit_fail_mode_env) if platform.rate_limit_fail_mode_env else None
    evidence.record(limits=observed, bounds={k: list(v) for k, v in platform.rate_limits.items()},
                    fail_mode=fail_mode)
    problems = []
    for key, (low, high) in platform.rate_limits.items():
        value = observed[key]
        if value is None:
            problems.append(f"{key} is not set")
        elif not _number(value) or not low <= float(value) <= high:
            problems.append(f"{key}={value} is outside [{low:g}, {high:g}]")
    if fail_mode is not None and fail_mode.strip().lower() == "closed":
        problems.append(f"{platform.rate_limit_fail_mode_env}=closed: a Redis outage would refuse every request")
    assert not problems, "; ".join(problems)


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


@item("PRE-CFG-06", "Check container resource limits are set", runbook=RUNBOOK,
      remediation="Give the container named above a memory and CPU limit (compose mem_limit/cpus or "
                  "deploy.resources.limits) and recreate it.")
def test_every_container_has_memory_and_cpu_limits(docker_engine, examday_config, evidence):
    containers = {role: c for role, c in find_containers(docker_engine, examday_config).items() if c}
    limits = {c.name: {"memory_bytes": c.mem_limit_bytes, "cpus": c.cpus} for c in containers.values()}
    evidence.record(limits=limits, env_sample=allowed_env(
        containers["backend"].env if "backend" in containers else {}, examday_config.platform.env_allowlist))
    unlimited = [f"{name} (memory {v['memory_bytes'] or 'none'}, cpus {v['cpus'] or 'none'})"
                 for name, v in limits.items() if not v["memory_bytes"] or not v["cpus"]]
    assert not unlimited, f"containers without limits: {', '.join(unlimited)}"
