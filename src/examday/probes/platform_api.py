"""The platform's HTTP contract as examday reads it: the ready body (status and per-component
checks, always HTTP 200) and the admin exam-mode body. Pure: bodies in, typed statuses out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from examday.probes.http_observation import HttpObservation
from examday.text import parse_flag


EXAM_MODE_KEYS = ("exam_mode", "enabled", "value", "active", "EXAM_MODE")


@dataclass(frozen=True)
class ComponentCheck:
    status: str
    message: str | None


@dataclass(frozen=True)
class ReadyStatus:
    """The body of ``{prefix}/ready``. The HTTP code is always 200: the body is the verdict."""

    status: str
    checks: dict[str, ComponentCheck]
    request_id: str | None
    observation: HttpObservation = field(repr=False)

    @property
    def is_ok(self) -> bool:
        return self.status == "ok"

    def failing_components(self) -> dict[str, ComponentCheck]:
        return {name: check for name, check in self.checks.items() if check.status != "ok"}

    def describe(self) -> str:
        """"ready says degraded: {'redis': 'down: ...'}": the status and what is failing."""
        failing = {name: f"{check.status}: {check.message}" for name, check in self.failing_components().items()}
        return f"ready says {self.status}: {failing or 'no component named'}"

    def as_evidence(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "checks": {name: asdict(check) for name, check in self.checks.items()},
            "request_id": self.request_id,
            "http": self.observation.as_evidence(),
        }


@dataclass(frozen=True)
class ExamModeStatus:
    """What the API says about exam mode: the flag, the key it was read from, and the
    source the application says decided it (``"system_flags"`` or ``"env"``), if it says."""

    enabled: bool
    source_key: str | None
    reported_source: str | None
    observation: HttpObservation = field(repr=False)

    def as_evidence(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "source_key": self.source_key,
            "reported_source": self.reported_source,
            "http": self.observation.as_evidence(),
        }


def parse_ready_body(body: Any) -> tuple[str, dict[str, ComponentCheck], str | None]:
    """(status, checks, request_id) from a readiness body; ValueError says what is off."""
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")
    status = body.get("status")
    if not isinstance(status, str) or not status:
        raise ValueError('no "status" string')
    raw_checks = body.get("checks")
    if not isinstance(raw_checks, dict):
        raise ValueError('no "checks" object')
    checks = {}
    for name, check in raw_checks.items():
        if not isinstance(check, dict) or not isinstance(check.get("status"), str):
            raise ValueError(f'check "{name}" has no "status" string')
        message = check.get("message")
        checks[name] = ComponentCheck(status=check["status"], message=None if message is None else str(message))
    request_id = body.get("request_id")
    return status, checks, request_id if isinstance(request_id, str) else None


def parse_exam_mode_body(body: Any) -> tuple[bool, str | None] | None:
    """(enabled, key read) from ``true`` or ``{"exam_mode": true, ...}``; None if unreadable."""
    if isinstance(body, bool):
        return body, None
    if not isinstance(body, dict):
        return None
    for key in EXAM_MODE_KEYS:
        value = parse_flag(body.get(key))
        if value is not None:
            return value, key
    return None
