"""The one error type sandbox commands raise: a cause and a fix, no traceback."""


class SandboxError(Exception):
    """Something stops a sandbox command; `hint` says what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base}\n  fix: {self.hint}" if self.hint else base
