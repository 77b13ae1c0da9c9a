"""examday's own tests. Fixture modules that start real services live in tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.network_servers",
]
