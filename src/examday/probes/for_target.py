"""A target's probes, built from its config, each `Guarded` and opened on first use.

The pytest fixtures and the commands that work outside pytest (`examday
capture`) open their probes here, so both connect the same way. Probe modules
are imported inside: a caller pays for the client libraries it uses.
"""

from __future__ import annotations

from typing import Any

from examday.config import ExamdayConfig
from examday.probes.guard import Guarded


def docker_probe(config: ExamdayConfig) -> Guarded[Any]:
    from examday.probes.docker import DockerProbe

    cfg = config.docker
    return Guarded("docker", lambda: DockerProbe(cfg.base_url, timeout=cfg.timeout_seconds))


def postgres_probe(config: ExamdayConfig) -> Guarded[Any]:
    """One read-only database session with a statement timeout."""
    from examday.probes.postgres import PostgresProbe

    cfg = config.postgres

    def connect() -> PostgresProbe:
        params: dict[str, Any] = {"host": cfg.host, "port": cfg.port, "dbname": cfg.dbname, "user": cfg.user}
        if cfg.password:
            params["password"] = cfg.password.get_secret_value()
        if cfg.sslmode:
            params["sslmode"] = cfg.sslmode
        return PostgresProbe(statement_timeout_ms=cfg.statement_timeout_ms,
                             connect_timeout=int(cfg.connect_timeout_seconds), **params)

    return Guarded("postgres", connect)


def redis_probe(config: ExamdayConfig) -> Guarded[Any]:
    """Redis, read commands only."""
    from examday.probes.redis import RedisProbe

    cfg = config.redis
    password = cfg.password.get_secret_value() if cfg.password else None
    return Guarded("redis", lambda: RedisProbe(cfg.url, password=password, timeout=cfg.timeout_seconds))


def api_probe(config: ExamdayConfig) -> Guarded[Any]:
    """The platform's API as clients reach it (through the TLS edge)."""
    from examday.probes.http import HttpProbe

    return Guarded("api", lambda: HttpProbe.from_config(config.api))


def prometheus_probe(config: ExamdayConfig) -> Guarded[Any] | None:
    from examday.probes.prometheus import PrometheusProbe

    cfg = config.prometheus
    return None if cfg is None else Guarded("prometheus", lambda: PrometheusProbe(cfg.url, cfg.timeout_seconds))


def alertmanager_probe(config: ExamdayConfig) -> Guarded[Any] | None:
    from examday.probes.alertmanager import AlertmanagerProbe

    cfg = config.alertmanager
    return None if cfg is None else Guarded("alertmanager", lambda: AlertmanagerProbe(cfg.url, cfg.timeout_seconds))
