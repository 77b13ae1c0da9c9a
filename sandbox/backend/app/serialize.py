"""Turn database rows into the exact JSON bodies the API promises.

Done by hand (not jsonable_encoder) so that a repeated call renders a stored
value byte for byte the same way: idempotent endpoints are asserted on that.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

SESSION_FIELDS = (
    "id",
    "user_id",
    "exam_id",
    "mode",
    "status",
    "total_questions",
    "started_at",
    "submitted_at",
    "expires_at",
    "duration_seconds",
    "score_correct",
    "score_total",
    "score_pct",
    "exam_mode_at_start",
    "created_at",
    "updated_at",
)
ANSWER_FIELDS = (
    "session_id",
    "question_id",
    "selected_index",
    "marked_for_review",
    "changed_count",
    "answered_at",
    "updated_at",
)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def scalar(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def pick(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    mapping = row._mapping
    return {name: scalar(mapping[name]) for name in fields}


def session_body(row: Any) -> dict[str, Any]:
    return pick(row, SESSION_FIELDS)


def answer_body(row: Any) -> dict[str, Any]:
    return pick(row, ANSWER_FIELDS)


def result_body(row: Any) -> dict[str, Any]:
    mapping = row._mapping
    return {
        "session_id": scalar(mapping["id"]),
        "status": mapping["status"],
        "score_correct": mapping["score_correct"],
        "score_total": mapping["score_total"],
        "score_pct": scalar(mapping["score_pct"]),
        "submitted_at": iso(mapping["submitted_at"]),
    }
