"""Fixtures over what the platform is made of, read once per run: its compose configuration and backups
(prefetched while the first items run), the backend's compose service, the operator's token, and
exam mode read from every source the target names."""

from __future__ import annotations

from typing import Any

import pytest

from examday.config import ExamdayConfig
from examday.plugin import prefetch
from examday.plugin.fixtures import load_target_config, shared_docker
from examday.probes.guard import Guarded


def _resolve_compose(config: pytest.Config) -> dict[str, Any]:
    from examday.facts.compose_source import compose_source
    from examday.probes.compose import resolved_compose_config

    source = compose_source(shared_docker(config), load_target_config(config))
    return resolved_compose_config(source.files, source.project_dir, source.env_files, source.project_name)


def _read_backups(config: pytest.Config) -> Any:
    from examday.facts.backups import read_backups

    return read_backups(shared_docker(config), load_target_config(config))


def start_prefetch(config: pytest.Config, items: list[pytest.Item]) -> None:
    from examday.plugin.slow_readings import PROXY_LANE, slow_jobs

    jobs = {"backups": lambda: _read_backups(config), "compose_config": lambda: _resolve_compose(config),
            **slow_jobs(config)}
    prefetch.start(config, _to_run(config, items), jobs, lane_of=PROXY_LANE)


def _to_run(config: pytest.Config, items: list[pytest.Item]) -> list[pytest.Item]:
    """The items that will run: one the target declares not applicable is skipped untouched (recording.py)."""
    from examday.plugin.items import meta_of
    from examday.waivers import current_declaration

    declared = load_target_config(config).not_applicable
    return [node for node in items if (meta := meta_of(node)) is None or current_declaration(declared, meta.id) is None]


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
