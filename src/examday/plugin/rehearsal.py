"""The rehearsal phase's guard and fixtures: load and fault drills, only where the target allows them.

Selecting any `rehearsal` item is a usage error before anything runs unless the target opts
in, is not production (or --i-know-this-is-production), names every container the drills
touch, and shares none with the production target given by --production-target
(examday.rehearsal.guard). Load goes only to the target's own addresses ([rehearsal]
allowed_networks), every run capped in requests and time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from examday.config import ConfigError, ExamdayConfig, RehearsalConfig, load_config
from examday.plugin.fixtures import load_target_config
from examday.plugin.items import phases_of

FORCE_OPTION = "--i-know-this-is-production"
PRODUCTION_TARGET_OPTION = "--production-target"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("examday")
    group.addoption(FORCE_OPTION, action="store_true", dest="examday_production_drills",
                    help="allow the rehearsal phase (load and fault drills) against a target of kind production")
    group.addoption(PRODUCTION_TARGET_OPTION, dest="examday_production_target", default=None, metavar="PATH",
                    help="the production target's examday.toml: the drills refuse any container it names")
    group.addoption("--examday-engine", dest="examday_engine", default="examday", choices=("examday", "locust"),
                    help="the drills' load engine: examday's own (open loop, one process) or Locust (distributed)")
    group.addoption("--examday-locust-processes", dest="examday_locust_processes", type=int, default=2,
                    metavar="N", help="Locust worker processes started on this machine")
    group.addoption("--examday-locust-expect-workers", dest="examday_locust_expect_workers", type=int,
                    default=None, metavar="K", help="Locust workers to wait for in all (default: the local ones)")
    group.addoption("--examday-locust-bind", dest="examday_locust_bind", default="127.0.0.1", metavar="HOST",
                    help="the address the Locust master listens on for its workers")
    group.addoption("--examday-locust-port", dest="examday_locust_port", type=int, default=None, metavar="PORT",
                    help="the port the Locust master listens on (default: 5557 with remote workers)")
    group.addoption("--examday-locust-wait", dest="examday_locust_wait", type=float, default=120.0, metavar="S",
                    help="how long each drill's Locust master waits for its workers")


def pytest_collection_finish(session: pytest.Session) -> None:
    from examday.rehearsal.guard import drill_refusals

    if not any("rehearsal" in phases_of(item) for item in session.items):
        return
    config = load_target_config(session.config)
    refusals = drill_refusals(config, _production_target(session.config),
                              forced=session.config.getoption("examday_production_drills"))
    if refusals:
        raise pytest.UsageError(f"refusing the rehearsal phase against {config.target.name}: its drills stop "
                                "Redis, kill and restart the backend and freeze the database. "
                                + "; ".join(refusals))


def _production_target(config: pytest.Config) -> ExamdayConfig | None:
    path = config.getoption("examday_production_target")
    if path is None:
        return None
    try:
        return load_config(Path(path))
    except ConfigError as error:
        raise pytest.UsageError(f"{PRODUCTION_TARGET_OPTION}: {error}") from None


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


@pytest.fixture(scope="session")
def load_engine(pytestconfig: pytest.Config, examday_config: ExamdayConfig) -> Any:
    """None for examday's own load engine; with --examday-engine=locust, how the Locust master runs
    (its processes start per drill, as children: gevent never enters this process)."""
    if pytestconfig.getoption("examday_engine") != "locust":
        return None
    from examday.rehearsal.locust.engine import LocustEngine, LocustRunError

    option = pytestconfig.getoption
    try:
        return LocustEngine(processes=option("examday_locust_processes"),
                            expect_workers=option("examday_locust_expect_workers"),
                            bind_host=option("examday_locust_bind"), port=option("examday_locust_port"),
                            wait_for_workers_s=option("examday_locust_wait"),
                            resolve={str(name): str(ip) for name, ip in examday_config.api.resolve.items()})
    except LocustRunError as error:
        pytest.fail(str(error))


@pytest.fixture
def drills(rehearsal: RehearsalConfig, load_target: Any, student_accounts: list[Any], drill_engine: Any,
           load_progress: bool, examday_config: ExamdayConfig, load_engine: Any) -> Any:
    """Run a drill: students under load, a fault in the middle, undone in a `finally`."""
    from examday.rehearsal.drill import Drills

    api = examday_config.api
    # Load sent straight to the backend ([rehearsal] base_url) uses the backend's own prefix.
    prefix = api.prefix_at_backend if rehearsal.base_url else api.prefix
    return Drills(rehearsal, load_target, student_accounts, drill_engine, load_progress, examday_config.flow, prefix,
                  load_engine)
