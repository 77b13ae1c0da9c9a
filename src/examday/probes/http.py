"""HTTP probe: GET an endpoint of the platform's API and describe what came back.

TLS is verified against the configured CA bundle. A ``resolve`` map works like
``curl --resolve``: the TCP connection goes to the mapped IP while the Host
header, the TLS SNI and the certificate's hostname check all use the real
host name, so a sandbox or a host without DNS is checked exactly like the
real thing.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable
from examday.probes.http_observation import REQUEST_ID_HEADER, HttpObservation
from examday.probes.platform_api import (
    EXAM_MODE_KEYS, ExamModeStatus, ReadyStatus, parse_exam_mode_body, parse_ready_body,
)

if TYPE_CHECKING:
    from examday.config import ApiConfig

_SECRET_HEADERS = frozenset({"set-cookie", "cookie", "authorization", "proxy-authorization", "www-authenticate"})


class HttpProbe:
    """GETs against one API base URL (and the canary's requests). Use as a context manager, or call close()."""

    def __init__(
        self,
        base_url: str,
        *,
        prefix: str = "/v1",
        health_path: str = "/health",
        ready_path: str = "ready",
        exam_mode_path: str | None = None,
        ca_bundle: Path | str | None = None,
        resolve: Mapping[str, str] | None = None,
        timeout_seconds: float = 5.0,
        ready_timeout_seconds: float = 15.0,
        max_body_bytes: int = 1_048_576,
        excerpt_chars: int = 2000,
        dependency: str = "api",
        basic_auth: tuple[str, str] | None = None,
        keep_alive: bool = True,
    ) -> None:
        self.base_url = httpx.URL(base_url.rstrip("/"))
        self.prefix = prefix.rstrip("/")
        self.health_path = health_path
        self.ready_path = ready_path
        self.exam_mode_path = exam_mode_path
        self.ca_bundle = Path(ca_bundle) if ca_bundle else None
        self.resolve = {host.lower(): ip for host, ip in (resolve or {}).items()}
        self.timeout_seconds = timeout_seconds
        self.ready_timeout_seconds = ready_timeout_seconds
        self.max_body_bytes = max_body_bytes
        self.excerpt_chars = excerpt_chars
        self.dependency = dependency
        # HTTP basic auth in front of the API (a staging twin): sent when no bearer token is
        self._basic = ("Basic " + base64.b64encode(f"{basic_auth[0]}:{basic_auth[1]}".encode()).decode()
                       if basic_auth else None)
        self._client = httpx.Client(
            verify=_ssl_context(self.ca_bundle),
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            # No proxies or CA settings from the environment: examine the platform as configured.
            trust_env=False,
            # keep_alive=False: a new connection per request, so that successive requests may
            # reach different worker processes (each of which keeps its own metrics).
            limits=httpx.Limits() if keep_alive else httpx.Limits(max_keepalive_connections=0),
        )

    @classmethod
    def from_config(cls, api: ApiConfig, *, base_url: str | None = None, dependency: str = "api",
                    basic_auth: tuple[str, str] | None = None, keep_alive: bool = True) -> HttpProbe:
        """A probe for ``[api]``; ``base_url`` overrides it (e.g. the staging twin)."""
        return cls(
            base_url or api.base_url,
            prefix=api.prefix,
            health_path=api.health_path,
            ready_path=api.ready_path,
            exam_mode_path=api.exam_mode_path,
            ca_bundle=api.ca_bundle,
            resolve=api.resolve,
            timeout_seconds=api.timeout_seconds,
            ready_timeout_seconds=api.ready_timeout_seconds,
            dependency=dependency,
            basic_auth=basic_auth,
            keep_alive=keep_alive,
        )

    def __enter__(self) -> HttpProbe:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- public probes -------------------------------------------------------------

    def url_for(self, path: str) -> httpx.URL:
        """``"/health"`` is taken from the base URL, ``"ready"`` from under the prefix."""
        full_path = path if path.startswith("/") else f"{self.prefix}/{path}"
        return self.base_url.join(self.base_url.path.rstrip("/") + full_path)

    def get(self, path: str, timeout: float | None = None) -> HttpObservation:
        """GET ``path``; any HTTP status is an observation, only a failed exchange raises."""
        return self.request("GET", path, timeout=timeout)

    def request(self, method: str, path: str, *, json_body: Any = None, bearer: str | None = None,
                timeout: float | None = None) -> HttpObservation:
        """Any method, for the one place examday acts as a client of the platform's own API (the
        canary student of the recovery phase): never used against the platform's internals."""
        url = self.url_for(path)
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        timeout = timeout or self.timeout_seconds
        try:
            try:
                return self._exchange(method, url, request_id, started, json_body, bearer, timeout)
            except httpx.RemoteProtocolError:
                # A kept-alive connection the server closed after its last answer (uvicorn does after
                # a crash 500): a GET is safe to send once more, on a new connection.
                if method != "GET":
                    raise
                return self._exchange(method, url, request_id, started, json_body, bearer, timeout)
        except httpx.TimeoutException:
            raise ProbeTimeout(
                f"{method} {url}: no answer within {timeout:g}s. Check that the service is up "
                "and not overloaded, and the network path to it.",
                dependency=self.dependency,
            ) from None
        except httpx.HTTPError as error:
            raise self._translate(error, method, url) from None

    def health(self) -> HttpObservation:
        return self.get(self.health_path)

    def ready(self) -> ReadyStatus:
        # ready waits on its checks with no timeout of its own (10 s with Redis down): a longer wait
        # than other calls, so that "down" is read from the body rather than missed as no answer.
        observation = self.get(self.ready_path, timeout=max(self.ready_timeout_seconds, self.timeout_seconds))
        try:
            status, checks, request_id = parse_ready_body(observation.json)
        except ValueError as reason:
            raise BadResponse(
                f"GET {observation.url} returned HTTP {observation.status} with a body that is not a readiness "
                f'report ({reason}): {observation.text[:200]!r}. Expected {{"status": "ok|degraded|down", '
                '"checks": {"db": {"status": ..., "message": ...}}}. Check api.prefix and api.ready_path.',
                dependency=self.dependency,
            ) from None
        return ReadyStatus(status=status, checks=checks, request_id=request_id, observation=observation)

    def exam_mode(self, bearer: str | None = None, path: str | None = None) -> ExamModeStatus:
        """The application's own report of a flag (exam mode by default; the real endpoint is admin-only)."""
        path = path or self.exam_mode_path
        if not path:
            raise ProbeError(
                "the API's exam-mode endpoint is not configured. Set api.exam_mode_path "
                '(e.g. "admin/system/exam-mode") or read exam mode from another source.',
                dependency=self.dependency,
            )
        observation = self.request("GET", path, bearer=bearer)
        parsed = parse_exam_mode_body(observation.json) if 200 <= observation.status < 300 else None
        if parsed is None:
            hint = (" The endpoint is admin-only: check [operator]." if observation.status in (401, 403)
                    else " Check api.exam_mode_path.")
            raise BadResponse(
                f"GET {observation.url} returned HTTP {observation.status} without a readable flag: "
                f"{observation.text[:200]!r}. Expected true/false or an object with one of "
                f"{', '.join(EXAM_MODE_KEYS)}.{hint}",
                dependency=self.dependency,
            )
        enabled, key = parsed
        source = observation.json.get("source") if isinstance(observation.json, dict) else None
        return ExamModeStatus(
            enabled=enabled,
            source_key=key,
            reported_source=source if isinstance(source, str) else None,
            observation=observation,
        )

    # -- the exchange --------------------------------------------------------------------

    def _exchange(self, method: str, url: httpx.URL, request_id: str, started: float, json_body: Any,
                  bearer: str | None, timeout: float) -> HttpObservation:
        connect_url, headers, extensions = self._routing(url)
        headers[REQUEST_ID_HEADER] = request_id
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        elif self._basic:
            headers["Authorization"] = self._basic
        deadline = started + timeout
        with self._client.stream(method, connect_url, headers=headers, extensions=extensions, json=json_body,
                                 timeout=httpx.Timeout(timeout)) as response:
            body, truncated = self._read_bounded(response, deadline, method, url, timeout)
            elapsed_ms = (time.perf_counter() - started) * 1000
            text = body.decode(response.encoding or "utf-8", errors="replace")
            return HttpObservation(
                url=str(url),
                status=response.status_code,
                headers=_evidence_headers(response.headers),
                json=None if truncated else _json_or_none(body),
                text=text[: self.excerpt_chars],
                elapsed_ms=round(elapsed_ms, 3),
                request_id=request_id,
                truncated=truncated,
                body=body,
            )

    def _routing(self, url: httpx.URL) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
        """Where to connect, and the Host header and SNI that keep the real name (curl --resolve)."""
        mapped_ip = self.resolve.get(url.host.lower())
        if mapped_ip is None:
            return url, {}, {}
        headers = {"Host": url.netloc.decode("ascii")}
        extensions: dict[str, Any] = {"sni_hostname": url.host} if url.scheme == "https" else {}
        return url.copy_with(host=mapped_ip), headers, extensions

    def _read_bounded(self, response: httpx.Response, deadline: float, method: str,
                      url: httpx.URL, timeout: float) -> tuple[bytes, bool]:
        """At most ``max_body_bytes`` of the body, within the probe's overall deadline."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"".join(chunks)[: self.max_body_bytes], True
            if time.perf_counter() > deadline:
                raise ProbeTimeout(
                    f"{method} {url}: the body did not arrive within {timeout:g}s. "
                    "Check the service's load and the network path.",
                    dependency=self.dependency,
                )
        return b"".join(chunks), False

    def _translate(self, error: httpx.HTTPError, method: str, url: httpx.URL) -> ProbeError:
        certificate_problem = _certificate_problem(error)
        if certificate_problem:
            return Unreachable(
                f"{method} {url}: the TLS certificate was not accepted ({certificate_problem}). "
                f"Check api.ca_bundle and the certificate served for {url.host}.",
                dependency=self.dependency,
            )
        if isinstance(error, httpx.RemoteProtocolError | httpx.DecodingError):
            return BadResponse(
                f"{method} {url}: the server did not answer with valid HTTP ({error}). "
                "Check that the URL points at the API and not at another service.",
                dependency=self.dependency,
            )
        target = f"{self.resolve.get(url.host.lower(), url.host)}:{url.port or _default_port(url)}"
        reason = str(error) or type(error).__name__
        if isinstance(error, httpx.ConnectError):
            return Unreachable(
                f"{method} {url}: cannot connect to {target} ({reason}). Check that the service runs and "
                "listens there, and api.resolve or DNS for the host.",
                dependency=self.dependency,
            )
        return Unreachable(
            f"{method} {url}: the connection to {target} was closed or reset before an answer ({reason}). "
            "Check that this port serves HTTP (or HTTPS, as the URL says) and that the service is not restarting.",
            dependency=self.dependency,
        )


def _ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    # check_hostname stays on: with a resolve map, it checks the SNI name, i.e. the real host.
    if ca_bundle:
        return ssl.create_default_context(cafile=str(ca_bundle))
    return ssl.create_default_context()


def _evidence_headers(headers: httpx.Headers) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in headers.multi_items():
        name = name.lower()
        value = "[redacted]" if name in _SECRET_HEADERS else value
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


def _json_or_none(body: bytes) -> Any | None:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _certificate_problem(error: BaseException) -> str | None:
    """The verification message when a TLS certificate was refused, anywhere in the cause chain."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or str(seen)
        seen = seen.__cause__ or seen.__context__
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return text.split("certificate verify failed:", 1)[-1].strip(" ()") or text
    return None


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80
