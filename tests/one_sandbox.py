"""`make test` runs in two pytest-xdist workers; there is one sandbox, so its tests share one lane.

The lane (xdist group "sandbox", one worker, collection order) holds every test that touches the
sandbox, every test that writes the "seen failing" ledger (tests/seen_failing.py: a worker's
ledger is its own) and the catalog-wide test that reads it, which runs last. The other worker
takes everything else meanwhile: units, real Postgres/Redis/TLS/DNS servers of their own,
scratch containers. It runs at a lower CPU priority, so the sandbox's latency figures (p95
items, drills) are not measured on a machine that the unit tests keep busy.
"""

from __future__ import annotations

import os

import pytest

LANE = "sandbox"
LEDGER_WRITERS = ("saw_failing", "fails_for", "fails_exactly")  # tests/seen_failing.py, tests/checks/runner.py
OTHER_LANE_NICENESS = 10


def shares_the_sandbox(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return (item.get_closest_marker("sandbox") is not None
            or "sandbox" in getattr(item, "fixturenames", ())
            or item.get_closest_marker("every_item_can_fail") is not None
            or any(callable(getattr(module, name, None)) for name in LEDGER_WRITERS))


def put_in_lanes(items: list[pytest.Item]) -> None:
    for item in items:
        if shares_the_sandbox(item):
            item.add_marker(pytest.mark.xdist_group(LANE))


def set_priority_for(item: pytest.Item) -> None:
    """Under xdist only: the sandbox lane at normal priority, the other lane below it (children inherit)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    wanted = 0 if shares_the_sandbox(item) else OTHER_LANE_NICENESS
    try:
        os.setpriority(os.PRIO_PROCESS, 0, wanted)
    except PermissionError:  # not root: a lower priority can be taken, never given back
        if wanted:
            os.setpriority(os.PRIO_PROCESS, 0, max(wanted, os.getpriority(os.PRIO_PROCESS, 0)))
