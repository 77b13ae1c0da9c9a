"""examday's own tests. Fixtures that start real services live in tests/fixtures/."""

from tests.fixtures.network_servers import *  # noqa: F401,F403 - fixtures
from tests.fixtures.services import *  # noqa: F401,F403 - fixtures


import os  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from examday.sandbox.lifecycle import Sandbox  # noqa: E402
from examday.sandbox.startup import sandbox_up  # noqa: E402
from tests.one_sandbox import lane_scheduler, note_lane, prepare_lanes, set_priority_for  # noqa: E402

# The sandbox's 10 s and 15 s health checks every 2 s: a recreated backend is healthy in seconds
# instead of 17 (sandbox/docker-compose.yml); the workers' flag cache 2 s instead of 10, so each
# flag change waits 3 s instead of 11 (sandbox/state.py). `make test` exports both before `sandbox up`.
os.environ.setdefault("EXAMDAY_HEALTH_INTERVAL", "2s")
os.environ.setdefault("EXAMDAY_FLAGS_CACHE_TTL", "2")


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    """The sandbox platform, up and healthy (an idempotent `up`: seconds when it already runs)."""
    sandbox = Sandbox.open()
    sandbox_up(sandbox)
    return sandbox


# -- "every item can fail" runs last, over what the rest of the suite saw ------------------------

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "every_item_can_fail: the catalog-wide test that runs after all others")
    prepare_lanes(config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log) -> object:  # noqa: ANN001 - xdist's hook
    return lane_scheduler(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from tests.test_every_item_can_fail import WHOLE_SUITE

    last = [item for item in items if item.get_closest_marker("every_item_can_fail")]
    items[:] = [item for item in items if item not in last] + last
    note_lane(items)
    config.stash[WHOLE_SUITE] = _whole_suite(config)


def pytest_runtest_setup(item: pytest.Item) -> None:
    set_priority_for(item)


def _whole_suite(config: pytest.Config) -> bool:
    """`pytest tests` with nothing deselected: the ledger then covers every test."""
    given = [Path(config.rootpath, arg) for arg in config.args]  # an absolute arg stays as it is
    return (given == [config.rootpath / "tests"]
            and not config.option.keyword and not config.option.markexpr
            and not config.getoption("deselect", None) and not config.getoption("lf", False))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands the ledger's coverage to the controller, which prints it."""
    from tests.test_every_item_can_fail import COVERAGE

    if hasattr(session.config, "workeroutput") and COVERAGE in session.config.stash:
        session.config.workeroutput["every_item_coverage"] = session.config.stash[COVERAGE]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # noqa: ANN001 - an xdist hook, called on the controller
    from tests.test_every_item_can_fail import COVERAGE

    coverage = getattr(node, "workeroutput", {}).get("every_item_coverage")
    if coverage is not None:
        node.config.stash[COVERAGE] = tuple(coverage)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # noqa: ANN001
    from tests.test_every_item_can_fail import COVERAGE, KNOWN_GAPS

    if COVERAGE in config.stash:
        seen, wanted = config.stash[COVERAGE]
        terminalreporter.write_line(f"every item can fail: {seen} of {wanted} items and invariants seen failing "
                                    f"({len(KNOWN_GAPS)} known gaps, listed in tests/test_every_item_can_fail.py)")
