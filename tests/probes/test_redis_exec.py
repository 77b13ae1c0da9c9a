"""RedisExecProbe against real Redis 7 containers whose port is not published: the same
answers as the TCP probe, no write command ever sent, bounded, no password on a command line.

The containers (examday_test_redisexec_*) are on the default bridge network without a
published port; the TCP probe reaches them at their bridge address, so both ways in
read the same server. Where that address is not reachable, the comparisons skip.
"""

from __future__ import annotations

import os
import signal
import socket
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.probes.exec_target import exec_target
from examday.probes.docker import DockerProbe
from examday.probes.errors import ProbeError, ProbeTimeout, Unreachable
from examday.probes.for_target import docker_probe as guarded_docker_for, redis_probe
from examday.probes.guard import DependencyDown, Guarded
from examday.probes.redis import RedisProbe, WriteRefused
from examday.probes.redis_cli_output import UnreadableOutput, parse_formatted, parse_json
from examday.probes.redis_exec import RedisExecProbe
from tests.fixtures.docker_cli import docker_exec
from tests.fixtures.services import wait_until
from tests.fixtures.recording_docker import RecordingDocker

IMAGE = "examday-sandbox/redis:local"
TIMEOUT = 2.0
SEED = [
    ["SET", "rl:login:ip:10.0.0.1:1", "3"],
    ["SET", "text", 'quoted "value", with\nnewline and ünïcode'],
    ["SET", "empty", ""],
    ["RPUSH", "queue", "a", "b", "c"],
    ["HSET", "hash", "f1", "v1", "f2", "v2"],
    ["SADD", "set", "x", "y"],
    ["ZADD", "zset", "1", "one", "2.5", "two"],
    ["SET", "expiring", "1", "EX", "86400"],
]


@dataclass(frozen=True)
class RedisContainer:
    name: str
    container: Any
    password: str | None
    address: str | None

    def cli(self, *args: str) -> str:
        """redis-cli in the container for setup and checks: never through the probe."""
        environment = {"REDISCLI_AUTH": self.password} if self.password else {}
        code, output = docker_exec(self.name, ["redis-cli", "--no-auth-warning", *args], environment)
        assert code == 0, output
        return output

    @property
    def url(self) -> str:
        return f"redis://{self.address}:6379/0"


def start_redis(docker_client: Any, *extra: str, password: str | None = None) -> RedisContainer:
    try:
        docker_client.images.get(IMAGE)
    except Exception:
        pytest.skip(f"image {IMAGE} is not built here (make demo builds it)")
    name = f"examday_test_redisexec_{uuid.uuid4().hex[:8]}"
    command = ["redis-server", "--appendonly", "yes", "--dir", "/data", "--bind", "0.0.0.0", "--protected-mode", "no",
               *(["--requirepass", password] if password else []), *extra]
    container = docker_client.containers.run(IMAGE, command, name=name, detach=True, labels={"examday.test": "probes"})
    info = RedisContainer(name, container, password, None)
    try:
        wait_until(lambda: _pongs(info), 30, "Redis to answer")
        container.reload()
        return RedisContainer(name, container, password, container.attrs["NetworkSettings"].get("IPAddress") or None)
    except BaseException:
        container.remove(force=True)
        raise


def _pongs(info: RedisContainer) -> bool:
    try:
        return "PONG" in info.cli("PING")
    except AssertionError:
        return False


@pytest.fixture(scope="session")
def redis_container(docker_client: Any) -> Iterator[RedisContainer]:
    info = start_redis(docker_client, password=f"redis-exec-{uuid.uuid4().hex[:10]}")
    try:
        for command in SEED:
            info.cli(*command)
        yield info
    finally:
        info.container.remove(force=True)


@pytest.fixture(scope="session")
def locked_down(docker_client: Any) -> Iterator[RedisContainer]:
    """CONFIG renamed away, as some operators do."""
    info = start_redis(docker_client, "--rename-command", "CONFIG", "")
    try:
        yield info
    finally:
        info.container.remove(force=True)


@pytest.fixture(scope="session")
def engine(redis_container: RedisContainer) -> Iterator[DockerProbe]:
    probe = DockerProbe(timeout=5)
    yield probe
    probe.close()


@pytest.fixture
def recorder(engine: DockerProbe) -> RecordingDocker:
    return RecordingDocker(engine)


@pytest.fixture
def probe(redis_container: RedisContainer, recorder: RecordingDocker) -> RedisExecProbe:
    return RedisExecProbe(lambda: recorder, redis_container.name, password=redis_container.password, timeout=TIMEOUT)


