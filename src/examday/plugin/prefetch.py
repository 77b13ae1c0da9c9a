"""Slow, independent readings started in the background as the run begins.

Some readings spend most of their time waiting on another program: `compose
config` (a separate program that takes half a second to start), `pg_restore
--list` of the newest backup, and the slow items' own readings (slow_readings.py).
When a selected item needs one, it is started at the end of collection on a worker
thread and the fixture (or the item, through `Pending`) collects the result, so a
phase takes about as long as its slowest reading rather than the sum of them.
Nothing here runs unless an item asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

PREFETCH_KEY = pytest.StashKey[dict[str, Future[Any]]]()


def start(config: pytest.Config, items: list[pytest.Item], jobs: dict[str, Callable[[], Any]],
          lane_of: Mapping[str, str] | None = None) -> None:
    """Start each job whose fixture (same name) a selected item uses: each on its own thread, except
    that jobs `lane_of` puts in one lane run one after another on that lane's thread."""
    needed = {name for node in items for name in getattr(node, "fixturenames", ())}
    wanted = {name: job for name, job in jobs.items() if name in needed}
    if not wanted:
        return
    lanes: dict[str, list[str]] = {}
    for name in wanted:
        lanes.setdefault((lane_of or {}).get(name, name), []).append(name)
    futures: dict[str, Future[Any]] = {name: Future() for name in wanted}
    pool = ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="examday-prefetch")
    for names in lanes.values():
        pool.submit(_in_order, [(futures[name], wanted[name]) for name in names])
    config.stash[PREFETCH_KEY] = futures
    pool.shutdown(wait=False)


def _in_order(jobs: list[tuple[Future[Any], Callable[[], Any]]]) -> None:
    for future, job in jobs:
        try:
            future.set_result(job())
        except BaseException as error:  # noqa: BLE001 - whatever it was, the item that collects it raises it
            future.set_exception(error)


def result(config: pytest.Config, name: str, compute: Callable[[], Any]) -> Any:
    """The prefetched value (or its exception), or `compute()` when nothing was prefetched."""
    future = config.stash.get(PREFETCH_KEY, {}).get(name)
    return future.result() if future is not None else compute()


class Pending:
    """A reading an item collects in its own body (`.result()`): its failure is the item's, as if read there."""

    def __init__(self, config: pytest.Config, name: str, compute: Callable[[], Any]) -> None:
        self._config, self._name, self._compute = config, name, compute

    def result(self) -> Any:
        return result(self._config, self._name, self._compute)
