"""Reading Traefik: its API's bodies, its JSON access log lines, its dashboard page.

Observation only: what Traefik says comes back as it said it (JSON bodies, text
lines); judging it is examday.facts.traefik's job. Every call is bounded, and
every failure is one ProbeError naming the URL or the file.

The API paths are Traefik v2/v3's (doc.traefik.io/traefik/operations/api/,
"Endpoints"): ``/api/http/routers``, ``/api/http/services``, ``/api/overview``,
``/api/version``. The list endpoints are paginated (traefik pkg/api/
handler.go: ``per_page`` default 100, no maximum; ``X-Next-Page`` names the next
page): one page of ``PER_PAGE`` covers any edge a single exam platform has.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from examday.probes.errors import BadResponse, ProbeTimeout, Unreachable
from examday.probes.json_api import get_json
from examday.probes.line_framing import decoded_lines

DEPENDENCY = "proxy"
PER_PAGE = 1000
_TAIL_BLOCK = 64 * 1024
_PAGE_BODY_LIMIT = 64 * 1024


class ContainerLogs(Protocol):
    """What the access-log readers need from the docker probe (examday.probes.docker.DockerProbe)."""

    def logs(self, name: str, since: dt.datetime | None = None, tail: int | None = None,
             max_line_bytes: int = 65536) -> Iterator[str]: ...

    def exec(self, name: str, argv: list[str], timeout: float = 10.0,
             environment: dict[str, str] | None = None) -> Any: ...


@dataclass(frozen=True)
class TraefikApiBodies:
    """The three answers route health is judged from, as Traefik sent them."""

    api_url: str
    routers: Any
    services: Any
    overview: Any


def api_base(admin_url: str) -> str:
    """``http://127.0.0.1:8080/api`` from itself or from ``http://127.0.0.1:8080``.

    The API lives under ``/api`` of the ``traefik`` entrypoint; an operator who writes the
    entrypoint's address would otherwise get a 404 that names no mistake.
    """
    base = admin_url.rstrip("/")
    return base if base.endswith("/api") else f"{base}/api"


def read_api(admin_url: str, timeout: float) -> TraefikApiBodies:
    base = api_base(admin_url)
    return TraefikApiBodies(
        api_url=base,
        routers=get_json(f"{base}/http/routers?per_page={PER_PAGE}", timeout, DEPENDENCY),
        services=get_json(f"{base}/http/services?per_page={PER_PAGE}", timeout, DEPENDENCY),
        overview=get_json(f"{base}/overview", timeout, DEPENDENCY),
    )


def read_version(admin_url: str, timeout: float) -> Any:
    """``/api/version``: ``{"Version", "Codename", "startDate"}`` (traefik pkg/version/version.go)."""
    return get_json(f"{api_base(admin_url)}/version", timeout, DEPENDENCY)


def version_url_beside(dashboard_url: str) -> str:
    """The API's version on the dashboard's own origin: both are served by the ``traefik`` entrypoint."""
    parts = urlsplit(dashboard_url)
    return urlunsplit((parts.scheme, parts.netloc, "/api", "", ""))


# --- the dashboard page -----------------------------------------------------------------------


@dataclass(frozen=True)
class PageObservation:
    url: str
    final_url: str
    status: int
    content_type: str


def fetch_page(url: str, timeout: float, dependency: str = "dashboard") -> PageObservation:
    """GET a page, redirects followed (``/dashboard`` answers with one to ``/dashboard/``); any status."""
    try:
        with httpx.Client(timeout=timeout, trust_env=False, follow_redirects=True) as client:
            with client.stream("GET", url) as answer:
                _read_at_most(answer, _PAGE_BODY_LIMIT)
                return PageObservation(url=url, final_url=str(answer.url), status=answer.status_code,
                                       content_type=answer.headers.get("content-type", ""))
    except httpx.TimeoutException:
        raise ProbeTimeout(f"GET {url}: no answer within {timeout:g}s", dependency=dependency) from None
    except httpx.HTTPError as error:
        raise Unreachable(f"GET {url}: {error or type(error).__name__}", dependency=dependency) from None


def _read_at_most(answer: httpx.Response, limit: int) -> None:
    # Only the status matters: read a little of the page so the server is not cut mid-write, no more.
    seen = 0
    for chunk in answer.iter_bytes():
        seen += len(chunk)
        if seen >= limit:
            return


# --- the access log -----------------------------------------------------------------------------


def container_stdout_lines(docker: ContainerLogs, container: str, since: dt.datetime,
                           max_line_bytes: int = 65536) -> Iterator[str]:
    """The proxy container's stdout and stderr since `since`: Traefik's access log when it has no filePath."""
    return docker.logs(container, since=since, max_line_bytes=max_line_bytes)


def container_file_lines(docker: ContainerLogs, container: str, path: str, max_lines: int,
                         timeout: float) -> list[str]:
    """The last `max_lines` lines of a file inside the container (Traefik's ``accessLog.filePath``).

    Read with ``tail``, which the official traefik image (Alpine based) has; a scratch-based
    image has none, and the message says to read the file from the host instead.
    """
    result = docker.exec(container, ["tail", "-n", str(max_lines), path], timeout=timeout)
    exit_code, output = result
    if exit_code != 0:
        raise BadResponse(
            f"could not read {path} in {container} (tail exited {exit_code}: {output.strip()[:200]}); "
            "set proxy.access_log_path to where the access log is written, or proxy.access_log_source to "
            '"host_file" (a bind mount) or "container_stdout" (no accessLog.filePath)', dependency=DEPENDENCY)
    return output.splitlines()


def host_file_lines(path: Path, max_lines: int, max_line_bytes: int = 65536) -> list[str]:
    """The last `max_lines` lines of a file on this host, read backwards from its end in blocks.

    Memory stays bounded by the lines kept, however large the file has grown.
    """
    try:
        with open(path, "rb") as handle:
            chunks = _tail_chunks(handle, max_lines)
    except FileNotFoundError:
        raise Unreachable(f"no access log at {path}: set proxy.access_log_path to the file Traefik writes "
                          "(accessLog.filePath, as the host sees it)", dependency=DEPENDENCY) from None
    except OSError as error:
        raise Unreachable(f"cannot read the access log {path}: {error.strerror or error}", dependency=DEPENDENCY) from None
    lines = list(decoded_lines(chunks, max_line_bytes))
    return lines[-max_lines:]


def _tail_chunks(handle: Any, max_lines: int) -> list[bytes]:
    end = handle.seek(0, os.SEEK_END)
    position, newlines, blocks = end, 0, []
    # One newline more than lines wanted: the first, partial line of the earliest block is dropped.
    while position > 0 and newlines <= max_lines:
        size = min(_TAIL_BLOCK, position)
        position -= size
        handle.seek(position)
        block = handle.read(size)
        newlines += block.count(b"\n")
        blocks.append(block)
    data = b"".join(reversed(blocks))
    if position > 0:
        data = data[data.find(b"\n") + 1:]
    return [data]
