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


@pytest.fixture(scope="session")
def postgres(pytestconfig: pytest.Config, examday_config: ExamdayConfig) -> Iterator[Guarded[Any]]:
    """One read-only database session with a statement timeout, opened on first use
    (through the run's Docker client when postgres.via = "docker_exec")."""
    guarded = postgres_probe(examday_config, shared_docker(pytestconfig))
    yield guarded
    guarded.close()


@pytest.fixture(scope="session")
def redis_db(pytestconfig: pytest.Config, examday_config: ExamdayConfig) -> Iterator[Guarded[Any]]:
    """Redis, read commands only (through the run's Docker client when redis.via = "docker_exec")."""
    guarded = redis_probe(examday_config, shared_docker(pytestconfig))
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


def _resolve_compose(config: pytest.Config) -> dict[str, Any]:
    from examday.facts.compose_source import compose_source
    from examday.probes.compose import resolved_compose_config

    source = compose_source(shared_docker(config), load_target_config(config))
    return resolved_compose_config(source.files, source.project_dir, source.env_files, source.project_name)


def _read_backups(config: pytest.Config) -> Any:
    from examday.facts.backups import read_backups

    return read_backups(shared_docker(config), load_target_config(config))


def start_prefetch(config: pytest.Config, items: list[pytest.Item]) -> None:
    jobs = {"backups": lambda: _read_backups(config), "compose_config": lambda: _resolve_compose(config)}
    prefetch.start(config, items, jobs)


@pytest.fixture(scope="session")
def compose_config(pytestconfig: pytest.Config, examday_config: ExamdayConfig) -> dict[str, Any]:
    """The platform's compose configuration as the next `up` would apply it (resolved, not run)."""
    from examday.facts.compose_source import ComposeFilesUnknown

    try:
        return prefetch.result(pytestconfig, "compose_config", lambda: _resolve_compose(pytestconfig))
    except ComposeFilesUnknown as unknown:  # not checked: the run is INCOMPLETE, saying what to set
        pytest.skip(str(unknown))


@pytest.fixture(scope="session")
def backups(pytestconfig: pytest.Config) -> Any:
    """The backups as [backup] describes them, with pg_restore's reading of the newest one."""
    from examday.facts.backups import BackupsNotConfigured

    try:
        return prefetch.result(pytestconfig, "backups", lambda: _read_backups(pytestconfig))
    except BackupsNotConfigured as problem:
        pytest.fail(str(problem))


@pytest.fixture(scope="session")
def backend_service(examday_config: ExamdayConfig, compose_config: dict[str, Any]) -> str:
    """The compose service that runs the backend container."""
    from examday.probes.compose import container_name

    wanted = examday_config.docker.containers.backend
    for service in compose_config.get("services", {}):
        if container_name(compose_config, service) == wanted or service == "backend":
            return service
    pytest.fail(f"no service in the compose configuration runs container {wanted}")


@pytest.fixture(scope="session")
def operator_token(api: Guarded[Any], examday_config: ExamdayConfig) -> str | None:
    """A bearer token of the [operator] account, signed in once per run; None without [operator].

    Used only to READ the admin endpoints (exam mode, freeze-updates): the platform keeps them admin-only.
    """
    operator = examday_config.operator
    if operator is None:
        return None
    from examday.probes.student_api import StudentClient

    password = operator.password_text()
    # Unguarded: a slow sign-in (35 s with Redis down on the real platform) fails the items that
    # need the token, not every item that reads the API.
    client = StudentClient(api.probe, examday_config.flow, operator.username, password)
    client.sign_in()
    return client.token


@pytest.fixture
def read_exam_mode(request: pytest.FixtureRequest, docker_engine: Guarded[Any], postgres: Guarded[Any],
                   examday_config: ExamdayConfig) -> Any:
    """Read exam mode from every configured source, when the item asks (so a failed read fails the item).

    ``read_exam_mode()`` asks the application too (the "http" source); ``ask_application=False``
    reads only where the mode is set (flag row, env configuration).
    """
    from examday.facts.exam_mode import observe_exam_mode

    def read(ask_application: bool = True) -> Any:
        report = application_report(request, examday_config) if ask_application else None
        return observe_exam_mode(docker_engine, postgres, report, compose_env_or_none(request, examday_config),
                                 backend_container(examday_config), examday_config)

    return read


def application_report(request: pytest.FixtureRequest, config: ExamdayConfig) -> Any | None:
    """A callable giving the application's own exam-mode report, when "http" is a source."""
    if "http" not in config.exam_mode.sources:
        return None
    api = request.getfixturevalue("api")
    token = request.getfixturevalue("operator_token")
    return lambda: api.exam_mode(bearer=token)


def compose_env_or_none(request: pytest.FixtureRequest, config: ExamdayConfig) -> dict[str, str] | None:
    """The backend's env as the next restart applies it: only the env source needs it."""
    if "env" not in config.exam_mode.sources:
        return None
    from examday.probes.compose import service_environment

    return service_environment(request.getfixturevalue("compose_config"), request.getfixturevalue("backend_service"))


def backend_container(config: ExamdayConfig) -> str:
    from examday.checklist import deployed

    return deployed(config, "backend")


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
        pytest.fail("no invariant files in checks/sql/: examday's install is incomplete (reinstall it)")
    return request.param


@pytest.fixture
def dns_record(request: pytest.FixtureRequest) -> Any:
    if request.param is None:
        pytest.skip("no expected DNS records configured ([[dns.records]] name, type, expected)")
    return request.param  # [dns] resolver unset: the host's own resolver answers


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
