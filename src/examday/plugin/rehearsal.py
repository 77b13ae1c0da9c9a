"""The rehearsal phase's guard and fixtures: load and fault drills, never on production unless forced.

Selecting any `rehearsal` item against a target whose kind is "production" is
a usage error before anything runs, unless the operator passes
--i-know-this-is-production. Load goes only to the target's own addresses
([rehearsal] allowed_networks), every run capped in requests and time.
"""

from __future__ import annotations

from typing import Any

import pytest

from examday.config import ExamdayConfig, RehearsalConfig
from examday.plugin.fixtures import load_target_config
from examday.plugin.items import phases_of

FORCE_OPTION = "--i-know-this-is-production"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("examday").addoption(
        FORCE_OPTION, action="store_true", dest="examday_production_drills",
        help="allow the rehearsal phase (load and fault drills) against a target of kind production")


def pytest_collection_finish(session: pytest.Session) -> None:
    drills = [item for item in session.items if "rehearsal" in phases_of(item)]
    if not drills or session.config.getoption("examday_production_drills"):
        return
    config = load_target_config(session.config)
    if config.target.kind == "production":
        raise pytest.UsageError(
            f"refusing the rehearsal phase against {config.target.name}, a production target: its drills stop "
            f"Redis, kill and restart the backend and load it. Rehearse on staging or the sandbox, or pass "
            f"{FORCE_OPTION} if this really is intended.")


@pytest.fixture(scope="session")
def rehearsal(examday_config: ExamdayConfig) -> RehearsalConfig:
    if examday_config.rehearsal is None:
        pytest.skip("no [rehearsal] section: students, their password and the exam to rehearse are not configured")
    return examday_config.rehearsal


@pytest.fixture(scope="session")
def load_target(examday_config: ExamdayConfig, rehearsal: RehearsalConfig) -> Any:
    """The API's address, checked to be one of the target's own before any load is sent."""
    from examday.rehearsal import TargetRefused, resolve_target

    api = examday_config.api
    try:
        return resolve_target(rehearsal.base_url or api.base_url, allowed=rehearsal.allowed_networks,
                              resolve=api.resolve,
                              ca_bundle=api.ca_bundle)
    except TargetRefused as refused:
        pytest.fail(str(refused))


@pytest.fixture(scope="session")
def student_accounts(rehearsal: RehearsalConfig) -> list[Any]:
    from examday.rehearsal import numbered_accounts

    if rehearsal.password is None:
        pytest.skip("the rehearsal students' password is not configured ([rehearsal] password_env or password_file)")
    return numbered_accounts(rehearsal.students, rehearsal.password.get_secret_value(),
                             pattern=rehearsal.username_pattern, first=rehearsal.first_student)


@pytest.fixture(scope="session")
def drill_engine(docker_engine: Any) -> Any:
    """Container operations for the drills: the only changes examday ever makes to a target."""
    from examday.rehearsal.faults import Engine

    return Engine(docker_engine.probe)


@pytest.fixture(scope="session")
def load_progress(pytestconfig: pytest.Config) -> bool:
    """Show the load's live progress only when pytest does not capture output (-s, `examday rehearse`)."""
    return pytestconfig.getoption("capture") == "no"


@pytest.fixture
def drills(rehearsal: RehearsalConfig, load_target: Any, student_accounts: list[Any], drill_engine: Any,
           load_progress: bool, examday_config: ExamdayConfig) -> Any:
    """Run a drill: students under load, a fault in the middle, undone in a `finally`."""
    from examday.rehearsal.drill import Drills

    api = examday_config.api
    # Load sent straight to the backend ([rehearsal] base_url) uses the backend's own prefix.
    prefix = api.prefix_at_backend if rehearsal.base_url else api.prefix
    return Drills(rehearsal, load_target, student_accounts, drill_engine, load_progress, examday_config.flow, prefix)
