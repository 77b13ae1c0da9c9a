"""The one error type sandbox commands raise: a cause and a fix, no traceback."""

from __future__ import annotations

from examday.errors import ExamdayError


class SandboxError(ExamdayError):
    """Something stops a sandbox command; `hint` says what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
