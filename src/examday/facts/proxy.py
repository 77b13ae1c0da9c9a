"""Is the TLS edge routing? Traefik's API or access log, Caddy's admin API, or the proxy's own log.

Which source answers follows [proxy]: kind and admin_url. Whatever the source, "nothing is
routed" (no router, no upstream, no access-log line in the window) is a failure: a GO that
rests on no observation hides that nothing was observed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from examday.config import ExamdayConfig
from examday.config.sections import ProxyConfig
from examday.facts import traefik, traefik_access_log
from examday.facts.ports import DockerReads
from examday.probes import traefik as traefik_probe
from examday.probes.errors import BadResponse
from examday.probes.http import HttpProbe
from examday.probes.json_api import get_json

ERROR_LINE = re.compile(r'"level"\s*:\s*"(error|fatal|panic)"|level=(error|fatal)|\berror\b', re.IGNORECASE)


@dataclass(frozen=True)
class RouteHealth:
    source: str
    routes: int
    unhealthy: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    def as_evidence(self) -> dict[str, Any]:
        return {"source": self.source, "routes": self.routes, "unhealthy": self.unhealthy, **self.detail}


def route_health(docker: traefik_probe.ContainerLogs, config: ExamdayConfig) -> RouteHealth:
    proxy = config.proxy
    if proxy.admin_url and proxy.kind == "caddy":
        return caddy_route_health(proxy.admin_url, proxy.timeout_seconds, proxy.expected_routers)
    if proxy.admin_url and proxy.kind == "traefik":
        return traefik_api_route_health(proxy.admin_url, proxy.timeout_seconds, proxy.expected_routers)
    if not config.docker.containers.proxy and proxy.access_log_source != "host_file":
        # Nothing to read: a pass here would rest on no observation at all.
        return RouteHealth("no source", 0, [
            f"no way to observe the {proxy.kind} proxy: set [proxy] admin_url to its API, or "
            '[docker.containers] proxy to its container (the runbook era: "exam_platform_traefik")'
            + (', or [proxy] access_log_source = "host_file"' if proxy.kind == "traefik" else "")])
    if proxy.kind == "traefik":
        return traefik_access_log_route_health(docker, config)
    return _log_errors(docker, config)


# --- Caddy --------------------------------------------------------------------------------------


def caddy_route_health(admin_url: str, timeout: float, expected: Iterable[str] = ()) -> RouteHealth:
    url = f"{admin_url.rstrip('/')}/reverse_proxy/upstreams"
    return judge_caddy_upstreams(get_json(url, timeout, "proxy"), url, list(expected))


def judge_caddy_upstreams(upstreams: Any, url: str, expected: list[str]) -> RouteHealth:
    """Caddy's ``[{"address", "num_requests", "fails"}]`` (caddyserver.com/docs/api, GET /reverse_proxy/upstreams).

    Caddy counts recent failed requests per upstream: a healthy one has none outstanding.
    """
    if not isinstance(upstreams, list) or not all(isinstance(u, dict) for u in upstreams):
        raise BadResponse(f"GET {url}: expected a list of upstreams, got {str(upstreams)[:120]!r}", dependency="proxy")
    unhealthy = [f"{u.get('address')} ({u.get('fails', 0)} failures)" for u in upstreams if u.get("fails", 0)]
    if not upstreams:
        unhealthy.append("Caddy reports no reverse_proxy upstreams: nothing is proxied")
    addresses = [str(u.get("address")) for u in upstreams]
    missing = [name for name in expected if name not in addresses]
    if missing:
        unhealthy.append(f"expected upstreams missing: {', '.join(missing)} (Caddy has: {', '.join(addresses) or 'none'})")
    return RouteHealth("caddy admin API", len(upstreams), unhealthy, {"upstreams": upstreams[:50]})


# --- Traefik ------------------------------------------------------------------------------------


def traefik_api_route_health(admin_url: str, timeout: float, expected: Iterable[str] = ()) -> RouteHealth:
    bodies = traefik_probe.read_api(admin_url, timeout)
    try:
        judged = traefik.judge_api(traefik.parse_routers(bodies.routers), traefik.parse_services(bodies.services),
                                   traefik.parse_overview(bodies.overview), list(expected))
    except traefik.UnexpectedShape as error:
        raise BadResponse(f"Traefik's API at {bodies.api_url}: {error}; is proxy.admin_url Traefik's API?",
                          dependency="proxy") from None
    return RouteHealth(f"traefik API {bodies.api_url}", judged.routers, judged.unhealthy, judged.detail)


def traefik_access_log_route_health(docker: traefik_probe.ContainerLogs, config: ExamdayConfig,
                                    now: dt.datetime | None = None) -> RouteHealth:
    proxy = config.proxy
    since = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(minutes=proxy.log_window_minutes)
    lines, where = _access_log_lines(docker, config, since)
    summary = traefik_access_log.summarize_access_log(lines, since)
    unhealthy = traefik_access_log.judge_access_log(summary, window_minutes=proxy.log_window_minutes,
                                         max_error_share=proxy.max_error_share)
    detail: dict[str, Any] = {**summary.as_evidence(), "max_error_share": proxy.max_error_share,
                              "quiet_expected_routers": traefik_access_log.quiet_routers(summary, proxy.expected_routers)}
    source = f"traefik access log ({where}), last {proxy.log_window_minutes:g} min"
    if isinstance(lines, list) and len(lines) >= proxy.access_log_max_lines and not summary.outside_window:
        # Every line read is inside the window: older ones inside it were not read.
        covered = f" (only the last {len(lines)} lines were read"
        if summary.oldest is not None:
            covered += f", from {summary.oldest.isoformat(timespec='seconds')}"
        source += covered + ")"
        detail["window_cut_at_lines"] = len(lines)
    return RouteHealth(source, len(summary.routers), unhealthy, detail)


def _access_log_lines(docker: traefik_probe.ContainerLogs, config: ExamdayConfig,
                      since: dt.datetime) -> tuple[Iterable[str], str]:
    proxy: ProxyConfig = config.proxy
    container = config.docker.containers.proxy or ""  # route_health made sure of one, unless host_file
    if proxy.access_log_source == "container_stdout":
        return traefik_probe.container_stdout_lines(docker, container, since), f"{container} stdout"
    if proxy.access_log_source == "host_file":
        return (traefik_probe.host_file_lines(Path(proxy.access_log_path), proxy.access_log_max_lines),
                proxy.access_log_path)
    return (traefik_probe.container_file_lines(docker, container, proxy.access_log_path, proxy.access_log_max_lines,
                                               proxy.timeout_seconds),
            f"{container}:{proxy.access_log_path}")


# --- any proxy: error lines in its container's log ----------------------------------------------


def proxy_log_errors(docker: DockerReads, config: ExamdayConfig, since: dt.datetime) -> list[str]:
    """The proxy container's error lines since `since`, each cut to 200 characters.

    Empty when the proxy has no container (the current platform's host Caddy logs elsewhere).
    """
    container = config.docker.containers.proxy
    if not container:
        return []
    return [line[:200] for line in docker.logs(container, since=since) if ERROR_LINE.search(line)]


def _log_errors(docker: DockerReads, config: ExamdayConfig) -> RouteHealth:
    window = config.proxy.log_window_minutes
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=window)
    lines = errors = 0
    sample: list[str] = []
    for line in docker.logs(config.docker.containers.proxy or "", since=since):
        lines += 1
        if ERROR_LINE.search(line):
            errors += 1
            if len(sample) < 20:
                sample.append(line[:200])
    if not lines:
        sample.append(f"no log lines in the last {window:g} min: nothing shows that the proxy routes")
    return RouteHealth(f"proxy log, last {window:g} min", 0, sample, {"log_lines": lines, "error_lines": errors})


# --- the dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardAccess:
    url: str
    status: int
    final_url: str
    version: str | None = None
    version_url: str | None = None
    problems: list[str] = field(default_factory=list)

    def as_evidence(self) -> dict[str, Any]:
        return {"url": self.url, "status": self.status, "final_url": self.final_url,
                "version": self.version, "version_url": self.version_url}


def dashboard_access(config: ExamdayConfig) -> DashboardAccess:
    """The configured dashboard's page answers; on Traefik its API's /api/version answers too.

    The Traefik dashboard is a static page that loads even when the API behind it does not
    answer: only the version call shows the on-call team will see live routers.
    """
    dashboard = config.dashboard
    if dashboard is None:
        raise ValueError("dashboard_access needs a [dashboard] url")
    page = fetch_dashboard(config)
    problems = [] if page.status < 400 else [f"the dashboard {dashboard.url} answered {page.status}"]
    if config.proxy.kind != "traefik":
        return DashboardAccess(dashboard.url, page.status, page.final_url, problems=problems)
    api = config.proxy.admin_url or traefik_probe.version_url_beside(dashboard.url)
    version_url = f"{traefik_probe.api_base(api)}/version"
    version = judge_version(traefik_probe.read_version(api, dashboard.timeout_seconds))
    if version is None:
        problems.append(f"{version_url} did not name a Traefik version: is this Traefik's API?")
    return DashboardAccess(dashboard.url, page.status, page.final_url, version, version_url, problems)


def fetch_dashboard(config: ExamdayConfig) -> Any:
    """The dashboard page through the API's TLS settings, with its basic auth; redirects followed."""
    dashboard = config.dashboard
    assert dashboard is not None
    if dashboard.username is None:
        return traefik_probe.fetch_page(dashboard.url, dashboard.timeout_seconds)
    parts = urlsplit(dashboard.url)
    password = dashboard.password_text()
    tls = config.tls  # its CA bundle and names default to the API's
    with HttpProbe(f"{parts.scheme}://{parts.netloc}", ca_bundle=tls.ca_bundle, resolve=tls.resolve,
                   timeout_seconds=dashboard.timeout_seconds, dependency="dashboard",
                   basic_auth=(dashboard.username, password)) as probe:
        path = parts.path or "/"
        for _ in range(MAX_REDIRECTS):
            seen = probe.get(path)
            location = seen.headers.get("location")
            if seen.status not in (301, 302, 303, 307, 308) or not location:
                break
            path = urlsplit(location).path or "/"
    return traefik_probe.PageObservation(url=dashboard.url, final_url=seen.url, status=seen.status,
                                         content_type=seen.headers.get("content-type", ""))


MAX_REDIRECTS = 4


def judge_version(body: Any) -> str | None:
    """Traefik's ``{"Version": "2.11.0", "Codename": ..., "startDate": ...}``, its Version or None."""
    if isinstance(body, dict) and isinstance(body.get("Version"), str) and body["Version"]:
        return body["Version"]
    return None
