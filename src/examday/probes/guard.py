"""One dead dependency costs one timeout per run, not one per item.

`Guarded` wraps a probe. The first call that finds the dependency unreachable
or silent marks it down; every later call fails at once with the same
message, so a dead PostgreSQL fails the items that need it in seconds and
leaves every other item alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from examday.probes.errors import ProbeError, ProbeTimeout, Unreachable

P = TypeVar("P")


class DependencyDown(Unreachable):
    """A dependency already found dead earlier in this run."""


class Guarded(Generic[P]):
    """A lazily built probe whose outage is remembered for the rest of the run."""

    def __init__(self, dependency: str, factory: Callable[[], P]) -> None:
        self._dependency = dependency
        self._factory = factory
        self._probe: P | None = None
        self._down: ProbeError | None = None

    @property
    def probe(self) -> P:
        self._raise_if_down()
        if self._probe is None:
            self._probe = self._remember(self._factory)
        return self._probe

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.probe, name)
        if not callable(attribute):
            return attribute
        return lambda *args, **kwargs: self._remember(lambda: attribute(*args, **kwargs))

    def _remember(self, call: Callable[[], Any]) -> Any:
        self._raise_if_down()
        try:
            return call()
        except (Unreachable, ProbeTimeout) as error:
            self._down = error
            raise

    def _raise_if_down(self) -> None:
        if self._down is not None:
            raise DependencyDown(f"{self._down} (found down earlier in this run)",
                                 dependency=self._down.dependency)

    def close(self) -> None:
        if self._probe is not None and hasattr(self._probe, "close"):
            self._probe.close()

    @property
    def unremembered(self) -> Any:
        """The same probe, but a call's failure is not remembered: for diagnostics, which must not
        mark a dependency down for the items that run after them (a dead one still is, on connect)."""
        return _Unremembered(self)


class _Unremembered:
    def __init__(self, guarded: Guarded[Any]) -> None:
        self._guarded = guarded

    def __getattr__(self, name: str) -> Any:
        return getattr(self._guarded.probe, name)
