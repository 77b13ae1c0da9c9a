"""checklist.html: static, escaped, printable, complete."""

from __future__ import annotations

import re

from examday.rendering.page import CONTENT_SECURITY_POLICY
from examday.report.checklist_html import render_checklist
from tests.report.records import item, run_of

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def rendered(*items, **fields) -> str:
    return render_checklist(run_of(*items, **fields), ["results.json", "junit.xml"])


def test_every_value_is_escaped_and_no_script_reaches_the_page():
    page = rendered(item("PRE-INF-01", "failed", title=HOSTILE, message=HOSTILE, remediation=HOSTILE,
                         evidence={"note": HOSTILE, HOSTILE: 1}),
                    item("PRE-COM-01", "passed", manual=True,
                         attestation={"by": HOSTILE, "at": "2030-05-30T10:00:00Z", "note": HOSTILE}),
                    operator=HOSTILE, target_name=HOSTILE)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in page


def test_the_page_forbids_scripts_and_is_laid_out_for_a4():
    page = rendered(item("PRE-INF-01"))
    assert f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">' in page
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY and "script-src" not in CONTENT_SECURITY_POLICY
    assert re.search(r"@page\s*{\s*size:\s*A4", page)


def test_one_row_per_item_with_failures_and_their_remediation():
    items = [item("PRE-INF-01"), item("PRE-INF-05", "passed", nodeid="checks/t.py::test_cert[api:8443]"),
             item("PRE-INF-05", "failed", nodeid="checks/t.py::test_cert[site:8443]", message="expires soon"),
             item("PRE-INF-07", "skipped", message="no staging configured")]
    page = rendered(*items)
    assert page.count('<tr class="item') == 4
    for item_id in ("PRE-INF-01", "PRE-INF-05", "PRE-INF-07"):
        assert f'data-item-id="{item_id}"' in page
    assert "expires soon" in page and "fix PRE-INF-05" in page
    assert "[site:8443]" in page
    assert "no staging configured" in page


def test_header_names_exam_target_operator_times_version_commit_and_digest():
    page = rendered(item("PRE-INF-01"))
    for text in ("EXAM-42", "Mathematics", "sandbox (sandbox)", "Dana Okafor", "2030-05-31T09:15:00Z",
                 "2030-05-31T09:15:42Z", "0.1.0", "0" * 40, "a" * 64, "23 h 45 min before the exam"):
        assert text in page, text


def test_verdict_and_sign_off_block():
    page = rendered(item("PRE-INF-01"), item("PRE-INF-03", "waived", message="backup 30 h old",
                                             waiver={"by": "Sam", "at": "2030-05-30T00:00:00Z",
                                                     "justification": "nightly moved", "expires": "2030-06-02"}))
    assert 'class="verdict verdict-waivers"' in page and ">GO WITH WAIVERS<" in page
    assert "Waived</b> by Sam" in page and "nightly moved" in page
    assert "Sign-off" in page and "Reviewer (exam board)" in page


def test_no_exam_configured_is_said_plainly():
    assert "no exam configured" in rendered(item("PRE-INF-01"), exam=None)


def test_an_items_references_are_shown_under_its_runbook_section():
    page = rendered(item("PRE-CAP-01", references=["docs/platform.md#processes-and-the-connection-pool"]))
    assert "see docs/platform.md#processes-and-the-connection-pool" in page
    assert "see " not in rendered(item("PRE-CAP-01"))


def test_a_failed_items_triage_shows_the_issue_its_reasons_the_action_and_each_step():
    triage = {"issue": "High Latency", "seconds": 2.5, "budget_seconds": 30,
              "issues": [{"name": "High Latency", "runbook": "During Exam / Common Issues / High Latency",
                          "action": "increase pool_size", "because": ["pool 97% used", HOSTILE]}],
              "steps": [{"name": "pool", "stands_for": "psql pg_stat_activity", "found": {"pool_usage": 0.97},
                         "problem": None, "seconds": 0.1},
                        {"name": "redis", "stands_for": "redis-cli ping", "found": None,
                         "problem": "could not read: refused", "seconds": 1.0}]}
    page = rendered(item("DUR-LAT-01", "failed", message="p95 is 900 ms", triage=triage))
    assert '<tr class="failure triage">' in page and "<b>High Latency</b>: pool 97% used" in page
    assert "increase pool_size" in page and "pool_usage: 0.97" in page and "could not read: refused" in page
    assert "<script" not in page.lower()
