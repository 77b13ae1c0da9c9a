"""Database connection capacity of the running backend, counted from its processes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examday.config import ExamdayConfig
from examday.probes.capacity import CapacityAssessment, assess_capacity, connection_capacity, count_serving_processes


@dataclass(frozen=True)
class BackendCapacity:
    workers: int
    configured_workers: str | None
    capacity: int
    assessment: CapacityAssessment

    def as_evidence(self) -> dict[str, Any]:
        a = self.assessment
        return {"workers_running": self.workers, "workers_configured": self.configured_workers,
                "pool_per_worker": self.capacity // max(self.workers, 1), "capacity": self.capacity,
                "max_connections": a.max_connections, "reserved": a.reserved,
                "allowed_with_headroom": a.allowed, "margin": a.margin}


def backend_capacity(docker: Any, postgres: Any, config: ExamdayConfig) -> BackendCapacity:
    backend = config.docker.containers.backend
    workers = count_serving_processes(docker.processes(backend))
    env = docker.container(backend).env
    capacity = connection_capacity(workers, config.platform.pool_size, config.platform.max_overflow)
    assessment = assess_capacity(capacity, postgres.max_connections(), postgres.superuser_reserved_connections(),
                                 config.thresholds.connection_headroom)
    return BackendCapacity(workers, env.get(config.platform.workers_env), capacity, assessment)
