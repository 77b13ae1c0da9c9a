"""GO, GO WITH WAIVERS, INCOMPLETE or NO-GO: what the exam board reads first.

- NO-GO: an item failed or could not be checked (error), or, under
  --strict-attestations, a manual item has no current attestation.
- INCOMPLETE: nothing failed, but an automated item was not checked (skipped:
  the target does not configure what it needs) and the target does not declare
  it not applicable. A GO hides nothing: configure what the item says, or
  declare it in [[not_applicable]] (who, why, until when).
- GO WITH WAIVERS: every item checked, nothing blocks, and a failure was waived.
- GO: otherwise. Not applicable items (declared by the target, a role it does not
  deploy, traffic items outside the exam's window) count as checked, with their reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from examday.report.model import ItemRecord, RunRecord


class Verdict(str, Enum):
    GO = "GO"
    GO_WITH_WAIVERS = "GO WITH WAIVERS"
    INCOMPLETE = "INCOMPLETE"
    NO_GO = "NO-GO"

    @property
    def css_class(self) -> str:
        return CSS_CLASS[self.value]

    @property
    def blocks(self) -> bool:
        """Not a GO: the run exits non-zero."""
        return self in (Verdict.NO_GO, Verdict.INCOMPLETE)


INCOMPLETE_HINT = ("items were not checked: configure what each one names, or declare it in the target's "
                   "[[not_applicable]] (item, by, at, justification, expires)")
CSS_CLASS = {"GO": "go", "GO WITH WAIVERS": "waivers", "INCOMPLETE": "incomplete", "NO-GO": "nogo"}


def blocking_items(items: Iterable[ItemRecord], *, strict_attestations: bool) -> list[ItemRecord]:
    """The items that make the run NO-GO, in record order."""
    return [i for i in items
            if i.outcome in ("failed", "error") or (strict_attestations and i.unattested)]


def unchecked_items(items: Iterable[ItemRecord]) -> list[ItemRecord]:
    """Automated items that did not run and are not declared not applicable: the run is INCOMPLETE."""
    return [i for i in items if i.outcome == "skipped" and not i.manual]


def run_verdict(run: RunRecord) -> Verdict:
    """The verdict of one run's record, under the attestation rule it ran with."""
    return verdict_of(run.items, strict_attestations=run.strict_attestations)


def verdict_of(items: Iterable[ItemRecord], *, strict_attestations: bool = False) -> Verdict:
    items = list(items)
    if blocking_items(items, strict_attestations=strict_attestations):
        return Verdict.NO_GO
    if unchecked_items(items):
        return Verdict.INCOMPLETE
    if any(i.outcome == "waived" for i in items):
        return Verdict.GO_WITH_WAIVERS
    return Verdict.GO
