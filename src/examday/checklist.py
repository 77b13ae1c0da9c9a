"""The public API that checks/ is written with: `item` and `Impact`.

A checklist item is a pytest test carrying a control's metadata, after InSpec:
a stable ID, the runbook's wording as its title, an impact, a remediation hint
an operator can act on, and where it comes from in the runbook.

    @item("PRE-INF-01", "Verify all services are healthy",
          remediation="docker logs the failing container; restart it",
          runbook="Pre-Exam Checklist / Infrastructure")
    def test_services_healthy(platform, evidence): ...

The phase is a pytest marker (`pytestmark = pytest.mark.preexam` per module).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])
PHASES = ("preexam", "freeze", "during", "postexam", "recovery", "rehearsal")


class Impact(str, Enum):
    CRITICAL = "critical"  # the exam cannot run safely: NO-GO
    HIGH = "high"
    MEDIUM = "medium"


@dataclass(frozen=True)
class ItemMeta:
    id: str
    title: str
    remediation: str
    runbook: str = ""
    impact: Impact = Impact.CRITICAL
    manual: bool = False
    references: tuple[str, ...] = field(default_factory=tuple)


def item(
    item_id: str,
    title: str,
    *,
    remediation: str,
    runbook: str = "",
    impact: Impact = Impact.CRITICAL,
    manual: bool = False,
    references: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """Mark a test as checklist item `item_id` (and `manual` when only an attestation satisfies it)."""
    meta = ItemMeta(item_id, title, remediation, runbook, Impact(impact), manual, tuple(references))

    def decorate(test: F) -> F:
        marked = pytest.mark.examday_item(meta)(test)
        return pytest.mark.manual(marked) if manual else marked

    return decorate
