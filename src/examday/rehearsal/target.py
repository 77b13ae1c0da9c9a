"""Where load may go: a base URL resolved once, and refused unless it is the target's own address.

A load generator pointed at the wrong host is a denial-of-service tool, so the
address is checked before the first connection and every connection of the run
goes to that checked address (never re-resolved: DNS cannot move the load
elsewhere half way). ``resolve`` works like the probes' ``api.resolve`` (and
curl --resolve): connect to the mapped IP, keep the real name for the Host
header, the TLS SNI and the certificate check.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# The sandbox's own addresses: the default, so that nothing but loopback is loaded unless configured.
LOOPBACK = ("127.0.0.0/8", "::1/128")
_CHECKED = object()  # the mark resolve_target leaves: a Target built by hand is not loaded


class TargetRefused(ValueError):
    """The base URL is not one the generator may load. The message says why and what to change."""


@dataclass(frozen=True)
class Target:
    """A checked endpoint: every connection of a run goes to ``address``:``port``."""

    base_url: str
    host: str  # the name in the URL: Host header, SNI, certificate check
    address: str  # the checked IP the generator connects to
    port: int
    tls: ssl.SSLContext | None = field(default=None, repr=False, compare=False)
    checked: object = field(default=None, repr=False, compare=False)

    def require_checked(self) -> None:
        """Refuse a Target that did not come from resolve_target (its address was never checked)."""
        if self.checked is not _CHECKED:
            raise TargetRefused(f"refusing to load {self.base_url}: build the target with resolve_target(), "
                                "which checks that its address is one of the target's own")

    @property
    def host_header(self) -> str:
        default = 443 if self.tls else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


def resolve_target(
    base_url: str,
    *,
    allowed: Sequence[str] = LOOPBACK,
    resolve: Mapping[str, str] | None = None,
    ca_bundle: Path | str | None = None,
) -> Target:
    """The Target for ``base_url``, or TargetRefused if any address it resolves to is outside ``allowed``."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(f"refusing to load {base_url!r}: expected an http:// or https:// URL with a host")
    if parts.path.strip("/"):
        raise TargetRefused(f"refusing to load {base_url!r}: give the base URL without a path; "
                            "the API prefix is a separate setting")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    networks = _networks(allowed)
    address = _checked_address(base_url, parts.hostname, port, networks, resolve or {})
    tls = _tls_context(ca_bundle) if parts.scheme == "https" else None
    return Target(base_url=base_url.rstrip("/"), host=parts.hostname, address=address, port=port, tls=tls,
                  checked=_CHECKED)


def _networks(allowed: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if not allowed:
        raise TargetRefused("refusing to load anything: the list of the target's own networks is empty")
    try:
        return [ipaddress.ip_network(network, strict=False) for network in allowed]
    except ValueError as error:
        raise TargetRefused(f"the target's own networks are not all networks: {error}") from None


def _checked_address(
    base_url: str, host: str, port: int, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
    resolve: Mapping[str, str],
) -> str:
    mapped = {name.lower(): ip for name, ip in resolve.items()}.get(host.lower())
    addresses = [mapped] if mapped else _lookup(base_url, host, port)
    outside = [a for a in addresses if not any(ipaddress.ip_address(a) in net for net in networks)]
    if outside:
        how = "is mapped by resolve to" if mapped else "resolves to"
        raise TargetRefused(
            f"refusing to send load to {base_url}: {host} {how} {', '.join(outside)}, outside the target's own "
            f"networks ({', '.join(str(n) for n in networks)}). Load goes only to the configured target's "
            "addresses; if this host really is the target, add its network to the allowed networks."
        )
    return addresses[0]


def _lookup(base_url: str, host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise TargetRefused(f"refusing to load {base_url}: {host} does not resolve ({error})") from None
    # Every address the name has must be allowed: the resolver may hand out any of them.
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


def _tls_context(ca_bundle: Path | str | None) -> ssl.SSLContext:
    # Hostname checking stays on; with a resolve map it checks the SNI name, i.e. the real host.
    context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    context.set_alpn_protocols(["http/1.1"])
    return context
