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
from typing import Any, Callable, NoReturn, TypeVar


F = TypeVar("F", bound=Callable[..., Any])

# The checklist's vocabulary, defined here once: the phases in the runbook's order (each a pytest
# marker), the sections of each phase in the runbook's order, and the shape of an item's ID
# (PHASE-SECTION-NN, e.g. PRE-INF-01), which attestations and waivers name too.
PHASE_DESCRIPTIONS = {
    "preexam": "the day before the exam (24 h)",
    "freeze": "one hour before the exam",
    "during": "while the exam is live",
    "postexam": "after the exam",
    "recovery": "after any incident or restart",
    "rehearsal": "load and fault drills (never production unless forced)",
}
PHASES = tuple(PHASE_DESCRIPTIONS)
SECTION_ORDER = {
    "preexam": ["INF", "CFG", "MON", "COM", "CAP"],
    "freeze": ["MOD", "JOB", "EPT", "SYS"],
    "during": ["LAT", "ERR", "SYS", "RED", "DRF"],
    "postexam": ["INT", "MOD", "JOB", "MET"],
    "recovery": ["HLT", "INT", "SES", "OBS"],
    "rehearsal": ["RED", "WRK", "RST", "DBL", "EMG"],
}
ITEM_ID_PATTERN = r"^[A-Z]{2,5}-[A-Z]{2,5}-\d{2}$"


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
    triage: str = ""  # the runbook's Common Issue whose diagnostic steps run when it fails ("High Latency")


def item(
    item_id: str,
    title: str,
    *,
    remediation: str,
    runbook: str = "",
    impact: Impact = Impact.CRITICAL,
    manual: bool = False,
    references: tuple[str, ...] = (),
    triage: str = "",
) -> Callable[[F], F]:
    """Mark a test as checklist item `item_id` (and `manual` when only an attestation satisfies it).
    With `triage`, a failure runs that Common Issue's diagnostic steps (examday.facts.triage)."""
    meta = ItemMeta(item_id, title, remediation, runbook, Impact(impact), manual, tuple(references), triage)

    def decorate(test: F) -> F:
        import pytest  # here, not at the top: the config reads this module's vocabulary without pytest

        marked = pytest.mark.examday_item(meta)(test)
        return pytest.mark.manual(marked) if manual else marked

    return decorate


NOT_APPLICABLE = "not applicable: "  # the skip reason's prefix the record reads as "not_applicable"


def not_applicable(reason: str) -> NoReturn:
    """End the item as not applicable, for a reason the target declares (a role it does not deploy,
    an exam that is not live). Any other skip is "not checked", and makes the run INCOMPLETE."""
    import pytest

    pytest.skip(f"{NOT_APPLICABLE}{reason}")


def deployed(config: Any, role: str) -> str:
    """The container of ``role``; the item is not applicable when the target does not deploy one."""
    name = config.docker.containers.name_of(role)
    if name is None:
        not_applicable(f"not deployed (the target declares no {role})")
    return name