def _reachable(host: str | None) -> bool:
    if host is None:
        return False
    try:
        socket.create_connection((host, 6379), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def tcp(redis_container: RedisContainer) -> Iterator[RedisProbe]:
    """The TCP probe on the same server, at the container's bridge address (no published port)."""
    if not _reachable(redis_container.address):
        pytest.skip("the container's bridge address is not reachable from here: no TCP probe to compare with")
    probe = RedisProbe(redis_container.url, password=redis_container.password, timeout=TIMEOUT)
    yield probe
    probe.close()


# -- the same answers ---------------------------------------------------------------------------

EXACT = [
    ("PING",), ("DBSIZE",), ("LASTSAVE",), ("ROLE",), ("SLOWLOG", "LEN"), ("LATENCY", "LATEST"),
    ("CONFIG", "GET", "maxmemory*"), ("CONFIG", "GET", "appendonly"), ("CONFIG", "GET", "no-such-setting"),
    ("EXISTS", "text"), ("EXISTS", "text", "queue", "missing"), ("TYPE", "queue"), ("TYPE", "missing"),
    ("TTL", "text"), ("PTTL", "missing"), ("STRLEN", "text"), ("STRLEN", "empty"), ("LLEN", "queue"),
    ("HLEN", "hash"), ("SCARD", "set"), ("ZCARD", "zset"), ("exists", "rl:login:ip:10.0.0.1:1"),
]


@pytest.mark.parametrize("command", EXACT, ids=[" ".join(command) for command in EXACT])
def test_a_read_answers_as_over_tcp(probe: RedisExecProbe, tcp: RedisProbe, command: tuple[str, ...]) -> None:
    assert probe.read(*command) == tcp.read(*command)


def test_changing_replies_have_the_same_shape(probe: RedisExecProbe, tcp: RedisProbe) -> None:
    for command in (("TIME",), ("MEMORY", "STATS"), ("SLOWLOG", "GET"), ("CLIENT", "INFO"), ("CLIENT", "LIST"),
                    ("TTL", "expiring")):
        ours, theirs = probe.read(*command), tcp.read(*command)
        assert type(ours) is type(theirs), command
        if isinstance(ours, dict):
            assert ours.keys() == theirs.keys()
            assert {key: type(value) for key, value in ours.items()} == \
                   {key: type(value) for key, value in theirs.items()}
    seconds, micros = probe.read("TIME")
    assert abs(seconds - tcp.read("TIME")[0]) <= 2 and isinstance(micros, int)
    assert 86000 < probe.read("TTL", "expiring") <= 86400
    fields = lambda text: [pair.split("=", 1)[0] for pair in text.split()]  # noqa: E731
    assert fields(probe.read("CLIENT", "INFO")) == fields(tcp.read("CLIENT", "INFO"))
    assert "resp=3" in probe.read("CLIENT", "INFO")  # the protocol redis-py speaks


def test_info_and_the_probe_methods_agree_with_tcp(probe: RedisExecProbe, tcp: RedisProbe) -> None:
    for section in ("server", "clients", "memory", "persistence", "stats", "replication", "keyspace"):
        ours, theirs = probe.info(section), tcp.info(section)
        assert ours.keys() == theirs.keys(), section
    assert probe.info().keys() == tcp.info().keys()
    for key in ("redis_version", "tcp_port", "redis_mode"):
        assert probe.info("server")[key] == tcp.info("server")[key]
    # avg_ttl is Redis's running estimate and moves between two reads; the counts do not.
    counts = lambda info: {db: (v["keys"], v["expires"]) for db, v in info.items()}  # noqa: E731
    assert counts(probe.info("keyspace")) == counts(tcp.info("keyspace"))
    assert probe.info("keyspace")["db0"]["keys"] == len(SEED)
    assert probe.rejected_connections() == tcp.rejected_connections() == 0
    for parameter in ("appendonly", "maxclients", "maxmemory", "maxmemory-policy", "save", "no-such-setting"):
        assert probe.config_get(parameter) == tcp.config_get(parameter), parameter
    assert probe.config_get("appendonly") == "yes"


def test_ping_is_timed_inside_the_container(probe: RedisExecProbe, recorder: RecordingDocker) -> None:
    started = time.perf_counter()
    latency = probe.ping()
    round_trip_ms = (time.perf_counter() - started) * 1000
    assert 0 <= latency < 50 < round_trip_ms  # the exec's own cost is not Redis' latency
    (argv, _environment), = recorder.calls
    assert "--latency" in argv  # redis-cli sends PING and nothing else in this mode


def test_config_falls_back_to_info_when_config_is_renamed(locked_down: RedisContainer, engine: DockerProbe) -> None:
    probe = RedisExecProbe(lambda: engine, locked_down.name, timeout=TIMEOUT)
    assert probe.config_get("maxmemory-policy") == "noeviction"
    assert probe.config_get("appendonly") == "yes"
    assert probe.config_get("save") is None


# -- the formatted output, for a redis-cli without --json ------------------------------------------

def test_the_formatted_output_reads_as_the_json_output(redis_container: RedisContainer,
                                                       engine: DockerProbe) -> None:
    # A frozen slow log with nested entries: logging everything, then nothing more.
    redis_container.cli("CONFIG", "SET", "slowlog-log-slower-than", "0")
    redis_container.cli("GET", 'k"q\n')
    redis_container.cli("CONFIG", "SET", "slowlog-log-slower-than", "-1")
    try:
        as_json = RedisExecProbe(lambda: engine, redis_container.name, password=redis_container.password,
                                 json_output=True)
        formatted = RedisExecProbe(lambda: engine, redis_container.name, password=redis_container.password,
                                   json_output=False)
        for command in [*EXACT, ("SLOWLOG", "GET", "5"), ("TYPE", "zset")]:
            assert formatted.read(*command) == as_json.read(*command), command
        assert ["GET", 'k"q\n'] in [entry[3] for entry in formatted.read("SLOWLOG", "GET", "5")]
        stats = formatted.read("MEMORY", "STATS")
        assert isinstance(stats["db.0"], dict) and isinstance(stats["dataset.percentage"], float)
        assert stats.keys() == as_json.read("MEMORY", "STATS").keys()
        assert formatted.info("server")["redis_version"] == as_json.info("server")["redis_version"]
    finally:
        redis_container.cli("CONFIG", "SET", "slowlog-log-slower-than", "10000")
        redis_container.cli("SLOWLOG", "RESET")


def test_the_formatted_parser_on_redis_clis_shapes() -> None:
    assert parse_formatted("(integer) 7\n") == 7
    assert parse_formatted("PONG\n") == "PONG"
    assert parse_formatted("(nil)\n") is None
    assert parse_formatted('"a \\"q\\" \\n \\xc3\\xbc"\n') == 'a "q" \n ü'
    assert parse_formatted("(empty array)\n") == [] and parse_formatted("(empty hash)\n") == {}
    assert parse_formatted(textwrap.dedent("""\
        1) 1) (integer) 11
           2) (integer) 1796158887
           3) 1) "HELLO"
              2) "3"
           4) ""
        2) (double) 1.5
        3) (empty array)
    """)) == [[11, 1796158887, ["HELLO", "3"], ""], 1.5, []]
    assert parse_formatted(textwrap.dedent("""\
         1# "peak.allocated" => (integer) 1336888
         2# "db.0" => 
            1# "overhead.hashtable.main" => (integer) 72
            2# "a => b" => "x"
         3# "fragmentation" => (double) 9.7
    """)) == {"peak.allocated": 1336888, "db.0": {"overhead.hashtable.main": 72, "a => b": "x"},
              "fragmentation": 9.7}
    assert parse_json('{"a": [1, null]}\n') == {"a": [1, None]}
    with pytest.raises(UnreadableOutput):
        parse_formatted("1) (integer) 1\nstray\n")


# -- never a write -----------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ("SET", "text", "overwritten"), ("DEL", "text"), ("FLUSHALL",), ("CONFIG", "SET", "maxmemory", "1"),
    ("EVAL", "return redis.call('SET','text','1')", "0"), ("CLIENT", "KILL", "TYPE", "normal"),
    ("SHUTDOWN",), ("MULTI",), ("set", "text", "1"), ("DEBUG", "SLEEP", "1"), ("SCRIPT", "FLUSH"), ("CONFIG",),
])
def test_a_write_is_refused_before_anything_is_sent(probe: RedisExecProbe, recorder: RecordingDocker,
                                                    redis_container: RedisContainer, command: tuple[str, ...]) -> None:
    with pytest.raises(WriteRefused) as raised:
        probe.read(*command)
    assert raised.value.dependency == "redis"
    assert recorder.calls == []  # no exec at all
    assert redis_container.cli("GET", "text").startswith('quoted "value"')
    assert redis_container.cli("DBSIZE").strip() == str(len(SEED))


