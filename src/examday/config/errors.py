"""The one exception the config layer raises."""

from __future__ import annotations

from pathlib import Path

from examday.errors import ExamdayError


class ConfigError(ExamdayError):
    """examday.toml cannot be used. ``str(error)`` is one message an operator can act on.

    ``key`` is the dotted key at fault (``tls.min_days_left``) when there is one,
    so that tools can point at it without parsing the message.
    """

    def __init__(self, message: str, *, path: Path | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.key = key
