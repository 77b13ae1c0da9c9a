"""examday's own tests. Fixtures that start real services live in tests/fixtures/."""

from tests.fixtures.network_servers import *  # noqa: F401,F403 - fixtures
from tests.fixtures.services import *  # noqa: F401,F403 - fixtures


import pytest  # noqa: E402

from examday.sandbox.lifecycle import Sandbox  # noqa: E402


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    """The sandbox platform, up and healthy (an idempotent `up`: seconds when it already runs)."""
    sandbox = Sandbox.open()
    sandbox.up()
    return sandbox
