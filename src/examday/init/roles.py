"""Which compose service plays which part: the [docker.containers] roles, and the monitoring beside
the platform (Prometheus, Alertmanager), told by image, by name words, by command or by mounts."""

from __future__ import annotations

from typing import Any

from examday.init.compose_model import command, image_name, mounts, name_words, published

# role -> (words in the service or container name, image names). Order matters: the first role
# whose image matches wins, then the first whose name words do.
ROLE_HINTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "postgres": (("postgres", "postgresql", "db", "database"), ("postgres", "postgis/postgis")),
    "redis": (("redis", "cache"), ("redis", "valkey/valkey")),
    "backend": (("backend", "api", "app"), ()),
    "frontend": (("frontend", "web", "site", "ui"), ("node",)),
    "proxy": (("proxy", "traefik", "caddy", "nginx", "edge"), ("traefik", "caddy", "nginx")),
    "dns": (("dns", "coredns", "dnsmasq", "bind9", "unbound"), ("coredns/coredns", "bind9", "unbound", "dnsmasq")),
    # A host-like container holding the operator's crontab (and often the backup job).
    "ops": (("ops", "cron", "crond"), ()),
    "backup": (("backup", "backups", "pgbackup"), ("prodrigestivill/postgres-backup-local", "kartoza/pg-backup")),
}
MONITORING = ("prometheus", "alertmanager")
# Helpers that carry a datastore's name without being it: postgres_exporter, redis-commander...
NOT_A_ROLE = {"exporter", "receiver", "commander", "insight", "pgadmin", "adminer", "pushgateway"}
STAGING_WORDS = ("staging", "stage", "preprod")
WEB_SERVERS = ("uvicorn", "gunicorn", "hypercorn")
CRON_PLACES = ("/etc/crontab", "/etc/cron.d", "/etc/crontabs", "/var/spool/cron")


def role_of(service: str, spec: dict[str, Any]) -> str | None:
    """The [docker.containers] role of a service, None when it plays none."""
    words = name_words(service, spec)
    if words & NOT_A_ROLE or monitoring_kind(service, spec):
        return None
    image = image_name(spec)
    for role, (_, images) in ROLE_HINTS.items():
        if any(image == i or image.endswith("/" + i) for i in images):
            return role
    if any(server in command(spec) for server in WEB_SERVERS):
        return "backend"
    named = next((role for role, (names, _) in ROLE_HINTS.items() if words & set(names)), None)
    if named is not None:
        return named
    if mounts_crontab(spec):
        return "ops"
    return "dns" if any(p.target == 53 for p in published(spec)) else None


def why_role(service: str, spec: dict[str, Any], role: str) -> str:
    image = spec.get("image")
    return f"compose service {service!r}" + (f", image {image}" if image else "") + f": looks like the {role}"


def monitoring_kind(service: str, spec: dict[str, Any]) -> str | None:
    """"prometheus" or "alertmanager" by image, name or the program it runs (an exporter is neither)."""
    words = name_words(service, spec)
    if words & NOT_A_ROLE:
        return None
    image = image_name(spec)
    program = command(spec).split(" ", 1)[0].rsplit("/", 1)[-1]
    for kind in ("alertmanager", "prometheus"):  # "prometheus-alertmanager" is Alertmanager
        if image == kind or image.endswith("/" + kind) or kind in words or kind in program:
            return kind
    return None


def is_staging(service: str, spec: dict[str, Any]) -> bool:
    text = f"{service} {spec.get('container_name') or ''}".lower()
    return any(word in text for word in STAGING_WORDS)


def mounts_crontab(spec: dict[str, Any]) -> bool:
    return any(m.target == place or m.target.startswith(place + "/") for m in mounts(spec) for place in CRON_PLACES)
