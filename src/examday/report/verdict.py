"""GO, GO WITH WAIVERS or NO-GO: what the exam board reads first.

- NO-GO: an item failed or could not be checked (error), or, under
  --strict-attestations, a manual item has no current attestation.
- GO WITH WAIVERS: nothing blocks, and at least one failure was waived.
- GO: otherwise. A skipped automated item does not block: items skip only when
  the target does not configure what they check (no staging, no resolver), and
  the record shows each skip with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from examday.report.model import ItemRecord


class Verdict(str, Enum):
    GO = "GO"
    GO_WITH_WAIVERS = "GO WITH WAIVERS"
    NO_GO = "NO-GO"

    @property
    def css_class(self) -> str:
        return {"GO": "go", "GO WITH WAIVERS": "waivers", "NO-GO": "nogo"}[self.value]


def blocking_items(items: Iterable[ItemRecord], *, strict_attestations: bool) -> list[ItemRecord]:
    """The items that make the run NO-GO, in record order."""
    return [i for i in items
            if i.outcome in ("failed", "error") or (strict_attestations and i.unattested)]


def verdict_of(items: Iterable[ItemRecord], *, strict_attestations: bool = False) -> Verdict:
    items = list(items)
    if blocking_items(items, strict_attestations=strict_attestations):
        return Verdict.NO_GO
    if any(i.outcome == "waived" for i in items):
        return Verdict.GO_WITH_WAIVERS
    return Verdict.GO
