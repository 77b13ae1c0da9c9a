"""Database connection capacity: the arithmetic, and the running backend's, counted from its processes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.ports import DatabaseReads, DockerReads
from examday.facts.processes import count_serving_processes


# -- database connection capacity ---------------------------------------------------------

def connection_capacity(workers: int, pool_size: int, max_overflow: int) -> int:
    """Connections the app can open at most: every worker process has its own pool."""
    if min(workers, pool_size, max_overflow) < 0:
        raise ValueError("workers, pool_size and max_overflow cannot be negative")
    return workers * (pool_size + max_overflow)


@dataclass(frozen=True)
class CapacityAssessment:
    capacity: int  # what the application can open
    max_connections: int
    reserved: int  # superuser_reserved_connections: not available to the app
    headroom: float  # fraction of the usable connections kept free (psql, backups, monitoring)

    @property
    def usable(self) -> int:
        return max(0, self.max_connections - self.reserved)

    @property
    def allowed(self) -> int:
        """The most the app may claim while keeping the headroom free."""
        return math.floor(self.usable * (1 - self.headroom))

    @property
    def margin(self) -> int:
        """Connections to spare (negative: over by that many)."""
        return self.allowed - self.capacity

    @property
    def fits(self) -> bool:
        return self.margin >= 0


def assess_capacity(capacity: int, max_connections: int, reserved: int = 3,
                    headroom: float = 0.1) -> CapacityAssessment:
    """Does the app's connection capacity fit PostgreSQL's max_connections? (reserved defaults to
    PostgreSQL's superuser_reserved_connections default, 3)."""
    if not 0 <= headroom < 1:
        raise ValueError(f"headroom is a fraction in [0, 1), got {headroom}")
    return CapacityAssessment(capacity=capacity, max_connections=max_connections,
                              reserved=reserved, headroom=headroom)


def pool_usage(app_connections: int, capacity: int) -> float:
    """Share of the app's own pool capacity in use (not of max_connections: the old script's bug)."""
    if capacity <= 0:
        raise ValueError("pool capacity must be positive")
    return app_connections / capacity


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


def backend_capacity(docker: DockerReads, postgres: DatabaseReads, config: ExamdayConfig) -> BackendCapacity:
    backend = config.docker.containers.backend
    workers = count_serving_processes(docker.processes(backend))
    env = docker.container(backend).env
    capacity = connection_capacity(workers, config.platform.pool_size, config.platform.max_overflow)
    assessment = assess_capacity(capacity, postgres.max_connections(), postgres.superuser_reserved_connections(),
                                 config.thresholds.connection_headroom)
    return BackendCapacity(workers, env.get(config.platform.workers_env), capacity, assessment)
