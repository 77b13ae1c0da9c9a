"""Exam mode: what the configuration says, what the running process has, what the app reports.

PLATFORM.md: newer versions keep the source of truth in `system_flags` (row
EXAM_MODE), the EXAM_MODE env var is the legacy fallback, and the app can
report its effective mode. Each reading says where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.live_process import LiveEnvValue, master_env_value

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


@dataclass(frozen=True)
class AppliedMode:
    """Exam mode from every source at once: configured, container env, live process, flag, app."""

    key: str
    configured: ModeReading
    container_env: ModeReading
    live: LiveEnvValue
    flag: ModeReading
    reported: Any | None  # the application's own report (an API reading), when asked

    def as_evidence(self) -> dict[str, Any]:
        return {"configured": self.configured, "container_env": self.container_env, "live_process": self.live,
                "flag": self.flag, "reported": self.reported}

    def problems(self, want: bool) -> list[str]:
        """Why the platform does not run, and would not keep running, with exam mode `want`."""
        word = str(want).lower()
        if self.flag.enabled is not None:  # the table wins: it applies without a restart
            found = [] if self.flag.enabled is want else [
                f"the {self.flag.source} row says {self.key}={str(self.flag.enabled).lower()} and it wins over the env"]
        else:
            found = self._env_problems(want, word)
        if self.reported is not None and self.reported.enabled is not want:
            found.append(f"the application reports exam mode {self.reported.enabled}")
        return found

    def _env_problems(self, want: bool, word: str) -> list[str]:
        live = as_bool(self.live.value)
        if self.configured.enabled is not want:
            # even when applied now, the next restart would flip it back
            return [f"{self.key} in the {self.configured.source} is {self.configured.enabled}, not {word}"]
        if self.container_env.enabled is not want or live is not want:
            return [f"{self.key}={word} is configured but not applied (container env {self.container_env.enabled}, "
                    f"live process pid {self.live.master_pid}: {self.live.value}): restart the backend to apply"]
        return []


def observe_applied_mode(docker: Any, postgres: Any, api: Any, compose_env: dict[str, str], backend: str,
                         config: ExamdayConfig) -> AppliedMode:
    key = config.exam_mode.env_key
    return AppliedMode(
        key=key,
        configured=configured_mode(compose_env, config),
        container_env=running_env_mode(docker.container(backend).env, config),
        live=master_env_value(docker, backend, key),
        flag=flag_mode(postgres, config),
        reported=api.exam_mode() if "http" in config.exam_mode.sources else None,
    )
