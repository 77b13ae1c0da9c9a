"""The base of every section (unknown keys are errors), and what the target is: [target], [exam]."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from examday.config.types import NonEmptyStr, PositiveInt, invalid


class Section(BaseModel):
    """A table of examday.toml: unknown keys are errors, never silently ignored.

    TOML has ``inf`` and ``nan``: no threshold, window or margin means anything with them.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class TargetConfig(Section):
    name: NonEmptyStr
    kind: Literal["sandbox", "staging", "production"]
    description: str = ""


class ExamConfig(Section):
    """The exam's window. ``window_file``: a TOML file holding starts_at and ends_at, written by whatever
    schedules the exam (the sandbox's stages move their exam's window so: the day before, an hour
    before, live, after); the times in this table then come from it."""

    id: NonEmptyStr
    title: str = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    window_file: Path | None = None
    # The opening login burst, judged against the per-address login limit (PRE-CFG-05).
    expected_students: PositiveInt | None = None
    login_window_minutes: Annotated[float, Field(gt=0, le=1440)] = 10
    # Students who reach the platform from one address (an exam hall behind one NAT): one bucket.
    students_per_address: PositiveInt = 1

    @model_validator(mode="before")
    @classmethod
    def _window_from_file(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or not data.get("window_file"):
            return data
        base_dir = info.context.get("base_dir") if isinstance(info.context, dict) else None
        path = Path(data["window_file"])
        path = path if path.is_absolute() else Path(base_dir or ".") / path
        try:
            window = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise invalid("a readable TOML file with starts_at and ends_at",
                          "Write the exam's window there (the sandbox does on `examday sandbox up`).",
                          problem="{path}: {error}", key="window_file", path=str(path),
                          error=str(error)) from None
        return {**data, **{k: window[k] for k in ("starts_at", "ends_at") if k in window}, "window_file": path}

    @model_validator(mode="after")
    def _ends_after_start(self) -> ExamConfig:
        if self.ends_at <= self.starts_at:
            raise invalid(
                "a time after exam.starts_at",
                "Check the two times and their UTC offsets.",
                problem="ends_at ({found_end}) is not after starts_at ({found_start})",
                key="ends_at",
                found_end=self.ends_at.isoformat(),
                found_start=self.starts_at.isoformat(),
            )
        return self

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at
