"""Redis, read through one connection that can only send an allow-list of read commands.

The allow-list is the guard: a check cannot write to Redis through this probe,
whatever it asks. No retries (redis-py retries 3 times by default, which would
triple the time a dead Redis costs), and no CLIENT SETINFO/SETNAME on connect.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
import redis.exceptions
from redis.backoff import NoBackoff
from redis.retry import Retry

from examday.probes.errors import BadResponse, ProbeTimeout, Unreachable
from examday.probes.redis_reads import (  # noqa: F401  (the allow-list: re-exported)
    DEPENDENCY,
    READ_ONLY_COMMANDS,
    RedisReads,
    WriteRefused,
    is_read_only,
    refuse_unless_read_only,
)

_T = TypeVar("_T")


class RedisProbe(RedisReads):
    """`RedisProbe("redis://127.0.0.1:6379/0", password=..., timeout=2)`; connects on first use."""

    def __init__(self, url: str, password: str | None = None, timeout: float = 2.0) -> None:
        self.url = url
        self.timeout = timeout
        self._password = password
        self._client: redis.Redis | None = None

    @property
    def _redis(self) -> redis.Redis:
        if self._client is None:
            self._client = self._guard("connect", self._connect)
        return self._client

    def _connect(self) -> redis.Redis:
        quiet_handshake = ({"driver_info": None} if "driver_info" in inspect.signature(redis.Redis).parameters
                           else {"lib_name": None, "lib_version": None})
        return redis.Redis.from_url(
            self.url,
            password=self._password,
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
            health_check_interval=0,
            single_connection_client=True,  # connects now: ping() then times PING alone
            decode_responses=True,
            **quiet_handshake,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # the guard ----------------------------------------------------------------------------
    def read(self, *args: Any) -> Any:
        """Send one allow-listed read command, e.g. `read("DBSIZE")`, `read("CONFIG", "GET", "x")`."""
        refuse_unless_read_only(args)
        client = self._redis
        return self._guard(str(args[0]), lambda: client.execute_command(*args))

    def _guard(self, what: str, action: Callable[[], _T]) -> _T:
        try:
            return action()
        except redis.exceptions.TimeoutError:
            raise ProbeTimeout(f"Redis did not answer {what} within {self.timeout:g}s",
                               dependency=DEPENDENCY) from None
        except redis.exceptions.ConnectionError as error:  # includes refused and bad credentials
            raise Unreachable(f"Redis unreachable ({what}): {self._scrub(str(error))}",
                              dependency=DEPENDENCY) from None
        except redis.exceptions.RedisError as error:
            raise BadResponse(f"Redis refused {what}: {self._scrub(str(error))}", dependency=DEPENDENCY) from None

    def _scrub(self, message: str) -> str:
        return message.replace(self._password, "***") if self._password else message

    # what checks ask ----------------------------------------------------------------------
    def ping(self) -> float:
        """Round trip of one PING, in milliseconds (connecting happens before the clock starts)."""
        _ = self._redis  # connect before the clock starts
        started = time.perf_counter()
        self.read("PING")
        return (time.perf_counter() - started) * 1000
