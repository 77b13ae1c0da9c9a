"""Background jobs: the crontab entries that would start one, and the job processes that run.

The real platform's jobs are `python -m app.jobs.run KEY`, started by cron on the host; there is
no Celery and no scheduler container (docs/platform.md). "Disable cron jobs" means: no crontab entry,
on the host or in a container, that starts a job, and no such process running. A cron daemon is
not a job: with no job entry it starts nothing, so it is reported, never counted.

The parsing and judging here is pure; `read_crontabs` and `list_processes` gather the readings.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.containers import find_containers
from examday.facts.cron_lines import DAEMON_CRONTABS, CronEntry, CrontabSource, CrontabSurvey, survey_crontabs
from examday.facts.ports import DockerReads
from examday.facts.processes import ProcessLike, is_cron_daemon, is_job_process, supercronic_crontabs
from examday.probes import compose as compose_config
from examday.probes.crontab import CrontabRead, read_container_crontabs, read_host_crontabs
from examday.probes.errors import ProbeError, Unreachable
from examday.text import parse_flag

# -- job processes -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProcessListing:
    """The processes of one place: a container (by name) or this machine."""

    where: str
    processes: tuple[ProcessLike, ...] = ()
    error: str | None = None  # could not be listed
    note: str | None = None  # not listed, and need not be (not running, not found)
    is_host: bool = False


@dataclass(frozen=True)
class FoundProcess:
    where: str
    pid: int
    cmdline: str

    def describe(self) -> str:
        return f"{self.where} pid {self.pid}: {self.cmdline[:160]}"


@dataclass(frozen=True)
class ProcessSurvey:
    jobs: tuple[FoundProcess, ...]
    cron_daemons: tuple[FoundProcess, ...]
    searched: tuple[str, ...]
    not_searched: tuple[str, ...]  # with the reason: not running, not found
    errors: tuple[str, ...]  # could not be listed

    def in_place(self, where: str) -> list[FoundProcess]:
        return [job for job in self.jobs if job.where == where]

    def as_evidence(self) -> dict[str, Any]:
        return {"job_processes": [job.describe() for job in self.jobs],
                "cron_daemons": [daemon.describe() for daemon in self.cron_daemons],
                "searched": list(self.searched), "not_searched": list(self.not_searched),
                "could_not_list": list(self.errors)}

    def jobs_problem(self) -> str | None:
        if not self.jobs:
            return None
        return "job processes running: " + "; ".join(job.describe() for job in self.jobs[:8])

    def errors_problem(self) -> str | None:
        if not self.errors:
            return None
        return "processes could not be listed, so nobody can say no job runs there: " + "; ".join(self.errors)


def survey_processes(listings: Iterable[ProcessListing], patterns: Sequence[re.Pattern[str]]) -> ProcessSurvey:
    """Job processes and cron daemons in each place. On the host, a process already seen in a
    container (docker top shows host pids) is left to the container."""
    listed = list(listings)
    in_containers = {(p.pid, p.cmdline) for listing in listed if not listing.is_host for p in listing.processes}
    jobs, daemons, searched, not_searched, errors = [], [], [], [], []
    for listing in listed:
        if listing.error is not None:
            errors.append(f"{listing.where}: {listing.error}")
            continue
        if listing.note is not None:
            not_searched.append(f"{listing.where} ({listing.note})")
            continue
        searched.append(listing.where)
        for process in listing.processes:
            if listing.is_host and (process.pid, process.cmdline) in in_containers:
                continue
            found = FoundProcess(listing.where, process.pid, process.cmdline)
            if is_job_process(process, patterns):
                jobs.append(found)
            elif is_cron_daemon(process):
                daemons.append(found)
    return ProcessSurvey(tuple(jobs), tuple(daemons), tuple(searched), tuple(not_searched), tuple(errors))


# -- a job-runner container, for platforms that have one (the real one has none) --------------

@dataclass(frozen=True)
class ScheduledService:
    role: str
    service: str
    would_run: bool  # the next `up` starts it
    jobs_enabled: bool  # its schedule switch ([platform] scheduled_jobs_env) is not "false"

    @property
    def will_fire(self) -> bool:
        return self.would_run and self.jobs_enabled


def job_runner_services(resolved: dict[str, Any], config: ExamdayConfig) -> list[ScheduledService]:
    """The configured job-runner roles' compose services, and whether their schedule fires."""
    found = []
    for role in config.platform.job_runner_roles:
        name = config.docker.containers.name_of(role)
        for service in resolved.get("services", {}):
            if service == role or (name and compose_config.container_name(resolved, service) == name):
                switch = config.platform.scheduled_jobs_env
                enabled = parse_flag(compose_config.service_environment(resolved, service).get(switch)) if switch else None
                found.append(ScheduledService(role, service, compose_config.service_would_run(resolved, service),
                                              enabled is not False))
                break
    return found


