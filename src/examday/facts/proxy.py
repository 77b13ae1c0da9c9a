"""Is the TLS edge routing? Traefik's API, Caddy's admin API, or the proxy's own log."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from examday.config import ExamdayConfig
from examday.probes.json_api import get_json

ERROR_LINE = re.compile(r'"level"\s*:\s*"(error|fatal|panic)"|level=(error|fatal)|\berror\b', re.IGNORECASE)


@dataclass(frozen=True)
class RouteHealth:
    source: str
    routes: int
    unhealthy: list[str] = field(default_factory=list)

    def as_evidence(self) -> dict[str, Any]:
        return {"source": self.source, "routes": self.routes, "unhealthy": self.unhealthy}


def route_health(docker: Any, config: ExamdayConfig) -> RouteHealth:
    proxy = config.proxy
    if proxy.admin_url and proxy.kind == "caddy":
        return _caddy(proxy.admin_url, proxy.timeout_seconds)
    if proxy.admin_url and proxy.kind == "traefik":
        return _traefik(proxy.admin_url, proxy.timeout_seconds)
    return _log_errors(docker, config)


def _caddy(admin_url: str, timeout: float) -> RouteHealth:
    # Caddy counts failed dials per upstream; a healthy upstream has none outstanding.
    upstreams = get_json(f"{admin_url.rstrip('/')}/reverse_proxy/upstreams", timeout, "proxy")
    unhealthy = [f"{u['address']} ({u.get('fails', 0)} failures)" for u in upstreams if u.get("fails", 0)]
    return RouteHealth("caddy admin API", len(upstreams), unhealthy)


def _traefik(api_url: str, timeout: float) -> RouteHealth:
    routers = get_json(f"{api_url.rstrip('/')}/http/routers", timeout, "proxy")
    unhealthy = [f"{r.get('name')} ({r.get('status')}: {', '.join(r.get('error', []) or [])})"
                 for r in routers if r.get("status") != "enabled"]
    return RouteHealth("traefik API", len(routers), unhealthy)


def proxy_log_errors(docker: Any, config: ExamdayConfig, since: dt.datetime) -> list[str]:
    """The proxy's error lines since `since`, each cut to 200 characters."""
    return [line[:200] for line in docker.logs(config.docker.containers.proxy, since=since)
            if ERROR_LINE.search(line)]


def _log_errors(docker: Any, config: ExamdayConfig) -> RouteHealth:
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=config.proxy.log_window_minutes)
    errors = proxy_log_errors(docker, config, since)
    return RouteHealth(f"proxy log, last {config.proxy.log_window_minutes:g} min", 0, errors[:20])
