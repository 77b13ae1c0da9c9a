"""RedisProbe against real redis-server processes: reads work, writes are impossible, dead is fast."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from examday.probes.errors import ProbeTimeout, Unreachable
from examday.probes.redis import RedisProbe, WriteRefused, is_read_only
from tests.fixtures.services import BlackHole, RedisServer, free_port


@pytest.fixture
def probe(redis_server: RedisServer) -> RedisProbe:
    return RedisProbe(redis_server.url, password=redis_server.password, timeout=2)


def test_ping_measures_a_round_trip(probe: RedisProbe) -> None:
    assert 0 < probe.ping() < 2000


def test_info_is_parsed(probe: RedisProbe) -> None:
    server = probe.info("server")
    assert "redis_version" in server
    assert "connected_clients" in probe.info()


def test_rejected_connections_is_a_count(probe: RedisProbe) -> None:
    assert probe.rejected_connections() == 0


def test_config_get_reads_a_setting(probe: RedisProbe) -> None:
    assert probe.config_get("appendonly") == "no"
    assert int(probe.config_get("maxclients") or 0) > 0  # redis lowers it to fit ulimit -n
    assert probe.config_get("no-such-setting") is None


def test_config_falls_back_to_info_when_config_is_disabled(
        redis_server_factory: Callable[..., RedisServer]) -> None:
    locked_down = redis_server_factory(extra_args=("--rename-command", "CONFIG", ""))
    probe = RedisProbe(locked_down.url, timeout=2)
    assert probe.config_get("maxmemory-policy") == "noeviction"
    assert probe.config_get("appendonly") == "no"
    assert probe.config_get("save") is None  # not in INFO: unknown, not an error


@pytest.mark.parametrize("command", [
    ("SET", "examday", "1"), ("DEL", "examday"), ("FLUSHALL",), ("CONFIG", "SET", "maxmemory", "1"),
    ("EVAL", "return redis.call('SET','examday','1')", "0"), ("CLIENT", "KILL", "TYPE", "normal"),
    ("SHUTDOWN",), ("MULTI",), ("set", "examday", "1"),
])
def test_no_write_command_leaves_the_probe(probe: RedisProbe, command: tuple[str, ...]) -> None:
    with pytest.raises(WriteRefused):
        probe.read(*command)
    assert probe.read("EXISTS", "examday") == 0


def test_allow_list_admits_reads_only() -> None:
    assert is_read_only(("dbsize",)) and is_read_only(("CONFIG", "GET", "x"))
    assert not is_read_only(("CONFIG", "SET", "x", "y")) and not is_read_only(("CONFIG",))


def test_reads_through_the_guard(probe: RedisProbe) -> None:
    assert probe.read("DBSIZE") == 0


def test_wrong_password_is_unreachable_without_the_password(redis_server: RedisServer) -> None:
    probe = RedisProbe(redis_server.url, password="not-the-password-99", timeout=2)
    with pytest.raises(Unreachable) as raised:
        probe.ping()
    assert raised.value.dependency == "redis"
    assert "not-the-password-99" not in str(raised.value)


def test_dead_redis_is_unreachable_quickly() -> None:
    probe = RedisProbe(f"redis://127.0.0.1:{free_port()}/0", timeout=2)
    started = time.monotonic()
    with pytest.raises(Unreachable):
        probe.ping()
    assert time.monotonic() - started < 5


def test_silent_redis_times_out_within_the_bound(tcp_black_hole: BlackHole) -> None:
    probe = RedisProbe(f"redis://{tcp_black_hole.host}:{tcp_black_hole.port}/0", timeout=1)
    started = time.monotonic()
    with pytest.raises(ProbeTimeout) as raised:
        probe.info()
    assert time.monotonic() - started < 6
    assert raised.value.dependency == "redis"
