"""Is Traefik routing? Judged from its API's bodies (its access log: facts/traefik_access_log.py). Pure.

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

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

INTERNAL_PROVIDER = "internal"
MAX_NAME_CHARS = 120


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


# --- small helpers ------------------------------------------------------------------------------


def _list_of_objects(body: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise UnexpectedShape(f"{what}: expected a list of objects, got {_shape(body)}")
    return body


def _shape(body: Any) -> str:
    return f"{type(body).__name__} {json.dumps(body, default=str)[:120]}"


def _text(value: Any) -> str:
    return value[:MAX_NAME_CHARS * 4] if isinstance(value, str) else ""


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _cert_resolver(tls: Any) -> str | None:
    return _text(tls.get("certResolver")) or None if isinstance(tls, dict) else None


def _provider_of(name: str) -> str:
    return name.split("@", 1)[1] if "@" in name else ""


