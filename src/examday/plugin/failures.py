"""How a failed item reads: the operator's message, the remediation, the evidence.

A tired operator on exam day needs "what is wrong, what to do", not a Python
traceback: unless they ask for one (--tb=long...), a failed checklist item's
report is replaced by that short text.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from examday.checklist import ItemMeta
from examday.plugin.evidence import Evidence
from examday.probes.errors import ProbeError, ProbeTimeout, Unreachable

if TYPE_CHECKING:
    from examday.facts.triage import Triage


def failure_message(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """The one-line cause: an assertion's own message, or which dependency is unavailable."""
    error = excinfo.value
    if isinstance(error, (Unreachable, ProbeTimeout)):
        return f"{error.dependency} unavailable: {error}"
    if isinstance(error, ProbeError):
        return f"{error.dependency}: {error}"
    if isinstance(error, AssertionError):
        text = str(error)
        # pytest appends its introspection ("assert ...") after the message: keep the message.
        return text.split("\nassert ")[0].strip() or "assertion failed"
    return f"{type(error).__name__}: {error}"


def failure_text(meta: ItemMeta, message: str, evidence: Evidence, triage: Triage | None = None) -> str:
    lines = [f"{meta.id} {meta.title}", f"  FAILED: {message}", f"  remediation: {meta.remediation}"]
    if triage is not None:
        lines += [f"  {line}" for line in triage.lines()]
    if evidence:
        lines.append("  evidence: " + json.dumps(evidence.as_dict(), default=str)[:2000])
    return "\n".join(lines)
