"""GO, GO WITH WAIVERS, INCOMPLETE, NO-GO."""

from __future__ import annotations

import pytest

from examday.report.verdict import Verdict, blocking_items, unchecked_items, verdict_of
from tests.report.records import item


def test_all_passed_is_go():
    assert verdict_of([item("PRE-INF-01"), item("PRE-INF-02")]) is Verdict.GO


def test_an_automated_item_not_checked_makes_the_run_incomplete():
    items = [item("PRE-INF-01"), item("PRE-INF-07", "skipped", message="no staging environment configured")]
    assert verdict_of(items) is Verdict.INCOMPLETE
    assert verdict_of(items).blocks
    assert [i.id for i in unchecked_items(items)] == ["PRE-INF-07"]


def test_a_not_applicable_item_counts_as_checked():
    declared = item("PRE-INF-07", "not_applicable", message="declared not applicable by Dana: no staging",
                    declaration={"by": "Dana", "justification": "no staging", "expires": "2030-06-02"})
    assert verdict_of([item("PRE-INF-01"), declared]) is Verdict.GO


def test_incomplete_beside_a_waiver_is_incomplete_and_beside_a_failure_no_go():
    unchecked = item("PRE-INF-07", "skipped", message="no staging environment configured")
    assert verdict_of([item("PRE-INF-03", "waived"), unchecked]) is Verdict.INCOMPLETE
    assert verdict_of([item("PRE-INF-01", "failed"), unchecked]) is Verdict.NO_GO


@pytest.mark.parametrize("outcome", ["failed", "error"])
def test_a_failed_or_error_item_is_no_go(outcome):
    items = [item("PRE-INF-01"), item("PRE-INF-02", outcome)]
    assert verdict_of(items) is Verdict.NO_GO
    assert [i.id for i in blocking_items(items, strict_attestations=False)] == ["PRE-INF-02"]


def test_a_waived_failure_is_go_with_waivers():
    items = [item("PRE-INF-01"), item("PRE-INF-03", "waived", waiver={"by": "Dana", "expires": "2030-06-02"})]
    assert verdict_of(items) is Verdict.GO_WITH_WAIVERS


def test_a_failure_beside_a_waiver_is_still_no_go():
    assert verdict_of([item("PRE-INF-03", "waived"), item("PRE-INF-01", "failed")]) is Verdict.NO_GO


def test_an_unattested_manual_item_blocks_only_under_strict_attestations():
    items = [item("PRE-INF-01"), item("PRE-COM-01", "skipped", manual=True, message="not attested")]
    assert verdict_of(items) is Verdict.GO  # an unattested manual item is counted and shown, not incomplete
    assert verdict_of(items, strict_attestations=True) is Verdict.NO_GO


def test_an_attested_manual_item_does_not_block_under_strict_attestations():
    attested = item("PRE-COM-01", "passed", manual=True, attestation={"by": "Dana", "note": "mailed"})
    assert verdict_of([attested], strict_attestations=True) is Verdict.GO
