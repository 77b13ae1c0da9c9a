"""Background jobs: what is configured to run, and what runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.exam_mode import as_bool
from examday.probes import compose as compose_config

CRON_LOCATIONS = "/etc/crontab /etc/cron.d /var/spool/cron/crontabs /var/spool/cron"


@dataclass(frozen=True)
class ScheduledService:
    service: str
    would_run: bool
    jobs_enabled: bool  # the schedule's env switch (absent counts as enabled)

    @property
    def will_fire(self) -> bool:
        return self.would_run and self.jobs_enabled


def job_runner_services(resolved: dict[str, Any], config: ExamdayConfig) -> list[ScheduledService]:
    """The job-runner services in the compose configuration and whether their schedule fires."""
    containers = config.docker.containers.model_dump()
    names = {containers[role] for role in config.platform.job_runner_roles if containers.get(role)}
    found = []
    for service in resolved.get("services", {}):
        if compose_config.container_name(resolved, service) in names or service in config.platform.job_runner_roles:
            env = compose_config.service_environment(resolved, service)
            enabled = as_bool(env.get(config.platform.scheduled_jobs_env))
            found.append(ScheduledService(service, compose_config.service_would_run(resolved, service),
                                          enabled is not False))
    return found


def cron_entries(docker: Any, container: str) -> list[str]:
    """Active (non-comment) lines of every crontab in the container."""
    script = (f"for f in $(find {CRON_LOCATIONS} -type f 2>/dev/null); do "
              "grep -Ev '^[[:space:]]*(#|$|[A-Z_]+=)' \"$f\" | sed \"s|^|$f: |\"; done; true")
    result = docker.exec(container, ["sh", "-c", script], timeout=10)
    return [line for line in result.output.splitlines() if line.strip()]
