"""examday's own tests. Fixtures that start real services live in tests/fixtures/."""

from tests.fixtures.network_servers import *  # noqa: F401,F403 - fixtures
from tests.fixtures.services import *  # noqa: F401,F403 - fixtures
