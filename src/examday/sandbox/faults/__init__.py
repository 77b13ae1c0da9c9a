"""Reversible faults: `examday sandbox fault NAME` and `fault --clear [NAME]`.

Each fault breaks one thing the runbook cares about, the way it breaks in real
life (a stopped container, a configuration reverted, a record corrupted), so
that every check can be seen failing for the right reason. Active faults are
kept in .state/faults.json with what is needed to undo them.

One module per kind of fault (exam_mode, backend, infrastructure, data, load), each with its
CATALOG; base holds what they share. This module is the catalog and the two verbs.
"""

from __future__ import annotations

import datetime as dt

from examday.sandbox.errors import SandboxError
from examday.sandbox.faults import backend, data, exam_mode, infrastructure, load
from examday.sandbox.faults.base import Fault
from examday.sandbox.lifecycle import Sandbox

__all__ = ["FAULTS", "Fault", "clear", "inject"]
FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (*exam_mode.CATALOG, *backend.CATALOG, *infrastructure.CATALOG, *data.CATALOG, *load.CATALOG)
}


def _lookup(name: str) -> Fault:
    fault = FAULTS.get(name)
    if fault is None:
        raise SandboxError(f"unknown fault {name!r}", f"choose one of: {', '.join(FAULTS)}")
    return fault


def inject(sandbox: Sandbox, name: str) -> Fault:
    fault = _lookup(name)
    active = sandbox.state.faults()
    if name in active:
        raise SandboxError(f"fault {name} is already active",
                           f"clear it first: `examday sandbox fault --clear {name}`")
    sandbox.require_own_stack(sandbox.platform())
    sandbox.report(f"injecting {name}: {fault.summary}")
    try:
        undo = fault.apply(sandbox)
    except BaseException:
        _undo_half_applied(sandbox, fault)
        raise
    active[name] = {"since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "undo": undo}
    sandbox.state.save_faults(active)
    return fault


def _undo_half_applied(sandbox: Sandbox, fault: Fault) -> None:
    """A fault whose apply failed part way (a recreate that timed out after its variables were
    written) is not recorded as active, so nothing else would undo what it changed: try now."""
    sandbox.report(f"{fault.name} did not apply; undoing what it changed")
    try:
        fault.clear(sandbox, {})
    except Exception as error:  # noqa: BLE001 - the apply's own error is the one to show
        sandbox.report(f"undoing {fault.name} failed too ({type(error).__name__}: {error}): "
                       "`examday sandbox reset` starts afresh")


def clear(sandbox: Sandbox, name: str | None = None) -> list[str]:
    """Undo one active fault, or all of them (newest first); return what was cleared."""
    active = sandbox.state.faults()
    if name is not None:
        _lookup(name)
        if name not in active:
            raise SandboxError(f"fault {name} is not active", "`examday sandbox status` lists active faults")
    names = [name] if name else sorted(active, key=lambda n: active[n]["since"], reverse=True)
    for fault_name in names:
        sandbox.report(f"clearing {fault_name}")
        FAULTS[fault_name].clear(sandbox, active[fault_name].get("undo", {}))
        del active[fault_name]
        sandbox.state.save_faults(active)
    return names
