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
from examday.probes.for_target import (
    alertmanager_probe,
    api_probe,
    docker_probe,
    metrics_probe,
    postgres_probe,
    prometheus_probe,
    redis_probe,
)
from examday.probes.guard import Guarded

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


DOCKER_KEY = pytest.StashKey[Guarded[Any]]()


def shared_docker(config: pytest.Config) -> Guarded[Any]:
    """The run's one Docker client (lazy), shared by the fixture and the prefetch thread."""
    if DOCKER_KEY not in config.stash:
        config.stash[DOCKER_KEY] = docker_probe(load_target_config(config))
    return config.stash[DOCKER_KEY]


@pytest.fixture(scope="session")
def docker_engine(pytestconfig: pytest.Config) -> Iterator[Guarded[Any]]:
    """The Docker engine the platform runs on (read-only use)."""
    guarded = shared_docker(pytestconfig)
    yield guarded
    guarded.close()


POSTGRES_KEY = pytest.StashKey[Guarded[Any]]()
REDIS_KEY = pytest.StashKey[Guarded[Any]]()


def shared_postgres(config: pytest.Config) -> Guarded[Any]:
    """The run's one database session (lazy), shared by the fixture and a failed item's triage."""
    if POSTGRES_KEY not in config.stash:
        config.stash[POSTGRES_KEY] = postgres_probe(load_target_config(config), shared_docker(config))
    return config.stash[POSTGRES_KEY]


def shared_redis(config: pytest.Config) -> Guarded[Any]:
    """The run's one Redis connection (lazy), shared like shared_postgres."""
    if REDIS_KEY not in config.stash:
        config.stash[REDIS_KEY] = redis_probe(load_target_config(config), shared_docker(config))
    return config.stash[REDIS_KEY]


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close what a triage opened without the fixtures (closing twice is harmless)."""
    for key in (POSTGRES_KEY, REDIS_KEY, DOCKER_KEY):
        if key in config.stash:
            config.stash[key].close()


@pytest.fixture(scope="session")
def postgres(pytestconfig: pytest.Config) -> Iterator[Guarded[Any]]:
    """One read-only database session with a statement timeout, opened on first use
    (through the run's Docker client when postgres.via = "docker_exec")."""
    guarded = shared_postgres(pytestconfig)
    yield guarded
    guarded.close()


@pytest.fixture(scope="session")
def redis_db(pytestconfig: pytest.Config) -> Iterator[Guarded[Any]]:
    """Redis, read commands only (through the run's Docker client when redis.via = "docker_exec")."""
    guarded = shared_redis(pytestconfig)
    yield guarded
    guarded.close()


@pytest.fixture(scope="session")
def api(examday_config: ExamdayConfig) -> Iterator[Guarded[Any]]:
    """The platform's API as clients reach it (through the TLS edge)."""
    guarded = api_probe(examday_config)
    yield guarded
    guarded.close()


@pytest.fixture(scope="session")
def backend_metrics(examday_config: ExamdayConfig) -> Iterator[Guarded[Any]]:
    """Where the backend's metrics are read ([api] metrics_base_url, else the API)."""
    guarded = metrics_probe(examday_config)
    yield guarded
    guarded.close()


def _configured_or_skip(guarded: Guarded[Any] | None, name: str) -> Guarded[Any]:
    if guarded is None:
        pytest.skip(f"no {name} configured ([{name.lower()}] url)")
    return guarded


@pytest.fixture(scope="session")
def prometheus(examday_config: ExamdayConfig) -> Guarded[Any]:
    """Prometheus' API; items that need it skip, saying so, when [prometheus] is not configured."""
    return _configured_or_skip(prometheus_probe(examday_config), "Prometheus")


@pytest.fixture(scope="session")
def prometheus_or_none(examday_config: ExamdayConfig) -> Guarded[Any] | None:
    """Prometheus when configured, else None: for items that fall back to their own measurements."""
    return prometheus_probe(examday_config)


@pytest.fixture(scope="session")
def alertmanager(examday_config: ExamdayConfig) -> Guarded[Any]:
    """Alertmanager's API; items that need it skip, saying so, when [alertmanager] is not configured."""
    return _configured_or_skip(alertmanager_probe(examday_config), "Alertmanager")
