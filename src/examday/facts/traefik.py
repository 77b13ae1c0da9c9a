"""Is Traefik routing? Judged from its API's bodies or from its JSON access log lines. Pure.

Formats, as Traefik v2/v3 document and serialise them:
- ``GET /api/http/routers``: a list of routers, each ``name`` ("api@docker"), ``provider``,
  ``rule``, ``service``, ``entryPoints``, ``using`` (the entry points in effect), ``tls``
  (``certResolver``...), ``status`` ("enabled" | "disabled" | "warning") and ``error`` (a list
  of strings, absent when empty). Source: traefik pkg/config/runtime/runtime_http.go
  (RouterInfo) and pkg/api/testdata/routers.json.
- ``GET /api/http/services``: ``name``, ``provider``, ``status``, ``error``, ``usedBy``,
  ``loadBalancer.servers[].url`` and ``serverStatus`` (server URL -> "UP" | "DOWN", present
  when a health check runs). Source: the same runtime_http.go (ServiceInfo) and
  pkg/api/testdata/services.json.
- ``GET /api/overview``: ``http.{routers,services,middlewares}.{total,warnings,errors}``.
  Source: pkg/api/testdata/overview-dynamic.json.
- The JSON access log: one object per request with ``RouterName``, ``ServiceName``,
  ``DownstreamStatus`` (sent to the client), ``OriginStatus`` (from the server; absent or 0
  when Traefik answered itself: a redirect, its own API, or a server it could not reach),
  ``Duration`` (nanoseconds), ``RequestPath``, ``StartUTC``, and the formatter's ``time``,
  ``level``, ``msg``. Source: doc.traefik.io "Access Logs" (Available Fields) and
  pkg/middlewares/accesslog/logdata.go.

Routers and services of the ``internal`` provider (``api@internal``, ``dashboard@internal``,
``acme-http@internal``...) are Traefik's own: they never count as routing the platform, and
an expected "api" is never satisfied by ``api@internal``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

INTERNAL_PROVIDER = "internal"
NO_ROUTER = "(no router matched)"
_MAX_ROUTER_KEYS = 200
_OTHER_ROUTERS = "(other routers)"
_MAX_NAME_CHARS = 120


# --- the API ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Router:
    name: str
    provider: str
    status: str
    service: str
    rule: str = ""
    entry_points: tuple[str, ...] = ()
    using: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    cert_resolver: str | None = None

    @property
    def base_name(self) -> str:
        return self.name.split("@", 1)[0]

    @property
    def is_internal(self) -> bool:
        return self.provider == INTERNAL_PROVIDER

    @property
    def qualified_service(self) -> str:
        # A router's service is written as configured: "api" means the router's own provider's "api".
        if "@" in self.service or not self.provider:
            return self.service
        return f"{self.service}@{self.provider}"

    def as_evidence(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "service": self.service, "rule": self.rule,
                "entrypoints": list(self.using or self.entry_points), "cert_resolver": self.cert_resolver,
                **({"errors": list(self.errors)} if self.errors else {})}


@dataclass(frozen=True)
class Service:
    name: str
    provider: str
    status: str
    servers: tuple[str, ...] | None  # None: not a load balancer (internal, weighted, mirroring...)
    server_status: dict[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    @property
    def down_servers(self) -> list[str]:
        return sorted(url for url, state in self.server_status.items() if str(state).upper() != "UP")

    def as_evidence(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status,
                "servers": None if self.servers is None else list(self.servers),
                "server_status": dict(self.server_status), **({"errors": list(self.errors)} if self.errors else {})}


class UnexpectedShape(ValueError):
    """A body that is not what Traefik's API sends: the wrong URL, or not Traefik."""


def parse_routers(body: Any) -> list[Router]:
    items = _list_of_objects(body, "/api/http/routers")
    return [Router(
        name=_text(item.get("name")),
        provider=_text(item.get("provider")) or _provider_of(_text(item.get("name"))),
        status=_text(item.get("status")) or "unknown",
        service=_text(item.get("service")),
        rule=_text(item.get("rule")),
        entry_points=_texts(item.get("entryPoints")),
        using=_texts(item.get("using")),
        errors=_texts(item.get("error")),
        cert_resolver=_cert_resolver(item.get("tls")),
    ) for item in items]


