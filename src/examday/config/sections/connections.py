"""How examday reaches the platform: [docker] and its containers by role, [api], [postgres],
[redis], [tls], [dns]."""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated, Literal
from urllib.parse import urlsplit

import dns.rdatatype
from pydantic import AfterValidator, Field, model_validator

from examday.config.secrets import PasswordFromEnvOrFile
from examday.config.sections.docker_engine import DEFAULT_ENGINE, chosen_engine, is_remote
from examday.config.sections.target import Section
from examday.config.types import (
    Days, ExistingDir, ExistingFile, Hostname, HostPort, HttpBaseUrl, IpAddress, Port, PositiveInt, RedisUrl,
    ResolverAddress, Seconds, UrlPrefix, WholeDays, invalid, split_host_port,
)


class ContainerNames(Section):
    """Role -> container name. Defaults are docs/platform.md's names; a role set to nothing is not deployed.

    The real platform runs postgres, redis, backend and frontend in containers; its TLS edge
    (Caddy) runs on the host, and it has no job-runner, backup or DNS container. A target
    without one of the defaulted roles lists it in ``absent`` ("not deployed"), so no item
    goes looking for a container that is not there.
    """

    postgres: str | None = "exam_platform_postgres"
    redis: str | None = "exam_platform_redis"
    backend: str | None = "exam_platform_backend"
    frontend: str | None = "exam_platform_frontend"
    proxy: str | None = None  # exam_platform_traefik in the runbook's era; a host Caddy today
    worker: str | None = None
    backup: str | None = None
    dns: str | None = None
    ops: str | None = None  # a host-like container holding the operator's crontab and backup job
    absent: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _absent_roles_have_no_name(self) -> ContainerNames:
        for role in self.absent:
            if role not in _ROLE_FIELDS:
                raise invalid(f"roles from {', '.join(_ROLE_FIELDS)}", "List roles, not container names.",
                              problem="found {role}", key="absent", role=f'"{role}"')
            if role in self.model_fields_set and getattr(self, role):
                raise invalid("a role either named or absent", f"Remove {role} from absent or its name.",
                              problem="{role} is named and listed as absent", key="absent", role=role)
            setattr(self, role, None)
        for role in _ROLE_FIELDS:
            if getattr(self, role) == "":
                raise invalid("a container name", f'Leave {role} out, or list it in absent = ["{role}"] '
                              "if the platform has none.", problem="found an empty name", key=role)
        return self

    def by_role(self) -> dict[str, str]:
        """The deployed roles only."""
        return {role: name for role in _ROLE_FIELDS if (name := getattr(self, role))}

    def name_of(self, role: str) -> str | None:
        """The container of ``role``, None when the target does not deploy it."""
        return getattr(self, role) if role in _ROLE_FIELDS else None


_ROLE_FIELDS = ("postgres", "redis", "backend", "frontend", "proxy", "worker", "backup", "dns", "ops")


ROLE_NAMES = _ROLE_FIELDS


def _container_role(value: str) -> str:
    if value not in ROLE_NAMES:
        raise invalid(f"a role from [docker.containers]: {', '.join(ROLE_NAMES)}", "Name the role, not the container.")
    return value


ContainerRole = Annotated[str, AfterValidator(_container_role)]


def _default_docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_ENGINE


class DockerConfig(Section):
    """The engine is ``host`` (``ssh://user@host[:port]``, ``tcp://``, ``unix://``), or ``context``, a
    Docker CLI context by name; unset, ``DOCKER_HOST``, else the local socket. ``base_url`` is the
    older name of ``host``: after loading it holds the engine examday talks to, however it was named."""

    host: str | None = None
    base_url: str = Field(default_factory=_default_docker_host)
    context: str | None = None
    timeout_seconds: Seconds = 5
    compose_files: list[ExistingFile] = Field(default_factory=list)
    compose_project_dir: ExistingDir | None = None
    compose_env_files: list[ExistingFile] = Field(default_factory=list)
    compose_project_name: str | None = None
    # The compose file sits in a folder named "compose", so the project name is
    # not the platform's name: containers are found by name or by this label.
    service_label: str = "com.docker.compose.service"
    containers: ContainerNames = Field(default_factory=ContainerNames)

    @model_validator(mode="after")
    def _one_engine(self) -> DockerConfig:
        base_url = self.base_url if "base_url" in self.model_fields_set else None
        self.base_url = chosen_engine(self.host, base_url, self.context)
        return self

    @property
    def remote_engine(self) -> bool:
        return is_remote(self.base_url)


