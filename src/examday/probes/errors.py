"""Errors shared by all probes.

Every probe failure names the dependency it was talking to (``api``, ``dns``,
``tls``, ``docker``, ``postgres``, ``redis``, ...) and its message says what
failed and what to check, so a failing check can show ``str(error)`` as it is.

    raise Unreachable("https://api.exam.localhost:8443/health: connection refused; "
                      "check that the proxy runs", dependency="api")
"""

from __future__ import annotations

from examday.errors import ExamdayError


class ProbeError(ExamdayError):
    """A probe could not observe what it was asked to."""

    def __init__(self, message: str, *, dependency: str) -> None:
        super().__init__(message)
        self.dependency = dependency


class Unreachable(ProbeError):
    """No usable connection: refused, no route, name not resolved, or TLS not trusted."""


class ProbeTimeout(ProbeError):
    """The dependency did not answer within the probe's time bound."""


class BadResponse(ProbeError):
    """The dependency answered, but not in the shape the probe expects."""
