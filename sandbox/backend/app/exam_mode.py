"""Effective exam mode: the system_flags row wins when it exists, else the env var.

Newer platform versions keep the source of truth in the database; EXAM_MODE in
the environment is the legacy fallback. Callers are told which source decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.settings import get_settings

FLAG_KEY = "EXAM_MODE"


@dataclass(frozen=True)
class ExamMode:
    enabled: bool
    source: Literal["system_flags", "env"]
    env_value: bool
    flag_value: bool | None


def read_flag(db: Session | Connection) -> bool | None:
    row = db.execute(text("SELECT value FROM system_flags WHERE key = :k"), {"k": FLAG_KEY}).first()
    return None if row is None else bool(row.value)


def effective_exam_mode(db: Session | Connection) -> ExamMode:
    env_value = get_settings().exam_mode_env
    flag_value = read_flag(db)
    if flag_value is None:
        return ExamMode(enabled=env_value, source="env", env_value=env_value, flag_value=None)
    return ExamMode(enabled=flag_value, source="system_flags", env_value=env_value, flag_value=flag_value)
