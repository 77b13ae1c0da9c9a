"""What `examday init` learnt about a platform: each value with how it was found, the keys it
could not find, and notes on what it read. Data only; discover.py and running.py fill it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Found:
    value: Any
    how: str  # how it was found, written beside it as a comment
    guess: bool = False  # a person should look again
    stand_in: bool = False  # written only so that the file loads: its key is also listed as not found


@dataclass(frozen=True)
class Missing:
    """A key init could not find. ``keys`` are alternatives ("set one of them"); an alternative
    joining keys with " + " needs all of them (``exam.starts_at + exam.ends_at``)."""

    keys: tuple[str, ...]
    what: str

    def line(self) -> str:
        return f"not found: set {' or '.join(self.keys)} ({self.what})"


@dataclass
class Discovery:
    containers: dict[str, Found] = field(default_factory=dict)  # role -> container name
    staging: dict[str, Found] = field(default_factory=dict)  # role -> the staging twin's container
    values: dict[str, Found] = field(default_factory=dict)  # "section.key" -> value
    missing: list[Missing] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was read beyond compose, or why not
    # role or monitoring kind -> its compose service (what the readers of values look up)
    services: dict[str, str] = field(default_factory=dict)

    def lacks(self, key: str, what: str) -> None:
        self.missing.append(Missing((key,), what))

    def guesses(self) -> int:
        return sum(f.guess or f.stand_in for f in [*self.containers.values(), *self.values.values()])
