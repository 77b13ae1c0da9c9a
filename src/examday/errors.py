"""The root of every error examday raises for an operator to read (after httpx's one error root).

``str(error)`` is one message that says what is wrong; ``hint``, when there is one, says what to do
and prints on its own line. The CLI turns any of them into that text and exit 2, never a traceback:

    ExamdayError                  everything below
      ConfigError                 examday.toml cannot be used (config/errors.py)
      ProbeError                  a probe could not observe (probes/errors.py): Unreachable, ProbeTimeout, BadResponse
      SandboxError                a sandbox command cannot go on (sandbox/errors.py)
      AttestationError, WaiverError, SigningError, CaptureError, DurationError, FlowError, ...
"""

from __future__ import annotations


class ExamdayError(Exception):
    def __init__(self, message: str = "", *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.hint}" if self.hint else self.message
