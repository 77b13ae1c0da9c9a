"""CPU and memory of every platform container against its limits, sampled together."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.containers import find_containers
from examday.facts.ports import DockerReads
from examday.probes.docker_observations import ResourceObservation


def sample_resources(docker: DockerReads, containers: list[str]) -> dict[str, ResourceObservation]:
    """One stats sample per container. The engine needs about a second per sample (it
    measures CPU between two reads), so they are taken in parallel, not one by one."""
    with ThreadPoolExecutor(max_workers=max(1, len(containers))) as pool:
        return dict(zip(containers, pool.map(docker.stats, containers)))


def sample_running_containers(docker: DockerReads, config: ExamdayConfig) -> dict[str, ResourceObservation]:
    """One CPU/memory sample of each of the target's containers that is running (a stopped one has none)."""
    running = [c.name for c in find_containers(docker, config).values() if c is not None and c.is_running]
    return sample_resources(docker, running)


def resource_evidence(samples: dict[str, ResourceObservation]) -> dict[str, Any]:
    return {name: {"cpu_pct": round(s.cpu_percent, 1), "memory_pct": round(s.memory_percent, 1),
                   "memory_used_mb": round(s.memory_used_bytes / 1048576, 1),
                   "memory_limit_mb": round(s.memory_limit_bytes / 1048576, 1)}
            for name, s in samples.items()}


def over_thresholds(samples: dict[str, ResourceObservation], cpu_pct: float, mem_pct: float) -> list[str]:
    """Human-readable list of the containers over either threshold."""
    over = []
    for name, s in samples.items():
        if s.cpu_percent > cpu_pct:
            over.append(f"{name} CPU {s.cpu_percent:.0f}% > {cpu_pct:g}%")
        if s.memory_percent > mem_pct:
            over.append(f"{name} memory {s.memory_percent:.0f}% of its limit > {mem_pct:g}%")
    return over
