"""Small JSON-over-HTTP exchanges with monitoring services (Prometheus, Alertmanager, Caddy's admin).

Bounded by a timeout, no proxies from the environment, and every failure one
ProbeError naming the URL and the dependency.
"""

from __future__ import annotations

from typing import Any

import httpx

from examday.probes.errors import BadResponse, ProbeTimeout, Unreachable


def get_json(url: str, timeout: float, dependency: str) -> Any:
    return _exchange("GET", url, timeout, dependency)


def post_json(url: str, body: Any, timeout: float, dependency: str) -> Any:
    return _exchange("POST", url, timeout, dependency, body)


def get_text(url: str, timeout: float, dependency: str) -> str:
    return _send("GET", url, timeout, dependency).text


def _exchange(method: str, url: str, timeout: float, dependency: str, body: Any = None) -> Any:
    answer = _send(method, url, timeout, dependency, body)
    if not answer.content:
        return None
    try:
        return answer.json()
    except ValueError:
        raise BadResponse(f"{method} {url} answered {answer.status_code} with a body that is not JSON: "
                          f"{answer.text[:200]!r}", dependency=dependency) from None


def _send(method: str, url: str, timeout: float, dependency: str, body: Any = None) -> httpx.Response:
    try:
        answer = httpx.request(method, url, json=body, timeout=timeout, trust_env=False)
    except httpx.TimeoutException:
        raise ProbeTimeout(f"{method} {url}: no answer within {timeout:g}s", dependency=dependency) from None
    except httpx.HTTPError as error:
        raise Unreachable(f"{method} {url}: {error or type(error).__name__}", dependency=dependency) from None
    if not 200 <= answer.status_code < 300:
        raise BadResponse(f"{method} {url} answered {answer.status_code}: {answer.text[:200]!r}",
                          dependency=dependency)
    return answer
