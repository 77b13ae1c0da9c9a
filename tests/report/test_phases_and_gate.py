"""Any phase leaves a verifiable record; --no-archive leaves none; the gate exits non-zero on NO-GO."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from examday.attestations import Attestation, append_attestation
from tests.report.helpers import examday

PHASED_ITEMS = """
    @item("FRZ-INF-01", "Freeze: services healthy", remediation="r")
    @pytest.mark.freeze
    def test_freeze(evidence):
        evidence.record(phase="freeze")

    @item("DUR-OBS-01", "During: error rate low", remediation="r")
    @pytest.mark.during
    def test_during(evidence):
        evidence.record(error_rate=0.001)

    @item("PST-INT-01", "After: no orphan answers", remediation="r")
    @pytest.mark.postexam
    def test_postexam():
        pass

    @item("REC-SYS-01", "Recovery: restarted cleanly", remediation="r")
    @pytest.mark.recovery
    def test_recovery():
        pass
"""

MANUAL_ITEM = """
    @item("FRZ-COM-01", "Notify the invigilators", remediation="tell them, then attest", manual=True)
    @pytest.mark.freeze
    def test_notified(attested):
        assert attested.note

    @item("FRZ-INF-01", "Freeze: services healthy", remediation="r")
    @pytest.mark.freeze
    def test_ok():
        pass
"""


@pytest.mark.parametrize(("marker", "folder", "ids"), [
    ("freeze", "freeze", {"FRZ-INF-01"}),
    ("during", "during", {"DUR-OBS-01"}),
    ("postexam or recovery", "postexam-or-recovery", {"PST-INT-01", "REC-SYS-01"}),
])
def test_each_phase_leaves_a_record_that_verifies(synthetic, marker, folder, ids):
    done = synthetic.items(PHASED_ITEMS).run("-m", marker)
    assert done.returncode == 0, done.stdout + done.stderr
    [record] = synthetic.records
    assert record.parent.parent.name == "synthetic"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record.parent.name)
    assert re.fullmatch(rf"{folder}-\d{{6}}Z", record.name)
    assert f"examday record: {record.relative_to(synthetic.root)}  verdict: GO" in done.stdout
    results = json.loads((record / "results.json").read_text())
    assert {i["id"] for i in results["items"]} == ids
    assert results["run"]["phase"] == marker
    assert examday("verify", str(record)).returncode == 0


def test_no_archive_writes_nothing(synthetic):
    done = synthetic.items(PHASED_ITEMS).run("-m", "freeze", "--no-archive")
    assert done.returncode == 0
    assert not (synthetic.root / "reports").exists()
    assert "verdict: GO (no record written)" in done.stdout


def test_reports_dir_option(synthetic, tmp_path):
    synthetic.items(PHASED_ITEMS).run("-m", "during", "--reports-dir", str(tmp_path / "elsewhere"))
    assert not (synthetic.root / "reports").exists()
    assert len(list((tmp_path / "elsewhere" / "synthetic").glob("*/during-*Z"))) == 1


def test_strict_attestations_make_an_unattested_manual_item_no_go(synthetic, tmp_path):
    done = synthetic.items(MANUAL_ITEM).run("-m", "freeze", "--strict-attestations",
                                            "--attestations", str(tmp_path / "none.toml"))
    assert done.returncode == 1
    [record] = synthetic.records
    results = json.loads((record / "results.json").read_text())
    assert results["verdict"] == "NO-GO" and results["run"]["strict_attestations"] is True
    [manual] = [i for i in results["items"] if i["id"] == "FRZ-COM-01"]
    assert manual["outcome"] == "failed" and "examday attest FRZ-COM-01" in manual["message"]


def test_without_strict_attestations_an_unattested_item_is_skipped_and_go(synthetic, tmp_path):
    done = synthetic.items(MANUAL_ITEM).run("-m", "freeze", "--attestations", str(tmp_path / "none.toml"))
    assert done.returncode == 0
    [record] = synthetic.records
    assert "1 manual item(s) not attested" in (record / "checklist.html").read_text()


def test_an_attested_item_carries_who_when_note_and_evidence(synthetic, tmp_path):
    attestations = tmp_path / "attestations.toml"
    append_attestation(attestations, Attestation(
        item="FRZ-COM-01", by="Dana Okafor", at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5),
        note="briefed all invigilators", evidence={"url": "https://tickets.example/OPS-7"}))
    done = synthetic.items(MANUAL_ITEM).run("-m", "freeze", "--strict-attestations",
                                            "--attestations", str(attestations))
    assert done.returncode == 0, done.stdout
    [record] = synthetic.records
    [manual] = [i for i in json.loads((record / "results.json").read_text())["items"] if i["id"] == "FRZ-COM-01"]
    assert manual["outcome"] == "passed"
    assert manual["attestation"]["by"] == "Dana Okafor"
    assert manual["attestation"]["evidence"] == {"url": "https://tickets.example/OPS-7"}
    page = (record / "checklist.html").read_text()
    assert "Attested</b> by Dana Okafor" in page and "briefed all invigilators" in page


def test_the_temporary_pytest_html_report_is_not_advertised(synthetic):
    done = synthetic.items(PHASED_ITEMS).run("-m", "freeze")
    assert "Generated html report" not in done.stdout


def test_a_collection_error_stays_a_collection_error(synthetic):
    done = synthetic.items("import a_module_that_does_not_exist\n").run("-m", "freeze")
    assert done.returncode == pytest.ExitCode.INTERRUPTED
    assert "INTERNALERROR" not in done.stdout + done.stderr
    assert "a_module_that_does_not_exist" in done.stdout
    assert synthetic.records == []