def parse_services(body: Any) -> list[Service]:
    items = _list_of_objects(body, "/api/http/services")
    services = []
    for item in items:
        balancer = item.get("loadBalancer")
        servers = None
        if isinstance(balancer, dict):
            listed = balancer.get("servers")
            servers = tuple(_text(s.get("url")) for s in listed if isinstance(s, dict)) if isinstance(listed, list) else ()
        status = item.get("serverStatus")
        services.append(Service(
            name=_text(item.get("name")),
            provider=_text(item.get("provider")) or _provider_of(_text(item.get("name"))),
            status=_text(item.get("status")) or "unknown",
            servers=servers,
            server_status={_text(k): _text(v) for k, v in status.items()} if isinstance(status, dict) else {},
            errors=_texts(item.get("error")),
        ))
    return services


def parse_overview(body: Any) -> dict[str, dict[str, int]]:
    """``{"routers": {"total", "warnings", "errors"}, "services": ..., "middlewares": ...}`` for HTTP."""
    if not isinstance(body, dict) or not isinstance(body.get("http"), dict):
        raise UnexpectedShape(f"/api/overview: expected an object with an \"http\" section, got {_shape(body)}")
    counts = {}
    for kind in ("routers", "services", "middlewares"):
        section = body["http"].get(kind)
        section = section if isinstance(section, dict) else {}
        counts[kind] = {key: _count(section.get(key)) for key in ("total", "warnings", "errors")}
    return counts


@dataclass(frozen=True)
class ApiJudgement:
    routers: int  # the platform's routers, Traefik's internal ones left out
    unhealthy: list[str]
    detail: dict[str, Any]


def judge_api(routers: list[Router], services: list[Service], overview: dict[str, dict[str, int]],
              expected: Iterable[str]) -> ApiJudgement:
    """Every reason the edge is not routing as it must, one operator-readable line each.

    Unhealthy: a router not "enabled" (with Traefik's own error text); a router whose service is
    missing, not enabled, has no servers, or has a server DOWN; an expected router missing;
    no router at all; errors or warnings the overview counts that the lists did not explain.
    """
    by_name = {service.name: service for service in services}
    platform = [router for router in routers if not router.is_internal]
    unhealthy: list[str] = []
    if not platform:
        unhealthy.append("Traefik has no routers (besides its internal ones): nothing is routed")
    for router in platform:
        if router.status != "enabled":
            why = "; ".join(router.errors) or "no error given"
            unhealthy.append(f"router {router.name} is {router.status}: {why}")
        service = by_name.get(router.qualified_service) or by_name.get(router.service)
        if service is None:
            unhealthy.append(f"router {router.name}: its service {router.qualified_service} is not in Traefik's services")
            continue
        unhealthy.extend(f"router {router.name}: {problem}" for problem in _service_problems(service))
    routed = {router.qualified_service for router in platform} | {router.service for router in platform}
    # A load balancer left with no server and no router: a container gone that the platform still declares.
    unhealthy.extend(f"service {service.name} has no servers (and no router uses it)" for service in services
                     if service.provider != INTERNAL_PROVIDER and service.name not in routed and service.servers == ())
    missing = missing_routers(routers, expected)
    if missing:
        unhealthy.append(f"expected routers missing: {', '.join(missing)} "
                         f"(Traefik has: {', '.join(sorted(r.name for r in platform)) or 'none'})")
    unhealthy.extend(_overview_problems(overview, routers_judged=any(r.status != "enabled" for r in platform),
                                        services_judged=any(s.status != "enabled" for s in services)))
    detail = {"routers_detail": [router.as_evidence() for router in routers],
              "services_detail": [service.as_evidence() for service in services if service.provider != INTERNAL_PROVIDER],
              "overview": overview, "expected_routers": list(expected)}
    return ApiJudgement(routers=len(platform), unhealthy=unhealthy, detail=detail)


