"""The running stack as `examday init` reads it: the Docker engine's containers, the tail of a log,
a container's program, and one read-only catalogue lookup through the checklist's own psql probe."""

from __future__ import annotations

from typing import Any

from examday.probes.docker import DockerProbe
from examday.probes.errors import BadResponse, ProbeError
from examday.probes.postgres_exec import PostgresExecProbe

TIMEOUT_SECONDS = 5.0  # a dead engine costs one timeout, then the compose file's findings stand alone


class DockerStack:
    def __init__(self, base_url: str | None = None) -> None:
        self.probe = DockerProbe(base_url, timeout=TIMEOUT_SECONDS)

    def container(self, name: str) -> Any:
        return self.probe.container(name)

    def logs(self, name: str, tail: int) -> list[str]:
        return list(self.probe.logs(name, tail=tail))

    def program(self, name: str) -> str:
        try:
            attrs = self.probe.client.containers.get(name).attrs
        except ProbeError:
            raise
        except Exception as error:  # the engine's own errors, as the probe would report them
            raise BadResponse(f"{name}: {error}", dependency="docker") from error
        return " ".join([str(attrs.get("Path") or ""), *map(str, attrs.get("Args") or [])])

    def has_table(self, container: str, dbname: str, user: str, table: str) -> bool:
        postgres = PostgresExecProbe(lambda: self.probe, container, dbname=dbname, user=user)
        result = postgres.query("SELECT to_regclass(%s) IS NOT NULL", (table,))
        return bool(result.rows and result.rows[0][0] in (True, "t", "true"))

    def close(self) -> None:
        self.probe.close()
