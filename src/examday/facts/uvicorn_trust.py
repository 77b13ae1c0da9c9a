"""Whom uvicorn trusts for X-Forwarded-For: its command line (--proxy-headers, --forwarded-allow-ips)
and FORWARDED_ALLOW_IPS read into the addresses it takes a client's address from. Pure.

uvicorn rewrites the client address from X-Forwarded-For only when the connection comes from an
address in ``--forwarded-allow-ips`` (default: $FORWARDED_ALLOW_IPS, else 127.0.0.1, and ::1 in
newer versions), and only with proxy headers on (uvicorn's default; ``--no-proxy-headers`` turns
them off). A host proxy (Caddy) reaches the container through Docker's published port, so the
backend sees the Docker network's gateway, not 127.0.0.1: the forwarded address is ignored, and
every student has one address. One bucket of 5 logins a minute for the whole exam hall.

Settings reach uvicorn's CLI also as UVICORN_<OPTION> env vars (click's auto_envvar_prefix); the
command line wins over them.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from examday.text import parse_flag
from examday.facts.processes import is_uvicorn_server

UVICORN_DEFAULT_ALLOW = "127.0.0.1,::1"  # 127.0.0.1 alone before uvicorn 0.30
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


@dataclass(frozen=True)
class UvicornArgs:
    """What uvicorn's command line says about proxy headers (None: not on it)."""

    proxy_headers: bool | None
    forwarded_allow_ips: str | None


def parse_uvicorn_argv(argv: str | Sequence[str]) -> UvicornArgs | None:
    """The proxy options of `uvicorn ...`, `python -m uvicorn ...` or `python .../uvicorn ...`;
    None when the command is not uvicorn's CLI. Later options win, as click reads them."""
    words = _split(argv) if isinstance(argv, str) else list(argv)
    if not words or not is_uvicorn_server(_Command(" ".join(shlex.quote(word) for word in words))):
        return None
    proxy_headers: bool | None = None
    allow: str | None = None
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--proxy-headers":
            proxy_headers = True
        elif word == "--no-proxy-headers":
            proxy_headers = False
        elif word == "--forwarded-allow-ips" and index + 1 < len(words):
            allow = words[index + 1]
            index += 1
        elif word.startswith("--forwarded-allow-ips="):
            allow = word.split("=", 1)[1]
        index += 1
    return UvicornArgs(proxy_headers, allow)


def _split(cmdline: str) -> list[str]:
    try:
        return shlex.split(cmdline)
    except ValueError:  # ps output is not shell-quoted
        return cmdline.split()


@dataclass(frozen=True)
class _Command:
    cmdline: str
    pid: int = 0
    ppid: int = 0


@dataclass(frozen=True)
class ProxyTrust:
    proxy_headers: bool
    proxy_headers_from: str
    allow_ips: str
    allow_ips_from: str

    @property
    def trusts_everyone(self) -> bool:
        return self.proxy_headers and [item.strip() for item in self.allow_ips.split(",")] == ["*"]

    @property
    def loopback_only(self) -> bool:
        entries = [item.strip() for item in self.allow_ips.split(",") if item.strip()]
        return bool(entries) and all(_is_loopback(entry) for entry in entries)

    def trusts(self, address: str) -> bool:
        """Does uvicorn take X-Forwarded-For from a connection coming from ``address``?"""
        if not self.proxy_headers:
            return False
        if self.trusts_everyone:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return address in {item.strip() for item in self.allow_ips.split(",")}
        for item in (entry.strip() for entry in self.allow_ips.split(",")):
            try:
                if ip in ipaddress.ip_network(item, strict=False):
                    return True
            except ValueError:
                continue  # a literal (a socket path): never an IP's match
        return False

    def as_evidence(self) -> dict[str, Any]:
        return {"proxy_headers": self.proxy_headers, "proxy_headers_from": self.proxy_headers_from,
                "forwarded_allow_ips": self.allow_ips, "forwarded_allow_ips_from": self.allow_ips_from}


def _is_loopback(entry: str) -> bool:
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return any(network.version == loop.version and network.subnet_of(loop) for loop in _LOOPBACK)  # type: ignore[arg-type]


def effective_trust(args: UvicornArgs, env: Mapping[str, str]) -> ProxyTrust:
    """uvicorn's own order: the command line, then UVICORN_* env (the CLI's), then
    FORWARDED_ALLOW_IPS (uvicorn's Config), then its defaults."""
    if args.proxy_headers is not None:
        headers, headers_from = args.proxy_headers, "command line"
    elif parse_flag(env.get("UVICORN_PROXY_HEADERS") or None) is not None:
        headers, headers_from = bool(parse_flag(env["UVICORN_PROXY_HEADERS"])), "UVICORN_PROXY_HEADERS"
    else:
        headers, headers_from = True, "uvicorn's default (on)"
    if args.forwarded_allow_ips is not None:
        allow, allow_from = args.forwarded_allow_ips, "command line"
    elif env.get("UVICORN_FORWARDED_ALLOW_IPS"):
        allow, allow_from = env["UVICORN_FORWARDED_ALLOW_IPS"], "UVICORN_FORWARDED_ALLOW_IPS"
    elif env.get("FORWARDED_ALLOW_IPS"):
        allow, allow_from = env["FORWARDED_ALLOW_IPS"], "FORWARDED_ALLOW_IPS"
    else:
        allow, allow_from = UVICORN_DEFAULT_ALLOW, "uvicorn's default"
    return ProxyTrust(headers, headers_from, allow, allow_from)
