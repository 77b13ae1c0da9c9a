"""`make test` runs in two pytest-xdist workers; there is one sandbox, so its tests share one lane.

The lane (one worker, collection order) holds every test that touches the sandbox, every test
that writes the "seen failing" ledger (tests/seen_failing.py: a worker's ledger is its own) and
the catalog-wide test that reads it, which runs last. The other worker takes everything else
meanwhile: units, real Postgres/Redis/TLS/DNS servers of their own, scratch containers. It runs
at a lower CPU priority, so the sandbox's latency figures (p95 items, drills) are not measured on
a machine that the unit tests keep busy.

How: xdist's own grouping (`xdist_group` marks, `--dist loadgroup`) renames `item._nodeid`,
which pytest 9.2 no longer reads (its node ids are `item._id`), so it groups nothing. Instead
each worker writes the lane's node ids to a folder the controller made, and the controller's
scheduler (`--dist loadgroup` still asks for it) puts those ids in one work unit.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

LANE = "sandbox"
LANE_DIR_ENV = "EXAMDAY_TEST_LANE_DIR"  # set by the controller before its workers start; they inherit it
# tests/seen_failing.py's writer and tests/checks/runner.py's, imported by name or their module
LEDGER_WRITERS = ("saw_failing", "fails_for", "fails_exactly", "seen_failing")
OTHER_LANE_NICENESS = 10


def shares_the_sandbox(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return (item.get_closest_marker("sandbox") is not None
            or "sandbox" in getattr(item, "fixturenames", ())
            or item.get_closest_marker("every_item_can_fail") is not None
            or any(getattr(module, name, None) is not None for name in LEDGER_WRITERS))


def _lanes_wanted(config: pytest.Config) -> bool:
    return config.getoption("dist", "no") == "loadgroup"


def prepare_lanes(config: pytest.Config) -> None:
    """On the controller: the folder its workers write the lane into."""
    if _lanes_wanted(config) and not hasattr(config, "workerinput") and LANE_DIR_ENV not in os.environ:
        os.environ[LANE_DIR_ENV] = tempfile.mkdtemp(prefix="examday-test-lanes-")


def note_lane(items: list[pytest.Item]) -> None:
    """On a worker, once collected: the lane's node ids, for the controller's scheduler."""
    folder, worker = os.environ.get(LANE_DIR_ENV), os.environ.get("PYTEST_XDIST_WORKER")
    if not folder or not worker:
        return
    written = Path(folder, f".{worker}.txt")
    written.write_text("".join(f"{item.nodeid}\n" for item in items if shares_the_sandbox(item)))
    written.rename(Path(folder, f"{worker}.txt"))  # whole or absent


def lane_scheduler(config: pytest.Config, log: Any) -> Any:
    """The controller's scheduler: the lane's tests one work unit, every other test a unit of its own."""
    if not _lanes_wanted(config):
        return None
    from xdist.scheduler.loadscope import LoadScopeScheduling

    folder = Path(os.environ[LANE_DIR_ENV])

    class SandboxLaneScheduling(LoadScopeScheduling):
        lane: frozenset[str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.lane is None:  # read once every worker has collected (schedule() runs then)
                self.lane = frozenset(line for path in folder.glob("*.txt") for line in path.read_text().splitlines())
            return LANE if nodeid in self.lane else nodeid

    return SandboxLaneScheduling(config, log)


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
