"""What compose says about the services around the platform: Prometheus and Alertmanager by their
published ports, the DNS server's, the proxy's kind and admin API, where a crontab is mounted
([jobs] crontabs), where dumps are kept ([backup]), and the staging twins' container suffix."""

from __future__ import annotations

from typing import Any

from examday.init.compose_model import command, image_name, mounts, published, published_from
from examday.init.found import Discovery, Found, Missing
from examday.init.roles import CRON_PLACES

# The port each listens on in its container by default: the one whose host side is its URL.
MONITORING_PORTS = {"prometheus": 9090, "alertmanager": 9093}
CADDY_ADMIN_PORT = 2019


def monitoring_values(kind: str, service: str, spec: dict[str, Any], found: Discovery) -> None:
    port = published_from(spec, MONITORING_PORTS[kind]) or next(iter(published(spec)), None)
    if port is None:
        found.lacks(f"{kind}.url", f"compose service {service!r} looks like {kind} but publishes no port: "
                    f"give the URL this machine reaches it at")
        return
    found.values[f"{kind}.url"] = Found(port.url(), f"compose service {service!r} publishes it on "
                                        f"{port.address}:{port.port}", guess=port.target != MONITORING_PORTS[kind])


def dns_values(service: str, spec: dict[str, Any], found: Discovery) -> None:
    port = published_from(spec, 53)
    if port is not None:
        found.values["dns.resolver"] = Found(f"{port.address}:{port.port}", f"the dns container's port 53 published "
                                             f"on {port.address}:{port.port}: ask it for the records", guess=True)


def proxy_values(service: str, spec: dict[str, Any], found: Discovery, program: str = "") -> None:
    """``program``: what the running container runs, when read (an image name may not say)."""
    text = f"{image_name(spec)} {command(spec)} {program}".lower()
    kind = next((k for k in ("traefik", "caddy") if k in text), None)
    admin = published_from(spec, CADDY_ADMIN_PORT)
    if kind is None and admin is not None:
        kind, how = "caddy", f"it publishes port {CADDY_ADMIN_PORT}, Caddy's admin API"
        found.values["proxy.kind"] = Found(kind, how, guess=True)
    elif kind is not None:
        found.values["proxy.kind"] = Found(kind, "the proxy's " + ("program" if kind in program.lower() else
                                                                   "image or command"))
    else:
        found.values["proxy.kind"] = Found("other", "neither Traefik nor Caddy: its container's error lines are read",
                                           guess=True)
    if kind == "caddy" and admin is not None:
        found.values["proxy.admin_url"] = Found(admin.url(), f"Caddy's admin port published on {admin.address}:"
                                                f"{admin.port}")


def crontab_values(role: str, spec: dict[str, Any], found: Discovery) -> None:
    """A crontab mounted into a container is where the platform's jobs are started from."""
    paths = sorted({_crontab_path(m.target) for m in mounts(spec) if _crontab_path(m.target)})
    if paths:
        found.values["jobs.crontabs"] = Found([{"where": role, "paths": paths}], f"the {role} container mounts a "
                                              "crontab: the host's crontabs are not read (add {where = \"host\", "
                                              "...} if its cron starts jobs too)", guess=True)


def _crontab_path(target: str) -> str | None:
    """cron reads a whole folder: /etc/cron.d/exam-platform -> /etc/cron.d/*."""
    for place in CRON_PLACES:
        if target == place:
            return place if place == "/etc/crontab" else f"{place}/*"
        if target.startswith(place + "/"):
            folder = target.rsplit("/", 1)[0]
            return f"{folder}/*"
    return None


def backup_values(services: dict[str, dict[str, Any]], found: Discovery) -> None:
    """The first role's container that mounts something named backup(s) keeps the dumps there."""
    for role, service in found.services.items():
        if role not in found.containers:
            continue
        mount = next((m for m in mounts(services[service]) if "backup" in m.target.lower()), None)
        if mount is not None:
            found.values["backup.container"] = Found(role, f"the {role} container mounts {mount.source or 'a volume'} "
                                                     f"at {mount.target}", guess=True)
            found.values["backup.path"] = Found(mount.target, "that mount's path")
            found.values["backup.pattern"] = Found("backup_*.dump", "the platform's docs name pg_dump -F c "
                                                   "files so", guess=True)
            return
    found.missing.append(Missing(("backup.host_dir", "backup.container"), "where the backup job leaves its dumps: no "
                                 "container mounts a backups folder, and the platform ships no backup job"))


def staging_values(found: Discovery) -> None:
    """The suffix that turns a role's container into its twin's (exam_platform_backend_staging)."""
    for role, twin in found.staging.items():
        main = found.containers.get(role)
        if main is not None and twin.value.startswith(main.value) and twin.value != main.value:
            found.values["staging.container_suffix"] = Found(twin.value[len(main.value):],
                                                             f"{twin.value} beside {main.value}")
            return
