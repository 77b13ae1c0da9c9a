"""Is a URL answered by examday's own sandbox? Told by the sandbox's marks, never by the toml.

A copy of the sandbox's examday.toml keeps `kind = "sandbox"` wherever it is aimed, so that
word proves nothing. What does: on this machine's loopback, the port is published by a running
container of the sandbox's compose project (its com.docker.compose.project label) for that
service. Only then may examday do, unasked, what it would not do to a real platform (fire a
test alert to the on-call receiver).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from examday.facts.ports import DockerReads
from examday.probes.compose import PROJECT_LABEL
from examday.probes.docker import COMPOSE_SERVICE_LABEL
from examday.sandbox.layout import PROJECT_NAME

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
LOOPBACK_BINDINGS = {"127.0.0.1", "0.0.0.0", "::", ""}


def served_by_the_sandbox(docker: DockerReads, url: str, service: str) -> bool:
    """True when `url` reaches the sandbox's own `service` container, published on this machine."""
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK_NAMES:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return any(container.is_running and container.labels.get(COMPOSE_SERVICE_LABEL) == service
               and any(address in LOOPBACK_BINDINGS and published == port
                       for address, published in container.published_ports)
               for container in docker.containers_by_label(PROJECT_LABEL, PROJECT_NAME))