def test_the_password_travels_in_the_environment_only(probe: RedisExecProbe, recorder: RecordingDocker,
                                                      redis_container: RedisContainer) -> None:
    assert probe.read("DBSIZE") == len(SEED)  # the server asked for the password
    (argv, environment), = recorder.calls
    assert redis_container.password and redis_container.password not in " ".join(argv)
    assert environment == {"REDISCLI_AUTH": redis_container.password}
    assert "--no-auth-warning" in argv


# -- errors and bounds --------------------------------------------------------------------------------

def test_wrong_password_is_unreachable_without_the_password(redis_container: RedisContainer,
                                                            engine: DockerProbe) -> None:
    wrong = "not-the-password-99"
    probe = RedisExecProbe(lambda: engine, redis_container.name, password=wrong, timeout=TIMEOUT)
    for call in (probe.ping, lambda: probe.read("DBSIZE"), probe.info):
        with pytest.raises(Unreachable) as raised:
            call()
        assert raised.value.dependency == "redis"
        assert wrong not in str(raised.value)


def test_nothing_listening_is_unreachable(redis_container: RedisContainer, engine: DockerProbe) -> None:
    probe = RedisExecProbe(lambda: engine, redis_container.name, url="redis://127.0.0.1:6390/0", timeout=TIMEOUT)
    with pytest.raises(Unreachable, match="Could not connect"):
        probe.read("DBSIZE")


