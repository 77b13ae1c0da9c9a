"""What a compose configuration says about a platform, for a first examday.toml: each value found with
how it was found, and marked a guess where a person should look again.

Read from the resolved compose model (`docker compose config`: files, env files and interpolation
applied), never from a running stack here: roles by service name, container name or image; the API
prefix from the backend's environment; its published port; the worker-count variable from its
command; whether PostgreSQL and Redis are published (else examday reads them through docker exec).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ROLE_HINTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # role -> (words in the service or container name, image names)
    "postgres": (("postgres", "postgresql", "db", "database"), ("postgres", "postgis/postgis")),
    "redis": (("redis", "cache"), ("redis", "valkey/valkey")),
    "backend": (("backend", "api", "app"), ()),
    "frontend": (("frontend", "web", "site", "ui"), ("node",)),
    "proxy": (("proxy", "traefik", "caddy", "nginx", "edge"), ("traefik", "caddy", "nginx")),
}
STAGING_WORDS = ("staging", "stage", "preprod")
WEB_SERVERS = ("uvicorn", "gunicorn", "hypercorn")
WORKERS_VARIABLE = re.compile(r"--workers[ =]+\$\{?([A-Z_][A-Z0-9_]*)")
DEFAULT_API_PREFIX = "/api/v1"  # the platform's code default, when its compose sets none


@dataclass(frozen=True)
class Found:
    value: Any
    how: str  # how it was found, written beside it as a comment
    guess: bool = False  # a person should look again


@dataclass
class Discovery:
    containers: dict[str, Found] = field(default_factory=dict)  # role -> container name
    staging: dict[str, Found] = field(default_factory=dict)  # role -> the staging twin's container
    values: dict[str, Found] = field(default_factory=dict)  # "section.key" -> value
    missing: list[tuple[str, str]] = field(default_factory=list)  # (key to set, why it was not found)


def discover(compose: dict[str, Any], raw_services: dict[str, dict[str, Any]] | None = None) -> Discovery:
    """``raw_services``: the services as the files write them, before interpolation (compose config
    replaces ``${UVICORN_WORKERS:-5}`` by its value; the variable's name is only in the file)."""
    found = Discovery()
    services: dict[str, dict[str, Any]] = compose.get("services") or {}
    for service, spec in services.items():
        role = _role(service, spec)
        if role is None:
            continue
        place = found.staging if _is_staging(service, spec) else found.containers
        if role not in place:
            place[role] = Found(_container_name(compose, service, spec), _why_role(service, spec, role))
    for role in ("postgres", "redis", "backend"):
        if role not in found.containers:
            found.missing.append((f"docker.containers.{role}", f"no compose service looks like the {role}"))
    backend_service = _service_name(services, compose, found.containers.get("backend"))
    if backend_service is not None:
        _backend_values(services[backend_service], (raw_services or {}).get(backend_service, {}), found)
    _datastore(services, compose, found, "postgres")
    _datastore(services, compose, found, "redis")
    return found


def _role(service: str, spec: dict[str, Any]) -> str | None:
    image = str(spec.get("image") or "").split("@")[0].rsplit(":", 1)[0].lower()
    words = set(re.split(r"[^a-z0-9]+", f"{service} {spec.get('container_name') or ''}".lower()))
    for role, (names, images) in ROLE_HINTS.items():
        if any(image == i or image.endswith("/" + i) for i in images):
            return role
    if any(server in _command(spec) for server in WEB_SERVERS):
        return "backend"
    return next((role for role, (names, _) in ROLE_HINTS.items() if words & set(names)), None)


def _why_role(service: str, spec: dict[str, Any], role: str) -> str:
    image = spec.get("image")
    return f"compose service {service!r}" + (f", image {image}" if image else "") + f": looks like the {role}"


def _is_staging(service: str, spec: dict[str, Any]) -> bool:
    text = f"{service} {spec.get('container_name') or ''}".lower()
    return any(word in text for word in STAGING_WORDS)


def _container_name(compose: dict[str, Any], service: str, spec: dict[str, Any]) -> str:
    """container_name, else the name compose gives it (project-service-1)."""
    return str(spec.get("container_name") or f"{compose.get('name', 'project')}-{service}-1")


def _service_name(services: dict[str, dict[str, Any]], compose: dict[str, Any], container: Found | None) -> str | None:
    if container is None:
        return None
    return next((name for name, spec in services.items() if _container_name(compose, name, spec) == container.value),
                None)


def _command(spec: dict[str, Any]) -> str:
    parts = [spec.get("entrypoint"), spec.get("command")]
    return " ".join(" ".join(p) if isinstance(p, list) else str(p) for p in parts if p)


def _environment(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment") or {}
    if isinstance(env, list):  # compose config prints a mapping; a list ("K=V") is accepted too
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _published(spec: dict[str, Any]) -> list[tuple[str, int]]:
    """(host address, host port) of every published port ("" for all addresses): compose v2 prints
    mappings, v1 the short form ("127.0.0.1:8000:8000/tcp")."""
    out = []
    for port in spec.get("ports") or []:
        if isinstance(port, dict) and port.get("published"):
            out.append((str(port.get("host_ip") or ""), int(port["published"])))
        elif isinstance(port, str) and port.count(":") >= 1:
            parts = port.split("/")[0].rsplit(":", 2)
            host, published = (parts[0], parts[1]) if len(parts) == 3 else ("", parts[0])
            if published.isdigit():
                out.append((host.strip("[]"), int(published)))
    return out


def _backend_values(spec: dict[str, Any], raw: dict[str, Any], found: Discovery) -> None:
    env = _environment(spec)
    prefix = env.get("API_PREFIX")
    found.values["api.backend_prefix"] = (Found(prefix, "the backend's API_PREFIX") if prefix else
                                          Found(DEFAULT_API_PREFIX, "no API_PREFIX in the backend's environment: "
                                                "the platform's code default", guess=True))
    found.values["api.prefix"] = Found(found.values["api.backend_prefix"].value,
                                       "the backend's prefix: a proxy that adds or strips one (the host Caddy "
                                       "strips /api) changes what clients use", guess=True)
    ports = _published(spec)
    if ports:
        host, port = ports[0]
        address = host if host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        found.values["api.metrics_base_url"] = Found(f"http://{address}:{port}", "the backend's published port")
        found.values["api.base_url"] = Found(f"http://{address}:{port}", "the backend's published port: set the "
                                             "public URL students use (through the TLS edge) instead", guess=True)
    else:
        found.missing.append(("api.base_url", "the backend publishes no port: give the URL students use"))
    match = WORKERS_VARIABLE.search(_command(raw))
    if match:
        found.values["platform.workers_env"] = Found(match.group(1), "the variable in the backend's --workers")
    elif any(server in _command(spec) for server in WEB_SERVERS):
        found.missing.append(("platform.workers_env", "the backend's command sets no --workers from a variable"))
    reads_env = "EXAM_MODE" in env
    found.values["exam_mode.sources"] = Found(["system_flags"], "the current platform keeps exam mode in the "
                                              "system_flags table" + ("; EXAM_MODE is in the backend's environment: "
                                              'add "env" if your backend reads it' if reads_env else ""), guess=True)


def _datastore(services: dict[str, dict[str, Any]], compose: dict[str, Any], found: Discovery, role: str) -> None:
    service = _service_name(services, compose, found.containers.get(role))
    if service is None:
        return
    spec = services[service]
    ports = _published(spec)
    if not ports:
        found.values[f"{role}.via"] = Found("docker_exec", f"the {role} publishes no port: read in its container")
    else:
        host, port = ports[0]
        address = host if host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        found.values[f"{role}.via"] = Found("tcp", f"the {role} publishes {address}:{port}")
        if role == "postgres":
            found.values["postgres.port"] = Found(port, "its published port")
        else:
            found.values["redis.url"] = Found(f"redis://{address}:{port}/0", "its published port")
    if role == "postgres":
        env = _environment(spec)
        for key, variable in (("postgres.dbname", "POSTGRES_DB"), ("postgres.user", "POSTGRES_USER")):
            if env.get(variable):
                found.values[key] = Found(env[variable], f"the postgres service's {variable}")
