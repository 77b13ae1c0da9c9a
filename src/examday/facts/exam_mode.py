"""Exam mode, and the freeze-updates flag: what each configured source says, and what it should say.

The real platform (docs/platform.md) keeps exam mode in the ``system_flags`` table
(row EXAM_MODE), each worker caching it 10 s; no code reads the EXAM_MODE env var
any more, though the runbook still sets it. Its admin endpoint reports the mode
the application runs with (read as the [operator]). Platforms of the runbook's era
read the env var: the ``env`` source judges the configuration the next restart
applies, the container's env and the live master process. Only the sources the
target lists are judged; an env var nothing reads is shown, never trusted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from examday.config import ExamdayConfig
from examday.facts.live_process import LiveEnvValue, master_env_value
from examday.facts.ports import DatabaseReads, DockerReads
from examday.text import parse_flag


@dataclass(frozen=True)
class ModeReading:
    enabled: bool | None  # None: this source says nothing
    source: str

    def as_evidence(self) -> dict[str, Any]:
        return {"exam_mode": self.enabled, "source": self.source}


@dataclass(frozen=True)
class FlagRow:
    """A row of the flags table; ``exists`` False when the table or the row is missing."""

    key: str
    exists: bool
    value: bool | None = None
    updated_at: dt.datetime | None = None
    updated_by: str | None = None
    reason: str | None = None

    def reading(self, table: str) -> ModeReading:
        return ModeReading(self.value, f"{table} row {self.key}")

    def as_evidence(self) -> dict[str, Any]:
        return {"key": self.key, "exists": self.exists, "value": self.value,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "updated_by": self.updated_by, "reason": self.reason}


def read_flag(postgres: DatabaseReads, table: str, key: str) -> FlagRow:
    """One row of the flags table, read-only; missing table or row is said, not guessed."""
    if postgres.scalar("SELECT to_regclass(%s)::text", (table,)) is None:
        return FlagRow(key, exists=False)
    statement = sql.SQL("SELECT value, updated_at, updated_by::text, reason FROM {table} WHERE key = %s").format(
        table=sql.Identifier(*table.split(".")))
    result = postgres.query(statement, (key,), limit=1)
    if not result.rows:
        return FlagRow(key, exists=False)
    value, updated_at, updated_by, reason = result.rows[0]
    return FlagRow(key, True, parse_flag(value), updated_at, updated_by, reason)


@dataclass(frozen=True)
class EnvMode:
    """The runbook era's EXAM_MODE env var: configured (next restart), in the container, in the live master."""

    key: str
    configured: ModeReading | None  # None: no compose configuration was read
    container_env: ModeReading
    live: LiveEnvValue

    def as_evidence(self) -> dict[str, Any]:
        return {"configured": self.configured, "container_env": self.container_env, "live_process": self.live}

    def problems(self, want: bool, applied: bool = True) -> list[str]:
        word = str(want).lower()
        if self.configured is not None and self.configured.enabled is not want:
            # even when applied now, the next restart would flip it back
            return [f"{self.key} in the {self.configured.source} is {self.configured.enabled}, not {word}"]
        if applied and (self.container_env.enabled is not want or parse_flag(self.live.value) is not want):
            return [f"{self.key}={word} is configured but not applied (container env {self.container_env.enabled}, "
                    f"live process pid {self.live.master_pid}: {self.live.value}): restart the backend to apply"]
        return []


@dataclass(frozen=True)
class ExamModeView:
    """Exam mode from every source the target reads it from, at one moment."""

    table: str
    flag: FlagRow | None  # the system_flags source
    reported: Any | None  # the application's own report (ExamModeStatus), when "http" is a source
    env: EnvMode | None  # the env source (runbook era)
    unread_env: str | None = None  # EXAM_MODE in the container env when no source reads it
    notes: list[str] = field(default_factory=list)

    def as_evidence(self) -> dict[str, Any]:
        evidence: dict[str, Any] = {"flag": self.flag, "reported_by_application": self.reported, "env": self.env}
        if self.unread_env is not None:
            evidence["env_var_nothing_reads"] = self.unread_env
        return evidence

    def problems(self, want: bool, applied: bool = True) -> list[str]:
        """Why the platform does not run (or, with applied=False, is not set to run) with exam mode `want`."""
        word = str(want).lower()
        found: list[str] = []
        if self.flag is not None and not self.flag.exists:
            found.append(f"no {self.flag.key} row in {self.table}: the platform runs in normal mode")
        elif self.flag is not None and self.flag.value is not want:
            found.append(f"the {self.table} row {self.flag.key} is {str(self.flag.value).lower()}, not {word}")
        if applied and self.reported is not None and self.reported.enabled is not want:
            found.append(f"the application reports exam mode {str(self.reported.enabled).lower()}, not {word}")
        if self.env is not None:
            found += self.env.problems(want, applied)
        return found


def observe_exam_mode(docker: DockerReads, postgres: DatabaseReads, report: Any | None, compose_env: dict[str, str] | None,
                      backend: str, config: ExamdayConfig) -> ExamModeView:
    """Read every configured source. ``report`` is a callable giving the application's own report."""
    cfg = config.exam_mode
    flag = read_flag(postgres, cfg.flag_table, cfg.flag_key) if "system_flags" in cfg.sources else None
    reported = report() if report is not None and "http" in cfg.sources else None
    container_env = docker.container(backend).env
    if "env" not in cfg.sources:
        return ExamModeView(cfg.flag_table, flag, reported, None, unread_env=container_env.get(cfg.env_key))
    env = EnvMode(
        key=cfg.env_key,
        configured=None if compose_env is None else ModeReading(parse_flag(compose_env.get(cfg.env_key)),
                                                                "compose configuration"),
        container_env=ModeReading(parse_flag(container_env.get(cfg.env_key)), "container environment"),
        live=master_env_value(docker, backend, cfg.env_key),
    )
    return ExamModeView(cfg.flag_table, flag, reported, env)


def freeze_updates_problem(row: FlagRow) -> str | None:
    """FREEZE_UPDATES on: every answer and submit answers 423, no student can save."""
    if row.exists and row.value:
        since = f" since {row.updated_at:%Y-%m-%d %H:%M} UTC" if row.updated_at else ""
        return (f"{row.key} is on{since}: answer and submit answer HTTP 423 FREEZE_UPDATES_ACTIVE, "
                "no student can save an answer")
    return None


def report_disagrees_within_cache(view: ExamModeView, cache_seconds: float, now: dt.datetime) -> float:
    """Seconds to wait before asking the application again, when the flag changed within the cache time."""
    if view.flag is None or view.reported is None or view.flag.updated_at is None:
        return 0.0
    if view.reported.enabled is view.flag.value:
        return 0.0
    age = (now - view.flag.updated_at).total_seconds()
    return max(0.0, cache_seconds - age + 1.0) if age < cache_seconds else 0.0