def test_missing_container_is_unreachable_naming_redis(engine: DockerProbe) -> None:
    probe = RedisExecProbe(lambda: engine, "examday_test_redisexec_nosuch", timeout=TIMEOUT)
    with pytest.raises(Unreachable, match="Redis in examday_test_redisexec_nosuch") as raised:
        probe.info()
    assert raised.value.dependency == "redis"


def test_a_paused_container_fails_within_the_bound(probe: RedisExecProbe, redis_container: RedisContainer) -> None:
    redis_container.container.pause()
    try:
        started = time.monotonic()
        with pytest.raises(ProbeError) as raised:
            probe.ping()
        assert time.monotonic() - started < TIMEOUT + 8
    finally:
        redis_container.container.unpause()
    assert raised.value.dependency == "redis"
    assert f"Redis in {redis_container.name}" in str(raised.value) and "paused" in str(raised.value)
    assert probe.read("PING") is True


def test_a_hung_redis_costs_one_timeout(probe: RedisExecProbe, redis_container: RedisContainer) -> None:
    """redis-server stopped (from the host: its container's init ignores SIGSTOP from inside)."""
    redis_container.container.reload()
    server = int(redis_container.container.attrs["State"]["Pid"])
    try:
        os.kill(server, signal.SIGSTOP)
    except (PermissionError, ProcessLookupError) as error:
        pytest.skip(f"cannot stop the container's redis-server from here: {error}")
    guarded = Guarded("redis", lambda: probe)
    try:
        started = time.monotonic()
        with pytest.raises(ProbeTimeout, match=f"Redis in {redis_container.name} did not answer INFO") as raised:
            guarded.info("stats")
        assert time.monotonic() - started < TIMEOUT + 8
        assert raised.value.dependency == "redis"
        started = time.monotonic()
        with pytest.raises(DependencyDown):
            guarded.ping()
        assert time.monotonic() - started < 0.5
    finally:
        os.kill(server, signal.SIGCONT)
    wait_until(lambda: _answers(probe), 15, "Redis to answer again")


def _answers(probe: RedisExecProbe) -> bool:
    try:
        return probe.read("PING") is True
    except ProbeError:
        return False


# -- configuration and wiring ---------------------------------------------------------------------

def test_docker_exec_through_the_runs_one_docker_client(tmp_path: Path, redis_container: RedisContainer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMDAY_TEST_REDISEXEC_PASSWORD", redis_container.password or "")
    config = exec_target(tmp_path, f"""
        [docker.containers]
        redis = "{redis_container.name}"

        [redis]
        via = "docker_exec"
        password_env = "EXAMDAY_TEST_REDISEXEC_PASSWORD"
    """)
    docker = guarded_docker_for(config)
    guarded = redis_probe(config, docker)
    try:
        assert guarded.rejected_connections() == 0
        assert isinstance(guarded.read("LASTSAVE"), datetime)
        assert isinstance(guarded.probe, RedisExecProbe)
        assert guarded.probe._docker() is docker.probe  # the one client, shared
    finally:
        guarded.close()
        docker.close()