class ApiConfig(Section):
    """The HTTP API. A path starting with "/" is taken from the base URL, any other under ``prefix``."""

    base_url: HttpBaseUrl
    prefix: UrlPrefix = "/v1"
    # The prefix as the backend itself sees it (its API_PREFIX) when a proxy rewrites the public
    # one (Caddy strips /api): what its logs show, and what a request sent straight to it uses.
    backend_prefix: UrlPrefix | None = None
    health_path: str = "/health"
    ready_path: str = "ready"
    exam_mode_path: str | None = "admin/system/exam-mode"  # admin-only: read as [operator]
    freeze_updates_path: str | None = "admin/system/freeze-updates"
    metrics_path: str = "/metrics"  # the backend's Prometheus endpoint
    # Where metrics_path is read when base_url does not reach it: the real platform publishes the
    # backend on 127.0.0.1:8000 only, and its host Caddy sends all but /api/* to the frontend.
    metrics_base_url: HttpBaseUrl | None = None
    ca_bundle: ExistingFile | None = None
    resolve: dict[Hostname, IpAddress] = Field(default_factory=dict)
    timeout_seconds: Seconds = 5
    # ready has no per-check timeout: 10 s with Redis down, up to the 10 s connect timeout with the
    # database down. It must answer before examday gives up, or "down" reads as "no answer".
    ready_timeout_seconds: Seconds = 15

    @property
    def prefix_at_backend(self) -> str:
        return self.backend_prefix or self.prefix

    def path_for(self, path: str) -> str:
        """``"/health"`` -> ``"/health"``; ``"ready"`` -> ``"/v1/ready"``."""
        if path.startswith("/"):
            return path
        return f"{self.prefix}/{path}"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.base_url)
        return parts.port or (443 if parts.scheme == "https" else 80)


SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


# How examday reaches a datastore: its published port, or a client run inside its container
# (`docker exec`) when, as on the real platform, the port is not published.
Via = Literal["tcp", "docker_exec"]


class PostgresConfig(PasswordFromEnvOrFile, Section):
    """With ``via = "docker_exec"``, psql runs in the container of role postgres
    ([docker.containers]) over its local socket: ``port`` is the server's port in the
    container, ``host`` and ``sslmode`` do not apply, the password goes in the exec's env."""

    via: Via = "tcp"
    host: str = "127.0.0.1"
    port: Port = 5432
    dbname: str = "exam_platform"
    user: str = "exam_user"
    connect_timeout_seconds: Seconds = 3
    statement_timeout_ms: PositiveInt = 5000
    sslmode: SslMode | None = None

    @model_validator(mode="after")
    def _no_tcp_keys_with_docker_exec(self) -> PostgresConfig:
        for key in ("host", "sslmode"):
            if self.via == "docker_exec" and key in self.model_fields_set:
                raise invalid(f'no {key} with via = "docker_exec"',
                              f'psql runs in the postgres container on its local socket: remove {key}, '
                              'or set via = "tcp".', problem="{key} is set but not used", key=key)
        return self


class RedisConfig(PasswordFromEnvOrFile, Section):
    """With ``via = "docker_exec"``, redis-cli runs in the container of role redis
    ([docker.containers]) and ``url`` is read there: the default is that container's Redis."""

    via: Via = "tcp"
    url: RedisUrl = "redis://127.0.0.1:6379/0"
    timeout_seconds: Seconds = 2

    @model_validator(mode="after")
    def _docker_exec_url(self) -> RedisConfig:
        if self.via == "docker_exec" and urlsplit(self.url).scheme not in ("redis", "unix"):
            raise invalid('a redis:// or unix:// URL with via = "docker_exec"',
                          "redis-cli in the container connects without TLS: use redis://127.0.0.1:6379/0 "
                          'there, or set via = "tcp".', problem="found {url}", key="url", url=f'"{self.url}"')
        return self


class TlsConfig(Section):
    """``endpoints`` default to the API's host:port; ``ca_bundle`` and ``resolve`` to the API's."""

    endpoints: list[HostPort] = Field(default_factory=list)
    ca_bundle: ExistingFile | None = None
    resolve: dict[Hostname, IpAddress] = Field(default_factory=dict)
    min_days_left: WholeDays = 14
    margin_after_exam_days: Days = 7
    timeout_seconds: Seconds = 5

    def host_ports(self) -> list[tuple[str, int]]:
        return [split_host_port(endpoint) for endpoint in self.endpoints]


def _rdata_type(value: str) -> str:
    try:
        rdtype = dns.rdatatype.from_text(value)
    except Exception:
        rdtype = dns.rdatatype.NONE
    # Meta-types (ANY, AXFR, OPT...) are questions, not records a name can be expected to hold.
    if rdtype == dns.rdatatype.NONE or dns.rdatatype.is_metatype(rdtype):
        raise invalid("a DNS record type such as A, AAAA, CNAME, TXT", "Use the record type's name.")
    return value.upper()


_ADDRESS_VERSIONS = {"A": 4, "AAAA": 6}


class DnsRecord(Section):
    name: Hostname
    type: Annotated[str, AfterValidator(_rdata_type)] = "A"
    expected: list[str]

    @model_validator(mode="after")
    def _addresses_in_canonical_form(self) -> DnsRecord:
        # The probe reports "::1", never "0:0::1": an address written another way would never match.
        version = _ADDRESS_VERSIONS.get(self.type)
        if version is not None:
            self.expected = [_address_of_version(text, version, self.type) for text in self.expected]
        return self


def _address_of_version(text: str, version: int, rtype: str) -> str:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        address = None
    if address is None or address.version != version:
        raise invalid(
            f"IPv{version} addresses for an {rtype} record",
            "List the addresses the name must resolve to.",
            problem="found {address}, which is not an IPv{version} address",
            key="expected",
            address=f'"{text}"',
            version=version,
        )
    return str(address)


class DnsConfig(Section):
    """``resolver`` unset means the host's own resolver (first nameserver of /etc/resolv.conf)."""

    resolver: ResolverAddress | None = None
    timeout_seconds: Seconds = 2
    records: list[DnsRecord] = Field(default_factory=list)
