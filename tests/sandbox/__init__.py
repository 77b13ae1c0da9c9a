"""Integration tests against the running sandbox platform (real Docker, no mocks)."""
