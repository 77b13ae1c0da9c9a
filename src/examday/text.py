"""Small text helpers shared by layers that must not import each other (config, probes, facts,
sign-off files)."""

from __future__ import annotations

from typing import Any

# The words pydantic-settings (the platform's settings) and click (uvicorn's options) accept for a boolean.
TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off"})


def printable(text: str) -> str:
    """Control characters as escapes (``\\n``): the message stays one line, and shows what is there."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def parse_flag(value: Any) -> bool | None:
    """A boolean as the platform reads it: a bool as it is, a word of TRUE_WORDS or FALSE_WORDS in any
    case; None when unset or anything the platform's parsers would refuse (it says nothing)."""
    if isinstance(value, bool) or value is None:
        return value
    word = str(value).strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None
