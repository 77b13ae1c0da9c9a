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
from examday.plugin import prefetch
from examday.probes.for_target import (
    alertmanager_probe,
    api_probe,
    docker_probe,
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


@pytest.fixture(scope="session")
def postgres(examday_config: ExamdayConfig) -> Iterator[Guarded[Any]]:
    """One read-only database session with a statement timeout, opened on first use."""
    guarded = postgres_probe(examday_config)
    yield guarded
    guarded.close()


@pytest.fixture(scope="session")
def redis_db(examday_config: ExamdayConfig) -> Iterator[Guarded[Any]]:
    """Redis, read commands only."""
    guarded = redis_probe(examday_config)
    yield guarded
    guarded.close()


@pytest.fixture(scope="session")
def api(examday_config: ExamdayConfig) -> Iterator[Guarded[Any]]:
    """The platform's API as clients reach it (through the TLS edge)."""
    guarded = api_probe(examday_config)
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


def _resolve_compose(examday_config: ExamdayConfig) -> dict[str, Any]:
    from examday.probes.compose import resolved_compose_config

    cfg = examday_config.docker
    return resolved_compose_config(cfg.compose_files, cfg.compose_project_dir, cfg.compose_env_files,
                                   cfg.compose_project_name)


def _read_backups(config: pytest.Config) -> Any:
    from examday.facts.backups import read_backups

    return read_backups(shared_docker(config), load_target_config(config))


def start_prefetch(config: pytest.Config, items: list[pytest.Item]) -> None:
    examday_config = load_target_config(config)
    jobs = {"backups": lambda: _read_backups(config)}
    if examday_config.docker.compose_files:
        jobs["compose_config"] = lambda: _resolve_compose(examday_config)
    prefetch.start(config, items, jobs)


@pytest.fixture(scope="session")
def compose_config(pytestconfig: pytest.Config, examday_config: ExamdayConfig) -> dict[str, Any]:
    """The platform's compose configuration as the next `up` would apply it (resolved, not run)."""
    if not examday_config.docker.compose_files:
        pytest.skip("docker.compose_files is not configured: examday cannot read what the next restart applies")
    return prefetch.result(pytestconfig, "compose_config", lambda: _resolve_compose(examday_config))


@pytest.fixture(scope="session")
def backups(pytestconfig: pytest.Config) -> Any:
    """The backups as [backup] describes them, with pg_restore's reading of the newest one."""
    return prefetch.result(pytestconfig, "backups", lambda: _read_backups(pytestconfig))


@pytest.fixture(scope="session")
def backend_service(examday_config: ExamdayConfig, compose_config: dict[str, Any]) -> str:
    """The compose service that runs the backend container."""
    from examday.probes.compose import container_name

    wanted = examday_config.docker.containers.backend
    for service in compose_config.get("services", {}):
        if container_name(compose_config, service) == wanted or service == "backend":
            return service
    pytest.fail(f"no service in the compose configuration runs container {wanted}")


@pytest.fixture
def exam_mode_now(docker_engine: Guarded[Any], postgres: Guarded[Any], api: Guarded[Any],
                  compose_config: dict[str, Any], backend_service: str, examday_config: ExamdayConfig) -> Any:
    """Exam mode from every source at once (configured, container env, live process, flag, app)."""
    from examday.facts.exam_mode import observe_applied_mode
    from examday.probes.compose import service_environment

    return observe_applied_mode(docker_engine, postgres, api, service_environment(compose_config, backend_service),
                                examday_config.docker.containers.backend, examday_config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One item instance per configured TLS endpoint, expected DNS record and integrity invariant."""
    if metafunc.definition.get_closest_marker("examday_item") is None:
        return  # only checklist items: other tests may use these names for their own
    for name, values, ids in _config_parameters(metafunc):
        metafunc.parametrize(name, values or [None], ids=ids or ["none-configured"], indirect=True)


def _config_parameters(metafunc: pytest.Metafunc) -> Iterator[tuple[str, list[Any], list[str]]]:
    if "invariant" in metafunc.fixturenames:
        from examday.facts.invariants import load_invariants

        invariants = load_invariants()
        yield "invariant", invariants, [i.name for i in invariants]
    wanted = {"tls_endpoint", "dns_record"} & set(metafunc.fixturenames)
    if not wanted:
        return
    config = load_target_config(metafunc.config)
    if "tls_endpoint" in wanted:
        yield "tls_endpoint", list(config.tls.endpoints), list(config.tls.endpoints)
    if "dns_record" in wanted:
        records = list(config.dns.records)
        yield "dns_record", records, [f"{r.name}-{r.type}" for r in records]


@pytest.fixture
def tls_endpoint(request: pytest.FixtureRequest) -> str:
    if request.param is None:
        pytest.skip("no TLS endpoints configured ([tls] endpoints, or an https [api] base_url)")
    return request.param


@pytest.fixture
def invariant(request: pytest.FixtureRequest) -> Any:
    if request.param is None:
        pytest.skip("no invariant files in checks/sql/")
    return request.param


@pytest.fixture
def dns_record(request: pytest.FixtureRequest) -> Any:
    if request.param is None:
        pytest.skip("no expected DNS records configured ([[dns.records]])")
    if examday_config_of(request).dns.resolver is None:
        pytest.skip("no resolver configured ([dns] resolver): examday will not guess one")
    return request.param


def examday_config_of(request: pytest.FixtureRequest) -> ExamdayConfig:
    return load_target_config(request.config)


ATTESTATIONS_KEY = pytest.StashKey[list[Any]]()
ATTESTATION_KEY = pytest.StashKey[Any]()  # the attestation a manual item was satisfied by


def attestation_path(config: pytest.Config) -> Path:
    option = config.getoption("examday_attestations", default=None)
    path = Path(option) if option else load_target_config(config).attestations.file
    assert path is not None  # the config layer always sets a default
    return path


def load_attestation_file(config: pytest.Config) -> list[Any]:
    """Every attestation for this target, read once; a malformed file is one usage error."""
    from examday.attestations import AttestationError, load_attestations

    if ATTESTATIONS_KEY not in config.stash:
        try:
            config.stash[ATTESTATIONS_KEY] = load_attestations(attestation_path(config))
        except AttestationError as error:
            raise pytest.UsageError(str(error)) from None
    return config.stash[ATTESTATIONS_KEY]


@pytest.fixture(scope="session")
def attestations(pytestconfig: pytest.Config) -> list[Any]:
    """Every attestation recorded for this target."""
    return load_attestation_file(pytestconfig)


@pytest.fixture
def attested(request: pytest.FixtureRequest, attestations: list[Any], evidence: Any) -> Any:
    """The current attestation of this manual item; skipped (or failed with --strict-attestations) without one."""
    from examday.attestations import current_attestation
    from examday.plugin.items import meta_of

    meta = meta_of(request.node)
    assert meta is not None and meta.manual, "`attested` is for items declared with manual=True"
    found = current_attestation(attestations, meta.id)
    if found is None:
        message = (f"not attested: record it with `examday attest {meta.id} --by NAME --note TEXT`")
        if request.config.getoption("examday_strict_attestations"):
            pytest.fail(message)
        pytest.skip(message)
    request.node.stash[ATTESTATION_KEY] = found
    evidence.record(attested_by=found.by, attested_at=found.at.isoformat(), note=found.note,
                    evidence=found.evidence.model_dump(exclude_none=True) if found.evidence else None,
                    expires=found.expires.isoformat() if found.expires else None)
    return found
