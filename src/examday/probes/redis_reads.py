"""What checks ask Redis, whichever way in: a TCP connection (redis.py) or redis-cli
through `docker exec` (redis_exec.py).

The allow-list is the guard both ways in share: a check cannot write to Redis
through a probe, whatever it asks. Both probes implement `read` (and `ping`);
everything else is built on them here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from examday.probes.errors import BadResponse, ProbeError

DEPENDENCY = "redis"

# (command,) or (command, subcommand): what a probe may send. Nothing here writes.
READ_ONLY_COMMANDS: frozenset[tuple[str, ...]] = frozenset({
    ("PING",), ("INFO",), ("DBSIZE",), ("TIME",), ("LASTSAVE",), ("ROLE",),
    ("CONFIG", "GET"), ("SLOWLOG", "GET"), ("SLOWLOG", "LEN"), ("LATENCY", "LATEST"),
    ("MEMORY", "STATS"), ("CLIENT", "LIST"), ("CLIENT", "INFO"),
    ("EXISTS",), ("TYPE",), ("TTL",), ("PTTL",), ("STRLEN",),
    ("LLEN",), ("HLEN",), ("SCARD",), ("ZCARD",),
})

# Where INFO carries a setting, for servers that rename or forbid CONFIG.
_CONFIG_IN_INFO: dict[str, tuple[str, str]] = {
    "maxmemory": ("memory", "maxmemory"),
    "maxmemory-policy": ("memory", "maxmemory_policy"),
    "maxclients": ("clients", "maxclients"),
    "appendonly": ("persistence", "aof_enabled"),
}


class WriteRefused(ProbeError):
    """The probe was asked to send a command that is not on its read-only allow-list."""


def is_read_only(args: tuple[Any, ...]) -> bool:
    words = tuple(str(arg).upper() for arg in args[:2])
    return words[:1] in READ_ONLY_COMMANDS or words in READ_ONLY_COMMANDS


def refuse_unless_read_only(args: tuple[Any, ...]) -> None:
    """Raise WriteRefused for anything off the allow-list: called before anything is sent."""
    if not args or not is_read_only(args):
        raise WriteRefused(f"examday never sends {' '.join(map(str, args[:2])) or 'nothing'} to Redis:"
                           " only read-only commands are allowed", dependency=DEPENDENCY)


class RedisReads(ABC):
    """The read-only questions, on top of the concrete probe's `read` and `ping`."""

    @abstractmethod
    def read(self, *args: Any) -> Any:
        """Send one allow-listed read command, e.g. `read("DBSIZE")`, `read("CONFIG", "GET", "x")`."""

    @abstractmethod
    def ping(self) -> float:
        """Round trip of PING, in milliseconds."""

    @abstractmethod
    def close(self) -> None: ...

    def info(self, section: str | None = None) -> dict[str, Any]:
        return self.read("INFO", section) if section else self.read("INFO")  # type: ignore[no-any-return]

    def rejected_connections(self) -> int:
        return int(self.info("stats").get("rejected_connections", 0))

    def config_get(self, parameter: str) -> str | None:
        """A setting's value; from INFO when CONFIG is renamed or forbidden; None when unknown."""
        try:
            values = self.read("CONFIG", "GET", parameter)
        except BadResponse:
            return self._config_from_info(parameter)
        if parameter in values:
            return str(values[parameter])
        return self._config_from_info(parameter)

    def _config_from_info(self, parameter: str) -> str | None:
        if parameter not in _CONFIG_IN_INFO:
            return None
        section, field = _CONFIG_IN_INFO[parameter]
        value = self.info(section).get(field)
        if value is None:
            return None
        if parameter == "appendonly":
            return "yes" if str(value) == "1" else "no"
        return str(value)
