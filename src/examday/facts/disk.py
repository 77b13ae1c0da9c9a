"""Free space on the database's volume, read with `df -P -k` inside its container (POSIX output)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.ports import DatabaseReads, DockerReads
from examday.probes.errors import BadResponse

KIB_PER_GIB = 1024 * 1024


@dataclass(frozen=True)
class VolumeSpace:
    path: str
    total_kb: int
    available_kb: int

    @property
    def free_pct(self) -> float:
        return 100 * self.available_kb / self.total_kb if self.total_kb else 0.0

    def as_evidence(self) -> dict[str, Any]:
        return {"data_directory": self.path, "total_gb": round(self.total_kb / KIB_PER_GIB, 1),
                "available_gb": round(self.available_kb / KIB_PER_GIB, 1), "free_pct": round(self.free_pct, 1)}


def parse_df(path: str, output: str) -> VolumeSpace:
    """`df -P -k PATH`: a header, then one line "filesystem total used available capacity mount"
    (the last line: a long filesystem name does not wrap under -P)."""
    lines = output.strip().splitlines()
    fields = lines[-1].split() if len(lines) >= 2 else []
    if len(fields) < 6 or not (fields[1].isdigit() and fields[3].isdigit()):
        raise BadResponse(f"`df -P -k {path}` gave no usable line ({output.strip()[:200]!r}): is df "
                          "installed in the database's container?", dependency="docker")
    return VolumeSpace(path, int(fields[1]), int(fields[3]))


def database_volume(docker: DockerReads, postgres: DatabaseReads, config: ExamdayConfig) -> VolumeSpace:
    """Space on the volume that holds PostgreSQL's data directory."""
    data_dir = postgres.setting("data_directory")
    result = docker.exec(config.docker.containers.postgres, ["df", "-P", "-k", data_dir], timeout=10)
    return parse_df(data_dir, result.output)
