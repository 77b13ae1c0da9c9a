"""Small text helpers shared by layers that must not import each other (config, sign-off files)."""

from __future__ import annotations


def printable(text: str) -> str:
    """Control characters as escapes (``\\n``): the message stays one line, and shows what is there."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
