"""Session-scoped, lazy fixtures over the probes: what checks/ is written with.

A phase opens at most one Docker client, one database connection and one Redis
connection, and only when an item needs them. Each probe is `Guarded`: a dead
dependency fails the items that use it, quickly, naming it, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examday.config import ConfigError, ExamdayConfig, load_config
from examday.plugin.guard import Guarded
from examday.probes.docker import DockerProbe
from examday.probes.http import HttpProbe
from examday.probes.postgres import PostgresProbe
from examday.probes.redis import RedisProbe

CONFIG_KEY = pytest.StashKey[ExamdayConfig]()


def load_target_config(config: pytest.Config) -> ExamdayConfig:
    """Load the target's examday.toml once per run; a problem is one usage error."""
    if CONFIG_KEY not in config.stash:
        option = config.getoption("examday_target", default=None)
        try:
            config.stash[CONFIG_KEY] = load_config(Path(option) if option else None)
        except ConfigError as error:
            raise pytest.UsageError(str(error)) from None
    return config.stash[CONFIG_KEY]


@pytest.fixture(scope="session")
def examday_config(pytestconfig: pytest.Config) -> ExamdayConfig:
    """The validated configuration of the platform under check."""
    return load_target_config(pytestconfig)


@pytest.fixture(scope="session")
def thresholds(examday_config: ExamdayConfig) -> Any:
    return examday_config.thresholds


@pytest.fixture(scope="session")
def docker_engine(examday_config: ExamdayConfig) -> Iterator[Guarded[DockerProbe]]:
    """The Docker engine the platform runs on (read-only use)."""
    cfg = examday_config.docker
    guarded = Guarded("docker", lambda: DockerProbe(cfg.base_url, timeout=cfg.timeout_seconds))
    yield guarded
    guarded.close()


@pytest.fixture(scope="session")
def postgres(examday_config: ExamdayConfig) -> Iterator[Guarded[PostgresProbe]]:
    """One read-only database session with a statement timeout, opened on first use."""
    cfg = examday_config.postgres

    def connect() -> PostgresProbe:
        password = cfg.password.get_secret_value() if cfg.password else None
        params: dict[str, Any] = {"host": cfg.host, "port": cfg.port, "dbname": cfg.dbname, "user": cfg.user}
        if password:
            params["password"] = password
        if cfg.sslmode:
            params["sslmode"] = cfg.sslmode
        return PostgresProbe(statement_timeout_ms=cfg.statement_timeout_ms,
                             connect_timeout=int(cfg.connect_timeout_seconds), **params)

    guarded = Guarded("postgres", connect)
    yield guarded
    guarded.close()


@pytest.fixture(scope="session")
def redis_db(examday_config: ExamdayConfig) -> Iterator[Guarded[RedisProbe]]:
    """Redis, read commands only."""
    cfg = examday_config.redis
    password = cfg.password.get_secret_value() if cfg.password else None
    guarded = Guarded("redis", lambda: RedisProbe(cfg.url, password=password, timeout=cfg.timeout_seconds))
    yield guarded
    guarded.close()


@pytest.fixture(scope="session")
def api(examday_config: ExamdayConfig) -> Iterator[Guarded[HttpProbe]]:
    """The platform's API as clients reach it (through the TLS edge)."""
    guarded = Guarded("api", lambda: HttpProbe.from_config(examday_config.api))
    yield guarded
    guarded.close()
