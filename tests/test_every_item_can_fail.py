"""Every automated checklist item is seen failing for its own cause somewhere in this suite.

Walks the catalog (the @item metadata of checks/) and every integrity invariant in
checks/sql/, and compares them with the ledger the other tests wrote as they ran
(tests/seen_failing.py: each entry was added only after asserting that the failure's
message names the cause). tests/conftest.py runs this test last, and only when the
whole suite runs; the terminal summary prints "N of M items seen failing".

KNOWN_GAPS are the items no test makes fail yet, named so that nobody mistakes them for
covered (empty since every item is seen failing). A gap that gets covered must leave it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.seen_failing import SEEN

REPO = Path(__file__).resolve().parents[1]
CHECKS = REPO / "checks"

KNOWN_GAPS: frozenset[str] = frozenset()


def automated_items() -> set[str]:
    """The IDs of the catalog's automated items (attested ones can only be attested)."""
    found: set[str] = set()
    for path in sorted(CHECKS.glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"catalog_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for test in vars(module).values():
            for mark in getattr(test, "pytestmark", []):
                if mark.name == "examday_item" and not mark.args[0].manual:
                    found.add(mark.args[0].id)
    return found


def invariants() -> set[str]:
    return {f"invariant:{path.stem}" for path in CHECKS.glob("sql/*.sql")}


def expected() -> set[str]:
    return automated_items() | invariants()


@pytest.mark.every_item_can_fail
def test_every_automated_item_and_invariant_is_seen_failing(request: pytest.FixtureRequest) -> None:
    if not request.config.stash.get(WHOLE_SUITE, False):
        pytest.skip("needs the whole suite (`pytest tests`): the ledger is written by the other tests")
    wanted = expected()
    seen = set(SEEN) & wanted
    request.config.stash[COVERAGE] = (len(seen), len(wanted))
    assert not (set(SEEN) - wanted), f"the ledger names what the catalog has not: {sorted(set(SEEN) - wanted)}"
    covered_gaps = sorted(seen & KNOWN_GAPS)
    assert not covered_gaps, f"seen failing now, remove from KNOWN_GAPS: {covered_gaps}"
    missing = sorted(wanted - seen - KNOWN_GAPS)
    assert not missing, f"never seen failing for their own cause: {missing}"


WHOLE_SUITE = pytest.StashKey[bool]()
COVERAGE = pytest.StashKey[tuple[int, int]]()
