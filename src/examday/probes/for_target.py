"""A target's probes, built from its config, each `Guarded` and opened on first use.

The pytest fixtures and the commands that work outside pytest (`examday
capture`) open their probes here, so both connect the same way. Probe modules
are imported inside: a caller pays for the client libraries it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from examday.config import ExamdayConfig
from examday.probes.errors import Unreachable
from examday.probes.guard import Guarded


def docker_probe(config: ExamdayConfig) -> Guarded[Any]:
    from examday.probes.docker import DockerProbe

    cfg = config.docker
    return Guarded("docker", lambda: DockerProbe(cfg.base_url, timeout=cfg.timeout_seconds))


def postgres_probe(config: ExamdayConfig, docker: Guarded[Any] | None = None) -> Guarded[Any]:
    """One read-only database session with a statement timeout, or with `via = "docker_exec"`
    read-only psql sessions in the postgres container through `docker` (the run's one Docker
    client; without it, one of its own)."""
    cfg = config.postgres
    if cfg.via == "docker_exec":
        return Guarded("postgres", _exec_probe_factory(config, "postgres", docker, _postgres_exec))

    def connect() -> Any:
        from examday.probes.postgres import PostgresProbe

        params: dict[str, Any] = {"host": cfg.host, "port": cfg.port, "dbname": cfg.dbname, "user": cfg.user}
        if cfg.password:
            params["password"] = cfg.password.get_secret_value()
        if cfg.sslmode:
            params["sslmode"] = cfg.sslmode
        return PostgresProbe(statement_timeout_ms=cfg.statement_timeout_ms,
                             connect_timeout=int(cfg.connect_timeout_seconds), **params)

    return Guarded("postgres", connect)


def redis_probe(config: ExamdayConfig, docker: Guarded[Any] | None = None) -> Guarded[Any]:
    """Redis, read commands only: over TCP, or with `via = "docker_exec"` through redis-cli in
    the redis container (through `docker`, as for postgres_probe)."""
    cfg = config.redis
    if cfg.via == "docker_exec":
        return Guarded("redis", _exec_probe_factory(config, "redis", docker, _redis_exec))

    def connect() -> Any:
        from examday.probes.redis import RedisProbe

        password = cfg.password_text(missing=None)
        return RedisProbe(cfg.url, password=password, timeout=cfg.timeout_seconds)

    return Guarded("redis", connect)


def _exec_probe_factory(config: ExamdayConfig, role: str, docker: Guarded[Any] | None,
                        build: Callable[[ExamdayConfig, Callable[[], Any], str], Any]) -> Callable[[], Any]:
    """Builds the docker-exec probe on first use; a role with no container is one clear message."""
    engine = docker if docker is not None else docker_probe(config)

    def connect() -> Any:
        container = config.docker.containers.by_role().get(role)
        if not container:
            raise Unreachable(f'{role}.via = "docker_exec" needs the {role} container, but [docker.containers] '
                              f'names none: set docker.containers.{role}, or {role}.via = "tcp"', dependency=role)
        # `.probe`, not the Guarded itself: a hung client in the container marks its datastore
        # down, not the engine.
        probe = build(config, lambda: engine.probe, container)
        if docker is None:  # an engine of our own: closed with the probe
            setattr(probe, "close", engine.close)
        return probe

    return connect


def _postgres_exec(config: ExamdayConfig, docker: Callable[[], Any], container: str) -> Any:
    from examday.probes.postgres_exec import PostgresExecProbe

    cfg = config.postgres
    return PostgresExecProbe(docker, container, dbname=cfg.dbname, user=cfg.user, port=cfg.port,
                             password=cfg.password_text(missing=None),
                             statement_timeout_ms=cfg.statement_timeout_ms,
                             connect_timeout=int(cfg.connect_timeout_seconds))


def _redis_exec(config: ExamdayConfig, docker: Callable[[], Any], container: str) -> Any:
    from examday.probes.redis_exec import RedisExecProbe

    cfg = config.redis
    password = cfg.password_text(missing=None)
    return RedisExecProbe(docker, container, cfg.url, password=password, timeout=cfg.timeout_seconds)


def api_probe(config: ExamdayConfig) -> Guarded[Any]:
    """The platform's API as clients reach it (through the TLS edge)."""
    from examday.probes.http import HttpProbe

    return Guarded("api", lambda: HttpProbe.from_config(config.api))


def metrics_probe(config: ExamdayConfig) -> Guarded[Any]:
    """Where the backend's /metrics is read: [api] metrics_base_url, else the API itself. A new
    connection per scrape: a kept-alive one would always show the same worker's registry."""
    from examday.probes.http import HttpProbe

    return Guarded("api", lambda: HttpProbe.from_config(config.api, base_url=config.api.metrics_base_url,
                                                        keep_alive=False))


def prometheus_probe(config: ExamdayConfig) -> Guarded[Any] | None:
    from examday.probes.prometheus import PrometheusProbe

    cfg = config.prometheus
    return None if cfg is None else Guarded("prometheus", lambda: PrometheusProbe(cfg.url, cfg.timeout_seconds))


def alertmanager_probe(config: ExamdayConfig) -> Guarded[Any] | None:
    from examday.probes.alertmanager import AlertmanagerProbe

    cfg = config.alertmanager
    return None if cfg is None else Guarded("alertmanager", lambda: AlertmanagerProbe(cfg.url, cfg.timeout_seconds))
