"""Durations as an operator types them: `90s`, `15m`, `4h`, `1h30m`, or a bare number of seconds."""

from __future__ import annotations

import re

from examday.errors import ExamdayError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
EXAMPLES = "e.g. 90s, 15m, 4h, 1h30m"


class DurationError(ExamdayError, ValueError):
    """A duration that cannot be read; the message says what was expected."""


def parse_duration(text: str) -> float:
    """Seconds in `text`; a bare number is seconds (`--interval 60`)."""
    cleaned = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        seconds = float(cleaned)
    elif cleaned and re.fullmatch(f"(?:{_PART.pattern})+", cleaned):
        seconds = sum(float(number) * _UNITS[unit] for number, unit in _PART.findall(cleaned))
    else:
        raise DurationError(f"{text!r} is not a duration ({EXAMPLES}; units s, m, h, d)")
    if seconds <= 0:
        raise DurationError(f"{text!r} is not a positive duration ({EXAMPLES})")
    return seconds


def format_duration(seconds: float) -> str:
    """The short form back: 5400 -> '1h30m', 20 -> '20s', 2.5 -> '2.5s'."""
    if seconds < 60:
        return f"{seconds:g}s"
    whole = round(seconds)
    parts = [(whole // 3600, "h"), (whole % 3600 // 60, "m"), (whole % 60, "s")]
    return "".join(f"{value}{unit}" for value, unit in parts if value)
