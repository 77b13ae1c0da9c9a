"""The database drill never leaves its container frozen, even when the runtime fails an unpause.

A runtime that hangs on a pause cannot be made to on demand, so `FlakyRuntimeContainer` stands in
for the Docker SDK's container: it fails the first unpauses it is asked for, as the runtime did
once on this machine ("get state: context deadline exceeded")."""

from __future__ import annotations

import pytest

from examday.rehearsal import faults


class FlakyRuntimeContainer:
    """A fake Docker container (the runtime's failures cannot be caused for real): paused, and its
    first `failures` unpauses raise."""

    def __init__(self, failures: int) -> None:
        self.status, self.failures, self.unpauses = "paused", failures, 0

    def reload(self) -> None:
        pass

    def unpause(self) -> None:
        self.unpauses += 1
        if self.unpauses <= self.failures:
            raise TimeoutError("get state: context deadline exceeded")
        self.status = "running"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(faults.time, "sleep", lambda _s: None)


def test_a_failed_unpause_is_tried_again_until_the_container_runs():
    container = FlakyRuntimeContainer(failures=2)
    faults._thawed(container, "exam_platform_postgres")
    assert container.status == "running" and container.unpauses == 3


def test_a_container_that_stays_frozen_is_an_error_that_says_how_to_thaw_it():
    container = FlakyRuntimeContainer(failures=faults.THAW_ATTEMPTS)
    with pytest.raises(RuntimeError, match="docker unpause exam_platform_postgres"):
        faults._thawed(container, "exam_platform_postgres")
    assert container.status == "paused"


def test_a_running_container_is_left_alone():
    container = FlakyRuntimeContainer(failures=0)
    container.status = "running"
    faults._thawed(container, "exam_platform_postgres")
    assert container.unpauses == 0
