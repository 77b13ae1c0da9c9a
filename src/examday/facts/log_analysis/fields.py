"""Reading one log line: its JSON object, and each field's value, tolerant of any input."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from examday.facts.log_analysis.limits import _MAX_KEY_CHARS
from examday.facts.log_analysis.settings import LogSettings

# `docker logs --timestamps` puts an RFC 3339 time and a space before each line.
_DOCKER_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d) (?=\{)")
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
_SQL_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_WHITESPACE = re.compile(r"\s+")
_scan_json = json.JSONDecoder().scan_once


def normalize_sql(statement: str) -> str:
    """Group statements by shape and keep literal values (possibly personal data) out of evidence."""
    shape = _SQL_STRING.sub("?", statement)
    shape = _SQL_NUMBER.sub("?", shape)
    shape = _WHITESPACE.sub(" ", shape).strip()
    return shape[:_MAX_KEY_CHARS]


def _decode_object(line: str) -> dict[str, Any] | str:
    """The JSON object on the line, or the skip reason (a str) when there is none."""
    start = 0 if line[:1] == "{" else _json_start(line)
    if start < 0:
        return "non_object" if _is_json(line) else "non_json"
    try:
        # The C scanner behind json.loads, called directly: a third faster on short lines.
        event, end = _scan_json(line, start)
    except (StopIteration, ValueError, RecursionError):
        return "non_json" if line.rstrip().endswith("}") else "truncated_json"
    if end != len(line) and line[end:].strip():
        return "non_json"
    return event


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _json_start(line: str) -> int:
    """Where a JSON object starts in the line (after blanks or a docker timestamp), or -1."""
    if line[:1] == "{":
        return 0
    stripped = line.lstrip()
    if stripped[:1] == "{":
        return len(line) - len(stripped)
    if line[:1].isdigit():
        prefix = _DOCKER_TIMESTAMP.match(line)
        if prefix:
            return prefix.end()
    return -1


def _first(extra: dict[str, Any], event: dict[str, Any], names: Iterable[str],
           convert: Callable[[Any], Any]) -> Any:
    """The first usable value of ``names``, in the nested fields first, then at the top level."""
    for fields in (extra, event):
        for name in names:
            value = convert(fields.get(name))
            if value is not None:
                return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _milliseconds(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    try:
        number = float(number)
    except OverflowError:
        return None
    if math.isnan(number) or math.isinf(number) or number < 0:
        return None
    return number


def _status_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit() and len(value) == 3:
        value = int(value)
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    return None


def _timestamp(value: Any) -> datetime | None:
    try:
        if isinstance(value, str):
            return _as_utc(datetime.fromisoformat(value))
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _as_utc(moment: datetime) -> datetime:
    # Naive times in logs are UTC by the platform's convention (structlog's "Z" timestamps).
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _route_key(event: dict[str, Any], settings: LogSettings) -> str:
    for key in (settings.route_field, settings.path_field):
        value = event.get(key)
        if isinstance(value, str) and value:
            return value.partition("?")[0][:_MAX_KEY_CHARS]
    return "(unknown)"
