"""Is a /health answer the backend's own "ok"?

A 200 alone is not: behind the real platform's host Caddy only /api/* reaches the backend and
everything else goes to the frontend, whose page answers 200 to any path. The backend answers
``{"status": "ok"}``; anything else did not come from it (or says it is not ok).
"""

from __future__ import annotations

from typing import Any


def health_problem(health: Any) -> str | None:
    """What is wrong with a /health observation (HttpObservation); None when it is the backend's ok."""
    if health.status != 200:
        return f"{health.url} answered {health.status}"
    body = health.json
    if not isinstance(body, dict) or body.get("status") != "ok":
        return (f"{health.url} answered 200 but not the backend's {{\"status\": \"ok\"}}: {health.text[:120]!r} "
                "(is it the frontend? check api.prefix and api.health_path, e.g. health_path = \"health\" "
                "to read it under the API prefix)")
    return None
