"""Exam mode: what the configuration says, what the running process has, what the app reports.

PLATFORM.md: newer versions keep the source of truth in `system_flags` (row
EXAM_MODE), the EXAM_MODE env var is the legacy fallback, and the app can
report its effective mode. Each reading says where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examday.config import ExamdayConfig

TRUE_WORDS = {"1", "true", "yes", "on"}


def as_bool(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() in TRUE_WORDS


@dataclass(frozen=True)
class ModeReading:
    enabled: bool | None  # None: this source says nothing
    source: str

    def as_evidence(self) -> dict[str, Any]:
        return {"exam_mode": self.enabled, "source": self.source}


def configured_mode(compose_env: dict[str, str], config: ExamdayConfig) -> ModeReading:
    """EXAM_MODE in the backend's configuration: what the next restart applies."""
    return ModeReading(as_bool(compose_env.get(config.exam_mode.env_key)), "compose configuration")


def running_env_mode(container_env: dict[str, str], config: ExamdayConfig) -> ModeReading:
    """EXAM_MODE in the running backend container's environment."""
    return ModeReading(as_bool(container_env.get(config.exam_mode.env_key)), "container environment")


def flag_mode(postgres: Any, config: ExamdayConfig) -> ModeReading:
    """The system_flags row, when the table and row exist (it wins over the env)."""
    value = postgres.exam_mode_flag(config.exam_mode.flag_table, config.exam_mode.flag_key)
    return ModeReading(value, f"{config.exam_mode.flag_table} table")


def expected_effective(flag: ModeReading, env: ModeReading) -> ModeReading:
    """What the application should be running with: the flag when present, else the env."""
    return flag if flag.enabled is not None else env
