"""The Docker engine's answers read into typed observations: a container's state, limits, health and
ports, its resource use, its processes (top). Pure: the engine's JSON in, dataclasses out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from examday.probes.process_listing import ProcessInfo


@dataclass(frozen=True)
class ContainerObservation:
    name: str
    id: str
    image: str
    image_id: str
    status: str
    health: str | None  # None: the container has no healthcheck
    restart_count: int
    started_at: datetime | None
    exit_code: int | None
    labels: dict[str, str]
    mem_limit_bytes: int | None  # None: no limit
    cpus: float | None  # None: no limit (from NanoCpus, else CpuQuota / CpuPeriod)
    log_driver: str
    log_opts: dict[str, str]
    env: dict[str, str] = field(repr=False)  # holds secrets: callers redact before recording
    ip_addresses: tuple[str, ...] = ()  # on each network it is attached to
    published_ports: tuple[tuple[str, int], ...] = ()  # (host address, host port) it publishes

    @property
    def is_running(self) -> bool:
        return self.status == "running"


@dataclass(frozen=True)
class ResourceObservation:
    name: str
    cpu_percent: float
    memory_used_bytes: int
    memory_limit_bytes: int
    pids: int | None

    @property
    def memory_percent(self) -> float:
        return 100.0 * self.memory_used_bytes / self.memory_limit_bytes if self.memory_limit_bytes else 0.0


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: list[str]
    created: datetime | None


def cpu_percent(stats: dict[str, Any]) -> float:
    """CPU % as the docker CLI computes it (cgroup v1 and v2): share of the host, times CPUs."""
    cpu, precpu = stats.get("cpu_stats") or {}, stats.get("precpu_stats") or {}
    cpu_delta = _get(cpu, "cpu_usage", "total_usage") - _get(precpu, "cpu_usage", "total_usage")
    system_delta = (cpu.get("system_cpu_usage") or 0) - (precpu.get("system_cpu_usage") or 0)
    online_cpus = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or [])
    if cpu_delta <= 0 or system_delta <= 0:
        return 0.0
    return (cpu_delta / system_delta) * online_cpus * 100.0


def memory_usage(stats: dict[str, Any]) -> tuple[int, int]:
    """(used, limit) bytes as the docker CLI shows them: page cache that can be dropped is not "used"."""
    memory = stats.get("memory_stats") or {}
    usage, limit = int(memory.get("usage") or 0), int(memory.get("limit") or 0)
    details = memory.get("stats") or {}
    # cgroup v1 reports total_inactive_file, v2 inactive_file; engines before 19.03 subtracted cache.
    for key in ("total_inactive_file", "inactive_file", "cache"):
        if key in details and int(details[key]) < usage:
            return usage - int(details[key]), limit
    return usage, limit


def _get(mapping: dict[str, Any], *keys: str) -> int:
    value: Any = mapping
    for key in keys:
        value = (value or {}).get(key)
    return int(value or 0)


def observe_container(attrs: dict[str, Any]) -> ContainerObservation:
    state = attrs.get("State") or {}
    config = attrs.get("Config") or {}
    host_config = attrs.get("HostConfig") or {}
    log_config = host_config.get("LogConfig") or {}
    finished = state.get("Status") in ("exited", "dead")
    return ContainerObservation(
        name=(attrs.get("Name") or "").lstrip("/"),
        id=attrs.get("Id", ""),
        image=config.get("Image", ""),
        image_id=attrs.get("Image", ""),
        status=state.get("Status", "unknown"),
        health=(state.get("Health") or {}).get("Status"),
        restart_count=int(attrs.get("RestartCount") or 0),
        started_at=parse_docker_time(state.get("StartedAt")),
        exit_code=int(state.get("ExitCode", 0)) if finished else None,
        labels=dict(config.get("Labels") or {}),
        mem_limit_bytes=host_config.get("Memory") or None,
        cpus=_cpus(host_config),
        log_driver=log_config.get("Type", ""),
        log_opts=dict(log_config.get("Config") or {}),
        env=_env_dict(config.get("Env") or []),
        ip_addresses=tuple(sorted(
            network["IPAddress"] for network in ((attrs.get("NetworkSettings") or {}).get("Networks") or {}).values()
            if network.get("IPAddress"))),
        published_ports=_published_ports(attrs),
    )


def _published_ports(attrs: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    return tuple(sorted({(binding.get("HostIp") or "", int(binding["HostPort"]))
                         for bindings in ports.values() for binding in (bindings or [])
                         if str(binding.get("HostPort", "")).isdigit()}))


def observe_resources(name: str, stats: dict[str, Any]) -> ResourceObservation:
    used, limit = memory_usage(stats)
    return ResourceObservation(
        name=name,
        cpu_percent=cpu_percent(stats),
        memory_used_bytes=used,
        memory_limit_bytes=limit,
        pids=(stats.get("pids_stats") or {}).get("current"),
    )


def _cpus(host_config: dict[str, Any]) -> float | None:
    if host_config.get("NanoCpus"):
        return float(host_config["NanoCpus"]) / 1e9
    quota, period = host_config.get("CpuQuota") or 0, host_config.get("CpuPeriod") or 0
    if quota > 0:
        return quota / (period or 100_000)  # the kernel's default period is 100 ms
    return None


def _env_dict(entries: list[str]) -> dict[str, str]:
    pairs = (entry.split("=", 1) for entry in entries)
    return {pair[0]: (pair[1] if len(pair) > 1 else "") for pair in pairs}


_DOCKER_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?")


def parse_docker_time(value: str | None) -> datetime | None:
    """Docker timestamps carry nanoseconds (Python takes micro); the zero time means "never"."""
    match = _DOCKER_TIME.fullmatch(value or "")
    if match is None or match.group(1).startswith("0001-01-01"):
        return None
    seconds, fraction, zone = match.groups()
    micro = f".{fraction[:6]}" if fraction else ""
    offset = "+00:00" if zone in (None, "Z") else zone
    return datetime.fromisoformat(f"{seconds}{micro}{offset}")


def processes_from_top(top: dict[str, Any]) -> list[ProcessInfo]:
    titles = [title.upper() for title in top.get("Titles") or []]
    column = {title: index for index, title in enumerate(titles)}
    command_column = column.get("COMMAND", column.get("ARGS", len(titles) - 1))
    return [
        ProcessInfo(pid=int(row[column["PID"]]), ppid=int(row[column["PPID"]]),
                    user=row[column["USER"]], cmdline=row[command_column])
        for row in top.get("Processes") or []
    ]
