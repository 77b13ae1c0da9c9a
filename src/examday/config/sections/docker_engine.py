"""Which Docker engine examday talks to: ``[docker] host`` (``base_url`` is its older name), a Docker CLI
context (``[docker] context``), else ``DOCKER_HOST``, else the local socket.

A context is read from the Docker CLI's own store, so the name an operator gave ``docker context
create`` works unchanged: ``$DOCKER_CONFIG`` (default ``~/.docker``) ``/contexts/meta/<sha256 of the
name>/meta.json``, whose ``Endpoints.docker.Host`` is the engine's URL.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from examday.config.types import invalid

DEFAULT_ENGINE = "unix:///var/run/docker.sock"
_EXAMPLE = 'host = "ssh://deploy@exam-host" (or tcp://host:2376, unix:///var/run/docker.sock)'
_EXPECTED = "a unix://, tcp:// or ssh:// URL of a Docker engine"


def chosen_engine(host: str | None, base_url: str | None, context: str | None) -> str:
    """The one engine the [docker] keys name; a config error when they name different ones."""
    named = {key: value for key, value in (("host", host), ("base_url", base_url)) if value is not None}
    for key, value in named.items():
        engine_url(value, key)
    if context is not None:
        named["context"] = context_host(context)
    if len(set(named.values())) > 1:
        keys = " and ".join(named)
        raise invalid("one engine", "Keep one of them (base_url is the older name of host).",
                      problem=f"{keys} name different engines ({{found}})", key=next(iter(named)),
                      found=", ".join(f'{key} -> "{value}"' for key, value in named.items()))
    if named:
        return next(iter(named.values()))
    return engine_url(os.environ.get("DOCKER_HOST") or DEFAULT_ENGINE, "host", source="DOCKER_HOST")


def engine_url(value: str, key: str, source: str | None = None) -> str:
    """``value`` when it is an engine URL examday can reach, else a config error naming ``key``."""
    problem = _url_problem(value)
    if problem is not None:
        where = f"{source} holds" if source else "found"
        raise invalid(_EXPECTED, f"Use, e.g., {_EXAMPLE}.", problem=f"{where} {{url}} ({problem})",
                      key=key, url=f'"{_without_password(value)}"')
    return value


def _without_password(value: str) -> str:
    """The URL as a message may show it: a password in it is never echoed."""
    try:
        password = urlsplit(value).password
    except ValueError:
        password = None
    return value.replace(f":{password}@", ":***@", 1) if password else value


def _url_problem(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as error:
        return str(error)
    if parts.scheme not in ("unix", "tcp", "ssh"):
        return f"{parts.scheme or 'no'} scheme"
    if parts.scheme == "unix":
        return None if parts.path and not parts.netloc else "a unix:// URL is a socket path: unix:///path"
    if not parts.hostname:
        return "no host"
    if parts.scheme == "tcp":
        return None
    if parts.password is not None:
        return "no password in the URL: ssh authenticates with a key (~/.ssh/config IdentityFile, or the agent)"
    if parts.path not in ("", "/") or parts.query:
        return "an ssh:// URL is ssh://user@host[:port], with no path"
    return None


def is_remote(url: str) -> bool:
    """An engine on another host (ssh://, tcp:// to a non-loopback address): paths its containers'
    labels name are paths on that host, not here."""
    parts = urlsplit(url)
    if parts.scheme == "ssh":
        return True
    return parts.scheme == "tcp" and (parts.hostname or "") not in ("localhost", "127.0.0.1", "::1")


# -- Docker CLI contexts -------------------------------------------------------------------------

def docker_config_dir() -> Path:
    """Where the Docker CLI keeps its config and contexts (it honours DOCKER_CONFIG too)."""
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def context_host(name: str) -> str:
    """The engine URL of the Docker context ``name`` ("default" is DOCKER_HOST or the local socket)."""
    if name == "default":
        return engine_url(os.environ.get("DOCKER_HOST") or DEFAULT_ENGINE, "context", source="DOCKER_HOST")
    store = docker_config_dir() / "contexts" / "meta"
    meta = store / hashlib.sha256(name.encode("utf-8")).hexdigest() / "meta.json"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        host = data["Endpoints"]["docker"]["Host"]
        if not isinstance(host, str):
            raise TypeError("Endpoints.docker.Host is not a string")
    except FileNotFoundError:
        known = ", ".join(["default", *known_contexts(store)])
        raise invalid(f"a Docker context from {known}",
                      f"Create it (`docker context create {name} --docker host=ssh://user@host`), or set "
                      "[docker] host instead.", problem="no Docker context {name} in {store}",
                      key="context", name=f'"{name}"', store=str(store)) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise invalid("a context the Docker CLI wrote, with Endpoints.docker.Host",
                      f"Check it with `docker context inspect {name}`, or set [docker] host instead.",
                      problem="cannot read {path} ({error})", key="context", path=str(meta),
                      error=f"{type(error).__name__}: {error}") from None
    return engine_url(host, "context", source=f"Docker context {name!r}")


def known_contexts(store: Path) -> list[str]:
    """The names of the contexts in ``store``, sorted (unreadable entries left out)."""
    names = []
    for meta in store.glob("*/meta.json"):
        try:
            names.append(str(json.loads(meta.read_text(encoding="utf-8"))["Name"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(names)
