"""Redis read through `docker exec ... redis-cli` in its container, for platforms that do not
publish its port (docs/platform.md: the real one does not).

The same guarantees as the TCP probe, another way:
- Only allow-listed read commands: checked before anything is sent (redis_reads.py).
- The same answers: redis-cli speaks RESP3 (`-3`), as redis-py does, its output
  is read back into the reply (redis_cli_output.py) and goes through redis-py's
  own response callbacks, so INFO is a dict, PING True, TIME a tuple, as over TCP.
- Bounded: `timeout` around redis-cli in the container and the DockerProbe's
  deadline on the exec's output; a paused or hung container costs one timeout.
- The password travels as REDISCLI_AUTH in the exec's environment, never on a
  command line; `--no-auth-warning` keeps redis-cli from saying so in the output.

The URL is read inside the container: the default redis://127.0.0.1:6379/0 is the
container's own Redis. Each call is one exec; the Docker client is the run's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import redis

from examday.probes.container_exec import exec_for
from examday.probes.errors import BadResponse, Unreachable
from examday.probes.redis_cli_output import UnreadableOutput, is_raw, parse_formatted, parse_json
from examday.probes.redis_reads import DEPENDENCY, RedisReads, refuse_unless_read_only

DockerSource = Callable[[], Any]  # returns the run's DockerProbe (or anything with its `exec`)

# The callbacks a TCP RedisProbe's client applies (keyed by the command's first word), taken
# from a client built the same way; building it opens no connection.
_CALLBACKS = redis.Redis(decode_responses=True).response_callbacks
_PING_SAMPLING_SECONDS = "0.1"
_UNREACHABLE_SIGNS = ("Could not connect", "NOAUTH", "WRONGPASS", "AUTH failed", "Connection refused",
                      "Connection reset", "Server closed the connection")


class RedisExecProbe(RedisReads):
    """`RedisExecProbe(lambda: docker_probe, "exam_platform_redis", password=..., timeout=2)`.

    `json_output=None` uses `--json` when the container's redis-cli has it (7.0+) and
    its formatted output otherwise; True or False forces one.
    """

    def __init__(self, docker: DockerSource, container: str, url: str = "redis://127.0.0.1:6379/0",
                 password: str | None = None, timeout: float = 2.0, json_output: bool | None = None) -> None:
        self._docker = docker
        self.container = container
        self.url = url
        self.timeout = timeout
        self._password = password
        self._json_output = json_output
        self._target = _target_arguments(url)

    def close(self) -> None:
        """Nothing to close: each call's redis-cli ends with its exec; the Docker client is the run's."""

    # the guard ----------------------------------------------------------------------------
    def read(self, *args: Any) -> Any:
        """Send one allow-listed read command, e.g. `read("DBSIZE")`, `read("CONFIG", "GET", "x")`."""
        refuse_unless_read_only(args)
        words = [str(arg) for arg in args]
        reply = self._reply(words)
        callback = _CALLBACKS.get(words[0])
        return callback(reply) if callback else reply

    def ping(self) -> float:
        """Mean PING round trip in milliseconds, timed by redis-cli inside the container over
        ~0.1 s (`--latency`: PING only, connecting before the clock starts), so the exec's own
        cost is not counted. redis-cli times each PING in whole milliseconds: the mean of
        about ten is the resolution."""
        refuse_unless_read_only(("PING",))
        output = self._run(["--latency", "--raw", "-i", _PING_SAMPLING_SECONDS], "PING")
        fields = output.split()
        try:
            return float(fields[2])  # "min max avg samples"
        except (IndexError, ValueError):
            raise BadResponse(f"redis-cli --latency in {self.container} printed {output.strip()[:120]!r}",
                              dependency=DEPENDENCY) from None

    # one exec -----------------------------------------------------------------------------
    def _reply(self, words: list[str]) -> Any:
        if is_raw(tuple(words)):  # printed verbatim in every output mode
            return self._run(["-3", *words], words[0])
        if self._json_output is not False:
            try:
                output = self._run(["-3", "--json", *words], words[0])
            except _NoJsonOption:
                self._json_output = False
            else:
                self._json_output = True
                return self._parsed(parse_json, output, words[0])
        return self._parsed(parse_formatted, self._run(["-3", "--no-raw", *words], words[0]), words[0])

    def _parsed(self, parse: Callable[[str], Any], output: str, what: str) -> Any:
        try:
            return parse(output)
        except UnreadableOutput as error:
            raise BadResponse(f"Redis answer to {what} in {self.container} unreadable: {self._scrub(str(error))}",
                              dependency=DEPENDENCY) from None

    def _run(self, arguments: list[str], what: str) -> str:
        argv = ["redis-cli", "--no-auth-warning", "-e", *self._target, *arguments]
        environment = {"REDISCLI_AUTH": self._password} if self._password else {}
        exit_code, output = exec_for(self._docker, self.container, argv, service="Redis", dependency=DEPENDENCY,
                                     what=what, timeout=self.timeout, environment=environment, scrub=self._scrub)
        if "Unrecognized option" in output and "--json" in output:
            raise _NoJsonOption()
        message = " ".join(self._scrub(output).split())[:300]
        if exit_code in (126, 127) and "redis-cli" in output:
            raise BadResponse(f"no redis-cli in container {self.container}: examday reads Redis with it there",
                              dependency=DEPENDENCY)
        # A refused password is only a warning before the reply when the server wants none.
        refused_password = output.startswith("AUTH failed")
        if refused_password or (exit_code != 0 and any(sign in output for sign in _UNREACHABLE_SIGNS)):
            raise Unreachable(f"Redis unreachable in {self.container} ({what}): {message}", dependency=DEPENDENCY)
        if exit_code != 0:
            raise BadResponse(f"Redis refused {what}: {message or f'redis-cli exited with {exit_code}'}",
                              dependency=DEPENDENCY)
        return output

    def _scrub(self, message: str) -> str:
        return message.replace(self._password, "***") if self._password else message


class _NoJsonOption(Exception):
    """This redis-cli predates --json."""


def _target_arguments(url: str) -> list[str]:
    """redis-cli's -h/-p/-s/-n for a redis:// or unix:// URL (credentials never come from the URL)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        database = parse_qs(parts.query).get("db", ["0"])[0]
        return ["-s", parts.path, "-n", database]
    if parts.scheme != "redis":
        raise ValueError(f"redis-cli in the container reads redis:// or unix:// URLs, not {parts.scheme}://")
    database = parts.path.strip("/") or "0"
    return ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379), "-n", database]
