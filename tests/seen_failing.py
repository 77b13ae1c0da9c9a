"""The ledger of checklist items this test run has seen failing for their own cause.

A check that cannot fail is no check: tests/test_every_item_can_fail.py walks the catalog,
once every other test has run, and requires each automated item (and each integrity
invariant in checks/sql/) to be in this ledger. A test adds to it only through
`saw_failing`, which first asserts that the failure's message names the cause.
"""

from __future__ import annotations

import os

SEEN: dict[str, set[str]] = {}  # item ID (or "invariant:<name>") -> the tests that saw it fail


def saw_failing(key: str, message: str, cause: str) -> None:
    """Assert that `message` names `cause` (any case), and note the running test under `key`."""
    assert cause.lower() in message.lower(), f"{key} failed, but its message does not name {cause!r}: {message}"
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
    SEEN.setdefault(key, set()).add(test)