# -- gathering the readings (I/O) --------------------------------------------------------------

def job_patterns(config: ExamdayConfig) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in config.jobs.command_patterns)


def host_label() -> str:
    return f"host ({socket.gethostname()})"


def searched_roles(config: ExamdayConfig) -> list[str]:
    """[jobs] containers, else every role [docker.containers] names."""
    names = config.docker.containers
    return list(config.jobs.containers) if config.jobs.containers is not None else list(names.by_role())


def list_processes(docker: DockerReads, config: ExamdayConfig, roles: Sequence[str],
                   host: bool = False) -> list[ProcessListing]:
    """The processes of each role's container (and of this machine when asked)."""
    listings = []
    listed: set[str] = set()  # two roles naming one container: listed once
    for role in roles:
        name = config.docker.containers.name_of(role)
        if name in listed:
            continue
        if name is not None:
            listed.add(name)
        if name is None:
            listings.append(ProcessListing(role, error=f"role {role} is listed in [jobs] containers, but "
                                                       "[docker.containers] names no container for it"))
            continue
        try:
            container = docker.find(name, config.docker.service_label)
            if container is None:
                listings.append(ProcessListing(name, note="no such container"))
            elif not container.is_running:
                listings.append(ProcessListing(container.name, note=container.status))
            else:
                listings.append(ProcessListing(container.name, tuple(docker.processes(container.name))))
        except Unreachable:
            raise
        except ProbeError as error:
            listings.append(ProcessListing(name, error=str(error)))
    if host:
        from examday.probes.host import HostProbe

        try:
            listings.append(ProcessListing(host_label(), tuple(HostProbe("local://").processes()), is_host=True))
        except ProbeError as error:
            listings.append(ProcessListing(host_label(), error=str(error), is_host=True))
    return listings


def read_crontabs(docker: DockerReads, config: ExamdayConfig,
                  daemons: Iterable[FoundProcess] = ()) -> list[CrontabSource]:
    """Every [jobs] crontabs location; and where a cron daemon was seen running in a container,
    every place that daemon reads too, whether [jobs] names it or not (its entries fire all the same)."""
    sources: list[CrontabSource] = []
    configured: dict[str, set[str]] = {}  # container -> the paths [jobs] reads there
    for location in config.jobs.crontabs:
        if location.where == "host":
            reads = read_host_crontabs(location.paths)
            sources.extend(CrontabSource(_relabel(read, host_label()), location.format) for read in reads)
            continue
        name = config.docker.containers.name_of(location.where)
        if name is None:
            sources.append(CrontabSource(CrontabRead(location.where, ", ".join(location.paths), errors=(
                f"[jobs] crontabs reads role {location.where}, but [docker.containers] names no "
                f"container for it (set {location.where} = \"<container>\")",))))
            continue
        configured.setdefault(name, set()).update(location.paths)
        sources.extend(CrontabSource(read, location.format) for read in
                       read_container_crontabs(docker, name, location.paths, config.jobs.timeout_seconds))
    for container, paths, because in _daemon_locations(daemons, configured):
        sources.extend(CrontabSource(read, "user" if "supercronic" in because else "auto", because)
                       for read in read_container_crontabs(docker, container, paths, config.jobs.timeout_seconds))
    return sources


def _daemon_locations(daemons: Iterable[FoundProcess],
                      configured: Mapping[str, set[str]]) -> list[tuple[str, tuple[str, ...], str]]:
    found: dict[str, tuple[tuple[str, ...], str]] = {}
    for daemon in daemons:
        if daemon.where.startswith("host (") or daemon.where in found:
            continue  # the host's crontabs are [jobs]' to name
        given = supercronic_crontabs(_Cmdline(daemon.cmdline))
        already = configured.get(daemon.where, set())
        paths = tuple(path for path in (given or DAEMON_CRONTABS) if path not in already)
        if paths:
            found[daemon.where] = (paths, f"a cron daemon runs there: {daemon.cmdline[:60]}")
    return [(container, paths, because) for container, (paths, because) in found.items()]


