"""One HTTP exchange as observed: enough to show in a report what the endpoint said."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"


@dataclass(frozen=True)
class HttpObservation:
    """One GET as observed: enough to show in a report what the endpoint said."""

    url: str
    status: int
    headers: dict[str, str]
    json: Any | None
    text: str
    elapsed_ms: float
    request_id: str
    truncated: bool = False
    body: bytes = field(default=b"", repr=False)  # whole (up to max_body_bytes); never in evidence

    @property
    def echoed_request_id(self) -> str | None:
        """The X-Request-ID the server sent back (the platform echoes the one it got)."""
        return self.headers.get(REQUEST_ID_HEADER.lower())

    def as_evidence(self) -> dict[str, Any]:
        evidence = asdict(self)
        del evidence["body"]
        return evidence
