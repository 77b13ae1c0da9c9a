"""DUR-RED-01 counts Redis's rejected connections since examday's last reading, not since Redis started."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from examday.facts.redis_rejections import RejectionReading, read_rejections, rejections_since
from examday.probes.errors import Unreachable
from examday.probes.redis import RedisProbe


def reading(rejected: int, run_id: str = "r1", at: str = "2030-06-01T09:00:00+00:00") -> RejectionReading:
    return RejectionReading(run_id, rejected, at)


def test_only_rejections_since_the_previous_reading_count() -> None:
    judged = rejections_since(reading(7), reading(5))
    assert (judged.new, judged.since) == (2, "examday's previous reading at 2030-06-01T09:00:00+00:00")
    assert rejections_since(reading(5), reading(5)).new == 0  # an old rejection fails one round, not all after


def test_a_restarted_redis_counts_from_its_start() -> None:
    assert rejections_since(reading(1, run_id="r2"), reading(5)).new == 1
    assert "Redis restarted" in rejections_since(reading(1, run_id="r2"), reading(5)).since


def test_without_an_earlier_reading_everything_since_redis_started_counts() -> None:
    judged = rejections_since(reading(3), None)
    assert judged.new == 3 and judged.since.startswith("Redis started")


def test_a_real_redis_at_maxclients_is_seen_rejecting_once(redis_server_factory: Callable[..., Any]) -> None:
    server = redis_server_factory(extra_args=("--maxclients", "1"))
    probe = RedisProbe(server.url, timeout=2)
    try:
        # the probe's own connection is the one client allowed, once the factory's port check has gone
        before = first_reading(probe)
        with socket.create_connection(("127.0.0.1", server.port), timeout=2) as second:
            second.recv(200)  # Redis answers "-ERR max number of clients reached" and closes
        after = read_rejections(probe)
        later = read_rejections(probe)
    finally:
        probe.close()
    assert before.run_id == after.run_id
    assert rejections_since(after, before).new == 1
    assert later.rejected == after.rejected and rejections_since(later, after).new == 0


def first_reading(probe: RedisProbe) -> RejectionReading:
    """The first reading, retried while a connection closed just before still holds the only slot."""
    deadline = time.monotonic() + 5
    while True:
        try:
            return read_rejections(probe)
        except Unreachable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