def missing_routers(routers: list[Router], expected: Iterable[str]) -> list[str]:
    """Expected names not present: "api" matches "api@docker" (any provider but internal), "api@file" only itself."""
    present_full = {router.name for router in routers}
    present_base = {router.base_name for router in routers if not router.is_internal}
    return [name for name in expected
            if name not in present_full and ("@" in name or name not in present_base)]


def _service_problems(service: Service) -> list[str]:
    problems = []
    if service.status != "enabled":
        problems.append(f"service {service.name} is {service.status}: {'; '.join(service.errors) or 'no error given'}")
    if service.servers is not None and not service.servers:
        problems.append(f"service {service.name} has no servers: nothing to send requests to")
    down = service.down_servers
    if down:
        total = len(service.servers or service.server_status)
        problems.append(f"service {service.name} has {len(down)} of {total} servers DOWN by its health check: "
                        f"{', '.join(down)}")
    return problems


def _overview_problems(overview: dict[str, dict[str, int]], *, routers_judged: bool, services_judged: bool) -> list[str]:
    # Middlewares are not listed here: the overview is the only place their errors show.
    problems = []
    for kind, judged in (("routers", routers_judged), ("services", services_judged), ("middlewares", False)):
        counts = overview.get(kind, {})
        if judged:
            continue
        if counts.get("errors") or counts.get("warnings"):
            problems.append(f"Traefik's overview counts {counts.get('errors', 0)} HTTP {kind} with errors and "
                            f"{counts.get('warnings', 0)} with warnings (see its dashboard)")
    return problems


# --- the access log ---------------------------------------------------------------------------


@dataclass
class RouterTraffic:
    requests: int = 0
    server_errors: int = 0  # DownstreamStatus >= 500
    unreachable: int = 0  # ... of which OriginStatus 0: Traefik got no answer from the server
    duration_ns_max: int = 0

    @property
    def error_share(self) -> float:
        return self.server_errors / self.requests if self.requests else 0.0

    def as_evidence(self) -> dict[str, Any]:
        return {"requests": self.requests, "5xx": self.server_errors, "upstream_unreachable": self.unreachable,
                "5xx_share": round(self.error_share, 4), "slowest_ms": round(self.duration_ns_max / 1e6, 1)}


@dataclass
class AccessLogSummary:
    routers: dict[str, RouterTraffic] = field(default_factory=dict)
    requests: int = 0
    other_lines: int = 0  # JSON, but not an access-log entry (Traefik's own log, on the same stream)
    not_json: int = 0
    outside_window: int = 0
    untimed: int = 0  # access entries without a readable time: kept (the source may be windowed already)
    oldest: dt.datetime | None = None

    def as_evidence(self) -> dict[str, Any]:
        return {"requests": self.requests, "per_router": {name: t.as_evidence() for name, t in sorted(self.routers.items())},
                "other_lines": self.other_lines, "not_json_lines": self.not_json,
                "outside_window": self.outside_window, "untimed_lines": self.untimed}


def summarize_access_log(lines: Iterable[str], since: dt.datetime) -> AccessLogSummary:
    """Per-router request and 5xx counts of the entries at or after `since`, in constant memory.

    A 5xx is a ``DownstreamStatus`` >= 500: what the student got. Among them, ``OriginStatus``
    0 (or absent) means the server never answered (Traefik's own 502/504). ``OriginStatus`` 0
    alone is no error: Traefik sets it for every answer it gives itself, the ``*-http`` routers'
    redirects and its dashboard included.
    """
    summary = AccessLogSummary()
    for line in lines:
        entry = _json_object(line)
        if entry is None:
            summary.not_json += 1
            continue
        status = _status(entry.get("DownstreamStatus"))
        if status is None:
            summary.other_lines += 1
            continue
        when = _entry_time(entry)
        if when is None:
            summary.untimed += 1
        elif when < since:
            summary.outside_window += 1
            continue
        elif summary.oldest is None or when < summary.oldest:
            summary.oldest = when
        traffic = summary.routers.setdefault(_router_key(entry, summary.routers), RouterTraffic())
        traffic.requests += 1
        summary.requests += 1
        if status >= 500:
            traffic.server_errors += 1
            if not _status(entry.get("OriginStatus")):
                traffic.unreachable += 1
        duration = entry.get("Duration")
        if isinstance(duration, int) and not isinstance(duration, bool) and duration > traffic.duration_ns_max:
            traffic.duration_ns_max = duration
    return summary


