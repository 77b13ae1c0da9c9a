"""What each file of a record holds: the same items, evidence, no secret, self-contained HTML."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.report.helpers import SyntheticChecklist

PLANTED = {"dsn": "leakydsnpass91", "bearer": "leakybearer77tok", "query": "leakyquery55tok",
           "assignment": "leakyassign33pw"}

ITEMS = f"""
    @item("FRZ-INF-01", "Services healthy", remediation="restart it")
    @pytest.mark.freeze
    def test_ok(evidence):
        evidence.record(services={{"backend": ["running", "healthy"]}}, checked=3)

    @item("FRZ-CFG-02", "Limits set", remediation="set the limits", impact=Impact.HIGH,
          references=("docs/platform.md#containers-and-deployment",))
    @pytest.mark.freeze
    def test_leaky(evidence):
        print("connecting to postgresql://exam_user:{PLANTED['dsn']}@db/exam")
        evidence.record(dsn="postgresql://exam_user:{PLANTED['dsn']}@db/exam",
                        header="Authorization: Bearer {PLANTED['bearer']}",
                        log_line='{{"path": "/v1/x?token={PLANTED['query']}", "status_code": 200}}')
        assert False, "limits missing; config said password={PLANTED['assignment']}"

    @item("FRZ-CFG-03", "Staging twin", remediation="r")
    @pytest.mark.freeze
    def test_skipped():
        pytest.skip("no staging environment configured")
"""


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = SyntheticChecklist(tmp_path_factory.mktemp("files") / "site").items(ITEMS)
    done = site.run("-m", "freeze")
    assert done.returncode == 1, done.stdout + done.stderr
    [folder] = site.records
    return folder


def test_the_record_holds_exactly_its_files(record):
    assert sorted(p.relative_to(record).as_posix() for p in record.rglob("*") if p.is_file()) == [
        "SHA256SUMS", "VERIFY.txt", "checklist.html", "junit.xml", "pytest-report.html", "results.json"]


def test_no_planted_secret_reaches_any_file(record):
    for path in record.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for name, value in PLANTED.items():
                assert value not in text, f"{name} leaked into {path.name}"


def test_junit_carries_id_phase_and_evidence_as_properties(record):
    cases = {case.get("name"): case for case in ET.parse(record / "junit.xml").getroot().iter("testcase")}
    assert set(cases) == {"test_ok", "test_leaky", "test_skipped"}
    props = {p.get("name"): p.get("value") for p in cases["test_ok"].iter("property")}
    assert props["examday_id"] == "FRZ-INF-01" and props["examday_phase"] == "freeze"
    assert json.loads(props["examday_evidence"]) == {"checked": 3, "services": {"backend": ["running", "healthy"]}}
    assert cases["test_leaky"].find("failure") is not None
    assert "set the limits" in cases["test_leaky"].find("failure").text
    assert cases["test_skipped"].find("skipped").get("message") == "no staging environment configured"


def test_pytest_html_report_is_self_contained_with_id_phase_and_evidence_columns(record):
    page = (record / "pytest-report.html").read_text()
    for column in ("examdayId", "examdayPhase", "examdayEvidence"):
        assert f'data-column-type="{column}"' in page
    assert "FRZ-INF-01" in page and "FRZ-CFG-02" in page
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"(?!data:)", page), "external asset referenced"


def test_results_json_lists_every_item_with_outcome_evidence_and_remediation(record):
    results = json.loads((record / "results.json").read_text())
    outcomes = {i["id"]: i["outcome"] for i in results["items"]}
    assert outcomes == {"FRZ-INF-01": "passed", "FRZ-CFG-02": "failed", "FRZ-CFG-03": "skipped"}
    [leaky] = [i for i in results["items"] if i["id"] == "FRZ-CFG-02"]
    assert leaky["remediation"] == "set the limits" and leaky["impact"] == "high"
    assert leaky["references"] == ["docs/platform.md#containers-and-deployment"]
    assert leaky["evidence"]["dsn"] == "postgresql://exam_user:[redacted]@db/exam"
    subjects = {s["name"]: s["digest"]["sha256"] for s in results["statement"]["subject"]}
    assert set(subjects) == {"checklist.html", "junit.xml", "pytest-report.html"}
    sums = dict(reversed(line.split("  ")) for line in (record / "SHA256SUMS").read_text().splitlines())
    assert all(sums[name] == digest for name, digest in subjects.items())


def test_verify_txt_names_the_auditor_commands(record):
    text = (record / "VERIFY.txt").read_text()
    assert "sha256sum -c SHA256SUMS" in text
    assert "ssh-keygen -Y verify -f allowed_signers" in text and "-n examday-record" in text