@dataclass(frozen=True)
class _Cmdline:
    cmdline: str
    pid: int = 0
    ppid: int = 0


def _relabel(read: CrontabRead, where: str) -> CrontabRead:
    return CrontabRead(where, read.pattern, read.files, read.missing, read.errors, read.skipped)


@dataclass(frozen=True)
class JobsPicture:
    """Crontabs and processes together, as FRZ-JOB-01 and PRE-CFG-03 need them."""

    crontabs: CrontabSurvey
    processes: ProcessSurvey
    runner_containers: Mapping[str, str] = field(default_factory=dict)  # role -> status

    def as_evidence(self) -> dict[str, Any]:
        return {**self.crontabs.as_evidence(), **self.processes.as_evidence(),
                "job_runner_containers": dict(self.runner_containers)}

    def runners_problem(self) -> str | None:
        """A job-runner container still running at the freeze, where the platform has one."""
        running = [f"{role} ({status})" for role, status in self.runner_containers.items() if status == "running"]
        return f"job-runner containers still running: {', '.join(running)}" if running else None

    def freeze_problems(self) -> list[str]:
        """FRZ-JOB-01: every reason a job could still run during the exam."""
        return [problem for problem in (
            self.processes.jobs_problem(), self.processes.errors_problem(), self.runners_problem(),
            self.crontabs.entries_problem(), self.crontabs.unreadable_problem()) if problem]


def observe_jobs(docker: DockerReads, config: ExamdayConfig, host_processes: bool | None = None) -> JobsPicture:
    """Processes of the searched containers (and this machine), then every crontab that could fire."""
    patterns = job_patterns(config)
    host = config.jobs.host_processes if host_processes is None else host_processes
    processes = survey_processes(list_processes(docker, config, searched_roles(config), host), patterns)
    crontabs = survey_crontabs(read_crontabs(docker, config, processes.cron_daemons), patterns)
    return JobsPicture(crontabs, processes, runner_statuses(docker, config))


def runner_statuses(docker: DockerReads, config: ExamdayConfig) -> dict[str, str]:
    """role -> "running", "exited", ... or "missing", for each configured job-runner role."""
    statuses = {}
    for role in config.platform.job_runner_roles:
        name = config.docker.containers.name_of(role)
        container = docker.find(name, config.docker.service_label) if name else None
        statuses[role] = "missing" if container is None else container.status
    return statuses


def job_runners_after_exam(docker: DockerReads, config: ExamdayConfig) -> tuple[dict[str, Any], list[str]]:
    """On a platform with job-runner containers ([platform] job_runner_roles; the real one has none):
    each runner's state as evidence, and the problems: a runner not running, or its schedule switch
    ([platform] scheduled_jobs_env) false. Nothing when the platform has no runner."""
    roles = config.platform.job_runner_roles
    if not roles:
        return {}, []
    switch = config.platform.scheduled_jobs_env
    containers = find_containers(docker, config)
    runners = {role: containers.get(role) for role in roles}
    evidence = {role: None if c is None else {
        "name": c.name, "status": c.status, "schedule_enabled": parse_flag(c.env.get(switch)) if switch else None}
        for role, c in runners.items()}
    problems = [f"job runner {role} is {'missing' if c is None else c.status}" for role, c in runners.items()
                if c is None or not c.is_running]
    problems += [f"{switch}=false in the running {c.name}: its jobs never fire" for c in runners.values()
                 if switch and c is not None and c.is_running and parse_flag(c.env.get(switch)) is False]
    return evidence, problems


_JOB_KEY = re.compile(r"\bapp\.jobs\.run\s+([A-Za-z0-9_.-]+)")


def scheduled_job_keys(entries: Iterable[CronEntry]) -> list[str]:
    """The platform's job keys (`python -m app.jobs.run KEY`) the entries start: evidence of which
    recalculations catch up after the exam."""
    return sorted({match.group(1) for entry in entries for match in _JOB_KEY.finditer(entry.command)})