def judge_access_log(summary: AccessLogSummary, *, window_minutes: float, max_error_share: float) -> list[str]:
    """The routers that fail, and a window with no entries at all: that proves nothing is routed."""
    if summary.requests == 0:
        seen = []
        if summary.other_lines:
            seen.append(f"{summary.other_lines} other log lines: is the access log written elsewhere "
                        "(accessLog.filePath) or not in JSON (accessLog.format = json)?")
        if summary.not_json:
            seen.append(f"{summary.not_json} lines not JSON")
        if summary.outside_window:
            seen.append(f"{summary.outside_window} older entries")
        return [f"no access-log lines in the last {window_minutes:g} min: nothing shows that Traefik routes"
                + (f" ({'; '.join(seen)})" if seen else "")]
    problems = []
    for name, traffic in sorted(summary.routers.items()):
        if not traffic.server_errors:
            continue
        unreachable = (f", {traffic.unreachable} with the server unreachable (OriginStatus 0)"
                       if traffic.unreachable else "")
        if traffic.server_errors == traffic.requests:
            problems.append(f"router {name}: all {traffic.requests} requests failed with 5xx{unreachable}")
        elif traffic.error_share > max_error_share:
            problems.append(f"router {name}: {traffic.server_errors} of {traffic.requests} requests 5xx "
                            f"({traffic.error_share:.1%}, over {max_error_share:.1%}){unreachable}")
    return problems


def quiet_routers(summary: AccessLogSummary, expected: Iterable[str]) -> list[str]:
    """Expected routers with no entry in the window: not a failure (no one may have used them), but shown."""
    seen = {name.split("@", 1)[0] for name in summary.routers} | set(summary.routers)
    return [name for name in expected if name not in seen]


# --- small helpers ------------------------------------------------------------------------------


def _list_of_objects(body: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise UnexpectedShape(f"{what}: expected a list of objects, got {_shape(body)}")
    return body


def _shape(body: Any) -> str:
    return f"{type(body).__name__} {json.dumps(body, default=str)[:120]}"


def _text(value: Any) -> str:
    return value[:_MAX_NAME_CHARS * 4] if isinstance(value, str) else ""


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _cert_resolver(tls: Any) -> str | None:
    return _text(tls.get("certResolver")) or None if isinstance(tls, dict) else None


def _provider_of(name: str) -> str:
    return name.split("@", 1)[1] if "@" in name else ""


def _json_object(line: str) -> dict[str, Any] | None:
    start = line.find("{")  # a `docker logs --timestamps` prefix, or none
    if start < 0:
        return None
    try:
        value = json.loads(line[start:])
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _entry_time(entry: dict[str, Any]) -> dt.datetime | None:
    for key in ("StartUTC", "time"):
        value = entry.get(key)
        if isinstance(value, str):
            try:
                when = dt.datetime.fromisoformat(value)
            except ValueError:
                continue
            return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    return None


def _router_key(entry: dict[str, Any], known: dict[str, RouterTraffic]) -> str:
    name = entry.get("RouterName")
    name = name[:_MAX_NAME_CHARS] if isinstance(name, str) and name and name != "-" else NO_ROUTER
    # Bad input must not grow memory without bound: past a few hundred names, one bucket.
    if name not in known and len(known) >= _MAX_ROUTER_KEYS:
        return _OTHER_ROUTERS
    return name
