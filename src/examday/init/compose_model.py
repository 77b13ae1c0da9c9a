"""Small readers over one service of a resolved compose model, for `examday init`.

Compose v2 prints long forms (mappings for ports and volumes), v1 the short strings
("127.0.0.1:8000:8000/tcp", "backups:/backups:rw"); both are read, so init works with either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

ALL_ADDRESSES = ("", "0.0.0.0", "::")


@dataclass(frozen=True)
class Published:
    host: str  # "" for every address
    port: int  # on the host
    target: int | None  # in the container (None when compose did not say)
    protocol: str = "tcp"

    @property
    def address(self) -> str:
        """Where this machine reaches it: a port published on every address answers on loopback."""
        return "127.0.0.1" if self.host in ALL_ADDRESSES else self.host

    def url(self, scheme: str = "http") -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{scheme}://{host}:{self.port}"


@dataclass(frozen=True)
class Mount:
    source: str  # a host path or a named volume ("" for an anonymous one)
    target: str  # the path in the container


def image_name(spec: dict[str, Any]) -> str:
    """The image without registry digest and tag: "traefik:v2.11" -> "traefik"."""
    return str(spec.get("image") or "").split("@")[0].rsplit(":", 1)[0].lower()


def name_words(service: str, spec: dict[str, Any]) -> set[str]:
    """The words of the service's and container's names ("postgres_exporter" -> postgres, exporter)."""
    return set(re.split(r"[^a-z0-9]+", f"{service} {spec.get('container_name') or ''}".lower())) - {""}


def command(spec: dict[str, Any]) -> str:
    parts = [spec.get("entrypoint"), spec.get("command")]
    return " ".join(" ".join(str(p) for p in part) if isinstance(part, list) else str(part) for part in parts if part)


def environment(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment") or {}
    if isinstance(env, list):  # compose config prints a mapping; a list ("K=V") is accepted too
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def published(spec: dict[str, Any]) -> list[Published]:
    """Every port the service publishes on the host, in the order compose lists them."""
    out = []
    for port in spec.get("ports") or []:
        if isinstance(port, dict) and port.get("published"):
            target = port.get("target")
            out.append(Published(str(port.get("host_ip") or ""), int(port["published"]),
                                 int(target) if target else None, str(port.get("protocol") or "tcp")))
        elif isinstance(port, str):
            found = _short_port(port)
            if found is not None:
                out.append(found)
    return out


def _short_port(text: str) -> Published | None:
    """"127.0.0.1:5353:53/udp", "8000:8000", "[::1]:9090:9090"; None for an unpublished "8000"."""
    spec, _, protocol = text.partition("/")
    parts = spec.rsplit(":", 2)
    if len(parts) < 2:
        return None
    host, port, target = (parts[0], parts[1], parts[2]) if len(parts) == 3 else ("", parts[0], parts[1])
    if not port.isdigit():
        return None
    return Published(host.strip("[]"), int(port), int(target) if target.isdigit() else None, protocol or "tcp")


def published_from(spec: dict[str, Any], target: int) -> Published | None:
    """The host side of the container port ``target`` (TCP first), None when it is not published."""
    matches = [p for p in published(spec) if p.target == target]
    return next((p for p in matches if p.protocol == "tcp"), matches[0] if matches else None)


def mounts(spec: dict[str, Any]) -> list[Mount]:
    out = []
    for volume in spec.get("volumes") or []:
        if isinstance(volume, dict):
            out.append(Mount(str(volume.get("source") or ""), str(volume.get("target") or "")))
        elif isinstance(volume, str):
            parts = volume.split(":")
            out.append(Mount(parts[0], parts[1]) if len(parts) >= 2 else Mount("", parts[0]))
    return out
