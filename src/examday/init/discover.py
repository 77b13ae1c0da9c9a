"""What a compose configuration says about a platform, for a first examday.toml: each value found with
how it was found, and marked a guess where a person should look again.

Read from the resolved compose model (`docker compose config`: files, env files and interpolation
applied): roles by service name, container name, image, command or mounts (roles.py); the
platform's own values (platform_values.py); the services around it (around.py); and what no
compose file says, listed with the key to set (not_found.py). The running stack, when there is
one, adds what only it shows (running.py, called by the command after this).
"""

from __future__ import annotations

from typing import Any

from examday.init.around import (
    backup_values, crontab_values, dns_values, monitoring_values, proxy_values, staging_values,
)
from examday.init.found import Discovery, Found, Missing
from examday.init.not_found import what_compose_cannot_say
from examday.init.platform_values import NO_URL, backend_values, datastore_values
from examday.init.roles import is_staging, monitoring_kind, mounts_crontab, role_of, why_role

__all__ = ["Discovery", "Found", "Missing", "discover", "finish"]
REQUIRED_ROLES = ("postgres", "redis", "backend")


def discover(compose: dict[str, Any], raw_services: dict[str, dict[str, Any]] | None = None,
             project: str | None = None) -> Discovery:
    """``raw_services``: the services as the files write them, before interpolation (compose config
    replaces ``${UVICORN_WORKERS:-5}`` by its value; the variable's name is only in the file).
    ``project``: the compose project's name, for containers compose names itself."""
    found = Discovery()
    services: dict[str, dict[str, Any]] = compose.get("services") or {}
    _place(services, str(compose.get("name") or project or "project"), found)
    for role in REQUIRED_ROLES:
        if role not in found.containers:
            found.lacks(f"docker.containers.{role}", f"no compose service looks like the {role}")
    _values(services, raw_services or {}, found)
    return found


def finish(found: Discovery) -> Discovery:
    """After every reader: add what no compose file says."""
    found.missing += what_compose_cannot_say(found)
    return found


def _place(services: dict[str, dict[str, Any]], project: str, found: Discovery) -> None:
    for service, spec in services.items():
        spec = spec or {}
        kind = monitoring_kind(service, spec)
        if kind is not None:
            found.services.setdefault(kind, service)
            continue
        role = role_of(service, spec)
        if role is None:
            continue
        place = found.staging if is_staging(service, spec) else found.containers
        if role not in place:
            place[role] = Found(container_name(project, service, spec), why_role(service, spec, role))
            if place is found.containers:
                found.services[role] = service


def container_name(project: str, service: str, spec: dict[str, Any]) -> str:
    """container_name, else the name compose gives it (project-service-1)."""
    return str(spec.get("container_name") or f"{project}-{service}-1")


def _values(services: dict[str, dict[str, Any]], raw: dict[str, dict[str, Any]], found: Discovery) -> None:
    by_role = {role: services[service] or {} for role, service in found.services.items()}
    if "backend" in by_role:
        backend_values(by_role["backend"], raw.get(found.services["backend"], {}), found)
    else:  # the file must load: [api] base_url is required
        found.values["api.base_url"] = Found(NO_URL, "no backend found", stand_in=True)
    for role in ("postgres", "redis"):
        if role in by_role:
            datastore_values(by_role[role], role, found)
    for kind in ("prometheus", "alertmanager"):
        if kind in by_role:
            monitoring_values(kind, found.services[kind], by_role[kind], found)
    if "dns" in by_role:
        dns_values(found.services["dns"], by_role["dns"], found)
    if "proxy" in by_role:
        proxy_values(found.services["proxy"], by_role["proxy"], found)
    crontab_role = next((role for role, spec in by_role.items() if role in found.containers and mounts_crontab(spec)),
                        None)
    if crontab_role is not None:
        crontab_values(crontab_role, by_role[crontab_role], found)
    backup_values(services, found)
    staging_values(found)
