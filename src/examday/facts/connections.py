"""Database connections of the platform, by who holds them, against the real capacity.

docs/platform.md: capacity is workers x (pool_size + max_overflow), not the runbook's
"< 20", and it must fit under max_connections. The backend's connections are
recognised by where they come from (its container's addresses), so the count
does not depend on an application_name the platform may not set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.capacity import BackendCapacity, backend_capacity
from examday.facts.ports import DatabaseReads, DockerReads

BY_SOURCE = ("SELECT coalesce(application_name, ''), coalesce(state, ''), host(client_addr), count(*)"
             " FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() GROUP BY 1, 2, 3")


@dataclass(frozen=True)
class ConnectionUse:
    backend_connections: int
    total_connections: int
    breakdown: list[dict[str, Any]]
    capacity: BackendCapacity

    @property
    def pool_usage(self) -> float:
        return self.backend_connections / self.capacity.capacity if self.capacity.capacity else 1.0

    def as_evidence(self) -> dict[str, Any]:
        return {"backend_connections": self.backend_connections, "total_connections": self.total_connections,
                "pool_usage": round(self.pool_usage, 3), "breakdown": self.breakdown,
                **self.capacity.as_evidence()}


def connection_use(docker: DockerReads, postgres: DatabaseReads, config: ExamdayConfig) -> ConnectionUse:
    backend_ips = set(docker.container(config.docker.containers.backend).ip_addresses)
    rows = postgres.query(BY_SOURCE, (config.postgres.dbname,)).rows
    breakdown = [{"application": app or "(none)", "state": state or "(unknown)",
                  "from_backend": addr in backend_ips, "count": int(count)} for app, state, addr, count in rows]
    backend = sum(entry["count"] for entry in breakdown if entry["from_backend"])
    total = sum(entry["count"] for entry in breakdown)
    return ConnectionUse(backend, total, breakdown, backend_capacity(docker, postgres, config))
