"""The post-mortem of one exam, built from records written the way a run writes them (report.archive),
then completed, signed and verified with the examday command."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from examday.postmortem import LessonsIncomplete, NoRecordsOfExam, PostmortemError, build_postmortem, complete_postmortem
from examday.report.archive import write_record
from examday.report.redaction import Redactor
from examday.watch.charts import Limits
from tests.report.helpers import examday, make_ssh_key
from tests.report.records import item, run_of

T0 = dt.datetime(2030, 6, 1, 8, 0, tzinfo=dt.timezone.utc)
LIMITS = Limits(p95_ms=500, error_rate=0.01, pool_usage=0.8, cpu_pct=80, mem_pct=85)
TRIAGE = {"issue": "High Latency", "seconds": 2.0, "budget_seconds": 30,
          "issues": [{"name": "High Latency", "runbook": "During Exam / Common Issues / High Latency",
                      "action": "increase pool_size", "because": ["pool 97% used"]}],
          "steps": [{"name": "logs", "stands_for": "docker logs", "problem": None, "seconds": 0.1, "found": {
              "slowest_sql": [{"query_ms": 987.0, "statement": "INSERT INTO attempt_events ...", "request_id": "r-9"}],
              "server_error_samples": [{"kind": "5xx", "at": "2030-06-01T09:31:00Z", "request_id": "req-500",
                                        "text": "POST /v1/sessions/{session_id}/answer -> 500 in 12 ms"}]}}]}


def during(minutes: int, p95: float, failed: bool):
    latency = item("DUR-LAT-01", "failed" if failed else "passed", phases=["during"],
                   message="p95 is 930 ms (limit 500 ms)" if failed else "", triage=TRIAGE if failed else None,
                   evidence={"p95_ms": {"value": p95, "source": "logs"}})
    errors = item("DUR-ERR-01", phases=["during"], evidence={"error_rate": {"value": 0.001, "source": "logs"}})
    slow = item("DUR-LAT-02", phases=["during"], evidence={"top_slow_routes": [["POST /v1/x", minutes // 30]],
                                                          "top_slow_sql": [["INSERT INTO attempt_events ...", 2]]})
    pool = item("DUR-SYS-01", phases=["during"], evidence={"usage": {"value": 0.4, "source": "pg"}})
    return run_of(latency, errors, slow, pool, phase="during", started_at=T0 + dt.timedelta(minutes=minutes),
                  ended_at=T0 + dt.timedelta(minutes=minutes, seconds=20))


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    reports_dir = tmp_path / "reports"
    waiver = {"by": "Dana Okafor", "justification": "CPU spike accepted", "expires": "2030-06-02T00:00:00Z"}
    runs = [
        run_of(item("PRE-INF-01"), item("PRE-CAP-02", "waived", waiver=waiver), phase="preexam",
               started_at=T0 - dt.timedelta(days=1), ended_at=T0 - dt.timedelta(days=1) + dt.timedelta(seconds=9)),
        during(60, 120, failed=False), during(90, 930, failed=True), during(120, 140, failed=False),
        run_of(item("POST-INT-01", "failed", nodeid="checks/t.py::test_integrity[orphan_answers]",
                    message="1 violating row", phases=["postexam"]),
               item("POST-INT-02", phases=["postexam"]), phase="postexam",
               started_at=T0 + dt.timedelta(hours=4), ended_at=T0 + dt.timedelta(hours=4, seconds=5)),
        run_of(item("PRE-INF-01"), phase="preexam", exam={"id": "OTHER-EXAM", "title": "another",
                                                          "starts_at": "2030-07-01T09:00:00Z", "ends_at": "2030-07-01T12:00:00Z"},
               started_at=T0, ended_at=T0 + dt.timedelta(seconds=3)),
    ]
    for run in runs:
        write_record(run, reports_dir, Redactor())
    return reports_dir


def test_the_postmortem_holds_every_run_of_the_exam_in_order_with_its_failures(reports):
    folder = build_postmortem(reports, "EXAM-42", LIMITS)
    data = json.loads((folder / "postmortem.json").read_text())
    assert [(r["phase"], r["verdict"]) for r in data["runs"]] == [
        ("preexam", "GO WITH WAIVERS"), ("during", "GO"), ("during", "NO-GO"), ("during", "GO"), ("postexam", "NO-GO")]
    assert [(f["item"], f["at"], f["issue"]) for f in data["failures"]] == [
        ("DUR-LAT-01", "2030-06-01T09:30:00Z", "High Latency"), ("POST-INT-01", "2030-06-01T12:00:00Z", None)]
    page = (folder / "postmortem.html").read_text()
    assert "OTHER-EXAM" not in page and "<script" not in page.lower()
    assert page.count('class="chart"') == 3 and page.count('class="failed-round"') == 3  # one mark per chart
    assert "DUR-LAT-01 (High Latency)" in page and "increase pool_size" in page  # the timeline and the triage
    assert "req-500" in page and "INSERT INTO attempt_events" in page and "POST /v1/x" in page
    # the most slow requests one window held (windows overlap: not a sum), the slowest statement once
    assert re.search(r"POST /v1/x</span></td><td>4</td>", page) and page.count("INSERT INTO attempt_events") == 1
    assert "CPU spike accepted" in page and "orphan_answers" in page and "1 violating row" in page
    assert "to be completed" in page
    # every run links to its own record
    for record in re.findall(r'href="([^"]+)"', page):
        assert (folder / record).resolve().is_file(), record


def test_the_lessons_template_is_filled_with_what_examday_knows_and_asks_for_the_rest(reports):
    folder = build_postmortem(reports, "EXAM-42", LIMITS)
    lessons = (folder / "lessons.toml").read_text()
    assert 'date = "2030-06-01"' in lessons and 'exam = "EXAM-42"' in lessons
    assert "DUR-LAT-01 failed in during at" in lessons and "(triage: High Latency)" in lessons
    with pytest.raises(LessonsIncomplete, match="resolution, prevention, runbook_updates still empty"):
        complete_postmortem(folder, LIMITS)
    assert not (folder / "SHA256SUMS").exists()  # nothing sealed half-done


def complete_lessons(folder: Path) -> None:
    path = folder / "lessons.toml"
    text = path.read_text()
    for name, value in (("resolution", "pool_size raised to 15 at 09:40"), ("prevention", "load test at 400"),
                        ("runbook_updates", "High Latency: raise pool_size before the exam")):
        text = text.replace(f'{name} = ""', f'{name} = "{value}"')
    path.write_text(text)


def test_a_completed_postmortem_is_sealed_signed_and_verified_like_any_record(reports, tmp_path):
    folder = build_postmortem(reports, "EXAM-42", LIMITS)
    complete_lessons(folder)
    complete_postmortem(folder, LIMITS)
    page = (folder / "postmortem.html").read_text()
    assert "pool_size raised to 15 at 09:40" in page and "to be completed" not in page
    key = make_ssh_key(tmp_path, "board", "Exam Board")
    signed = examday("sign", str(folder), "--key", str(key))
    assert signed.returncode == 0, signed.stdout + signed.stderr
    assert examday("verify", str(folder)).returncode == 0
    with pytest.raises(PostmortemError, match="completed already"):
        complete_postmortem(folder, LIMITS)
    (folder / "lessons.toml").write_text((folder / "lessons.toml").read_text().replace("15", "50"))
    tampered = examday("verify", str(folder))
    assert tampered.returncode == 1 and "lessons.toml: changed" in tampered.stdout


def test_an_exam_without_records_is_one_clear_error(reports, tmp_path):
    with pytest.raises(NoRecordsOfExam, match="no record under .* names exam 'EXAM-0'"):
        build_postmortem(reports, "EXAM-0", LIMITS)
    done = examday("postmortem", "EXAM-0", "--reports-dir", str(reports), "--target", str(tmp_path / "nowhere.toml"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
