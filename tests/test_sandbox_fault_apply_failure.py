"""A fault whose apply fails part way is undone at once, not left behind unrecorded."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from examday.sandbox import faults


class StateInMemory:
    """The sandbox's fault record, in memory (stands in for .state/faults.json)."""

    def __init__(self) -> None:
        self.saved: dict[str, Any] = {}

    def faults(self) -> dict[str, Any]:
        return dict(self.saved)

    def save_faults(self, active: dict[str, Any]) -> None:
        self.saved = dict(active)


def sandbox_stub(reports: list[str]) -> Any:
    return SimpleNamespace(state=StateInMemory(), report=reports.append, require_own_stack=lambda _p: None,
                           platform=lambda: None)


def test_a_failed_apply_is_undone_and_not_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    changed: list[str] = []

    def apply(_sandbox: Any) -> dict[str, Any]:
        changed.append("EXAMDAY_BACKEND_WORKERS=1")  # written before the recreate that fails
        raise TimeoutError("the backend did not become healthy")

    def undo(_sandbox: Any, undo: dict[str, Any]) -> None:
        changed.remove("EXAMDAY_BACKEND_WORKERS=1")

    monkeypatch.setitem(faults.FAULTS, "half-way", faults.Fault("half-way", "a test fault", apply, undo))
    reports: list[str] = []
    box = sandbox_stub(reports)
    with pytest.raises(TimeoutError):
        faults.inject(box, "half-way")
    assert changed == [] and box.state.saved == {}
    assert any("did not apply; undoing" in line for line in reports)


def test_an_undo_that_fails_too_keeps_the_applys_error_and_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    def apply(_sandbox: Any) -> dict[str, Any]:
        raise TimeoutError("the backend did not become healthy")

    def undo(_sandbox: Any, undo: dict[str, Any]) -> None:
        raise KeyError("workers_before")

    monkeypatch.setitem(faults.FAULTS, "half-way", faults.Fault("half-way", "a test fault", apply, undo))
    reports: list[str] = []
    with pytest.raises(TimeoutError):
        faults.inject(sandbox_stub(reports), "half-way")
    assert any("examday sandbox reset" in line for line in reports)
