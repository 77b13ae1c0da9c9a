"""Who examday signs in as or acts for: the student flow, [operator], [canary], [rehearsal]'s
simulated students and drills, [attestations]."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from examday.config.secrets import PasswordFromEnvOrFile
from examday.config.sections.target import Section
from examday.config.types import ConfigPath, FileInExistingDir, HttpBaseUrl, NonEmptyStr, invalid


class StudentFlowConfig(Section):
    """How a student uses the platform's API: the one description the canary and the rehearsal's
    students share. Defaults are the real platform's shapes (docs/platform.md, "HTTP surface").

    Paths are under ``[api] prefix`` unless they start with "/". In bodies and paths, a value that
    is exactly ``"{name}"`` is replaced by that value with its type (``"{choice}"`` becomes 2);
    ``{name}`` inside a longer string is formatted in. Names: username, password, session_id,
    question_id, choice. A ``*_field`` is a dotted path into the JSON answer ("tokens.access_token").
    There is no "my sessions" route: a client keeps the session_id that create answered.
    """

    login_path: str = "auth/login"
    login_body: dict[str, Any] = Field(default_factory=lambda: {"email": "{username}", "password": "{password}"})
    token_field: NonEmptyStr = "tokens.access_token"
    create_path: str = "sessions"
    # Set year and blocks to your question bank's: the session draws `count` questions from them.
    create_body: dict[str, Any] = Field(
        default_factory=lambda: {"mode": "EXAM", "year": 1, "blocks": ["A", "B"], "count": 20})
    session_id_field: NonEmptyStr = "session_id"
    view_path: str = "sessions/{session_id}"
    status_field: NonEmptyStr = "session.status"
    questions_field: NonEmptyStr = "questions"
    question_id_field: NonEmptyStr = "question_id"
    position_field: NonEmptyStr = "position"
    answered_field: NonEmptyStr = "has_answer"
    answer_path: str = "sessions/{session_id}/answer"
    answer_body: dict[str, Any] = Field(
        default_factory=lambda: {"question_id": "{question_id}", "selected_index": "{choice}"})
    submit_path: str = "sessions/{session_id}/submit"
    choices: Annotated[int, Field(ge=2, le=26)] = 5  # selected_index 0..choices-1


class OperatorConfig(PasswordFromEnvOrFile, Section):
    """An operator (ADMIN) account examday signs in as to READ the admin endpoints (exam mode,
    freeze-updates); it never changes them. Signs in through ``[flow]``'s login."""

    username: NonEmptyStr


class CanaryConfig(PasswordFromEnvOrFile, Section):
    """A dedicated student account the recovery phase signs in as, to prove sessions resume.

    The one place examday writes to a target, and only through the platform's own API as
    this student (``[flow]``): it starts a session once, keeps its id (there is no way to
    list one's sessions), resumes it on later runs and saves one answer per run.
    """

    username: NonEmptyStr
    # Where it remembers its session id and answers (default: beside the freeze baseline). Losing
    # the file makes the next run open a second ACTIVE session, which POST-INT-01 reports.
    memory_file: ConfigPath | None = None  # a relative path is read from the config file's folder


def _networks(value: list[str]) -> list[str]:
    for text in value:
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise invalid('networks such as "127.0.0.0/8" or "10.20.0.0/16"',
                          "List the target's own addresses: load goes nowhere else.",
                          problem="found {text}", text=f'"{text}"') from None
    return value


def _username_pattern(value: str) -> str:
    try:
        value.format(1)
    except (IndexError, KeyError, ValueError):
        raise invalid('a pattern with one number field, e.g. "student{:03d}"',
                      "Use {} or {:03d} where the student's number goes.") from None
    return value


class RehearsalConfig(PasswordFromEnvOrFile, Section):
    """`pytest -m rehearsal`: load from simulated students, and fault drills (never production unless forced).

    The students sign in as numbered accounts (username_pattern from first_student on),
    all with the one password (password_env / password_file).
    """

    students: Annotated[int, Field(ge=1, le=10_000)] = 60
    first_student: Annotated[int, Field(ge=0)] = 1
    username_pattern: Annotated[str, AfterValidator(_username_pattern)] = "student{:03d}"
    # Where the load goes (default [api] base_url). On the real platform a host proxy reaches the
    # backend at 127.0.0.1:8000; load sent there is trusted for X-Forwarded-For as that proxy is.
    base_url: HttpBaseUrl | None = None
    # Each student's own client address (X-Forwarded-For), drawn from this network: the platform
    # limits logins per address, and an exam hall's students do not share one. Unset: none sent.
    client_network: Annotated[str, AfterValidator(lambda v: _networks([v])[0])] | None = None
    # Where load may go: the target's own addresses (a base URL resolving elsewhere is refused).
    allowed_networks: Annotated[list[str], AfterValidator(_networks)] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    answer_rate_per_s: Annotated[float, Field(gt=0, le=10_000)] = 20
    steady_seconds: Annotated[float, Field(ge=1, le=3600)] = 10  # before each fault, and again after it
    redis_outage_seconds: Annotated[float, Field(ge=1, le=3600)] = 60  # the runbook's "stop Redis 60 s"
    db_latency_seconds: Annotated[float, Field(ge=1, le=3600)] = 20
    db_outage_seconds: Annotated[float, Field(ge=1, le=3600)] = 30  # the database frozen, before its restart
    # Database latency without netem: the database container frozen this long in every period.
    db_freeze_ms: Annotated[int, Field(ge=10, le=5000)] = 150
    db_freeze_period_ms: Annotated[int, Field(ge=20, le=10_000)] = 300
    max_requests: Annotated[int, Field(ge=1, le=10_000_000)] = 200_000
    # The drills stop Redis, kill workers, restart the backend and freeze the database: the
    # target's own file opts in, saying who allowed it and why (examday.rehearsal.guard).
    allowed: bool = False
    allowed_by: NonEmptyStr | None = None
    allowed_because: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _allowed_says_who_and_why(self) -> RehearsalConfig:
        if self.allowed and not (self.allowed_by and self.allowed_because):
            raise invalid("allowed_by and allowed_because beside allowed = true",
                          "Say who allowed the drills on this target, and why.",
                          problem="found allowed = true alone", key="allowed")
        return self

    @model_validator(mode="after")
    def _freeze_shorter_than_its_period(self) -> RehearsalConfig:
        if self.db_freeze_ms >= self.db_freeze_period_ms:
            raise invalid("less than db_freeze_period_ms", "The database must run part of every period.",
                          problem="found {ms} ms frozen of every {period} ms", key="db_freeze_ms",
                          ms=self.db_freeze_ms, period=self.db_freeze_period_ms)
        return self


class AttestationsConfig(Section):
    """Signed-off manual items. Unset ``file`` means attestations/<exam id or target name>.toml."""

    file: FileInExistingDir | None = None
