"""A short exam on the sandbox (pre-exam, freeze, two watch rounds with Redis stopped in the second,
post-exam), its post-mortem built by the examday command, checked against the records, completed,
signed, verified, and looked at in headless Chromium."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from examday.sandbox.faults import clear, inject
from examday.sandbox.lifecycle import Sandbox
from tests.checks.conftest import at_stage
from tests.checks.runner import run_checklist, sandbox_config
from tests.postmortem.test_postmortem import complete_lessons
from tests.report.chromium import render
from tests.report.helpers import examday, make_ssh_key
from tests.report.png_pixels import colour_counts

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
EXAM = "MED-SANDBOX"  # the sandbox's examday.toml [exam] id
SERIES_BLUE, FAILED_BAND = (0x1F, 0x77, 0xB4), (238, 190, 190)  # the first series; a failed run's mark at 30%


def rounds_of(reports: Path) -> int:
    trends = list(reports.glob("sandbox/watch-*/trend.json"))
    return len(json.loads(trends[0].read_text())["rounds"]) if trends else 0


def wait_for_rounds(reports: Path, count: int, watch: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while rounds_of(reports) < count:
        assert watch.poll() is None, f"the watch ended early ({watch.returncode})"
        assert time.monotonic() < deadline, f"no round {count} within {timeout:g} s"
        time.sleep(0.5)


def watch_two_rounds_redis_down_in_the_second(sandbox: Sandbox, config: Path, reports: Path) -> None:
    watch = subprocess.Popen([sys.executable, "-m", "examday.cli.main", "watch", "--interval", "5s", "--for", "10m",
                              "--target", str(config), "--reports-dir", str(reports)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    try:
        wait_for_rounds(reports, 1, watch)
        inject(sandbox, "redis-down")
        wait_for_rounds(reports, 2, watch)
        watch.send_signal(signal.SIGINT)  # the running round (if any) finishes; the trend is written
        watch.wait(timeout=180)
    finally:
        if watch.poll() is None:
            watch.kill()
        clear(sandbox, "redis-down")


def records(reports: Path) -> list[dict]:
    """Every record of the exam, as results.json says, oldest first."""
    found = [json.loads(p.read_text()) for p in reports.rglob("results.json")]
    return sorted((d for d in found if d["run"]["exam"]["id"] == EXAM), key=lambda d: d["run"]["started_at"])


def test_a_short_exam_leaves_a_postmortem_that_matches_its_records(sandbox, tmp_path):
    reports = tmp_path / "reports"
    config = sandbox_config(tmp_path, baseline={"dir": str(tmp_path / "baselines")}, logs={"window_minutes": 0.5})
    for _ in at_stage(sandbox, "normal"):
        run_checklist("preexam", tmp_path, f"--target={config}", reports_dir=reports)
    for _ in at_stage(sandbox, "freeze"):
        run_checklist("freeze", tmp_path, f"--target={config}", reports_dir=reports)
    for during in at_stage(sandbox, "during"):
        time.sleep(20)  # the students' opening burst of logins leaves the half-minute window
        watch_two_rounds_redis_down_in_the_second(during, config, reports)
    for _ in at_stage(sandbox, "postexam"):
        run_checklist("postexam", tmp_path, f"--target={config}", reports_dir=reports)

    built = examday("postmortem", EXAM, "--reports-dir", str(reports), "--target", str(config))
    assert built.returncode == 0, built.stdout + built.stderr
    [folder] = reports.glob("sandbox/postmortems/*")
    data = json.loads((folder / "postmortem.json").read_text())
    expected = records(reports)
    assert [(r["phase"], r["verdict"]) for r in data["runs"]] == [(d["run"]["phase"], d["verdict"]) for d in expected]
    assert [r["phase"] for r in data["runs"]][:2] == ["preexam", "freeze"] and data["runs"][-1]["phase"] == "postexam"
    failed = [(i["id"], d["run"]["started_at"]) for d in expected for i in d["items"] if i["outcome"] in ("failed", "error")]
    assert [(f["item"], f["at"]) for f in data["failures"]] == failed
    # the round with Redis stopped: DUR-RED-01 failed, and its triage names the cause
    assert {"item": "DUR-RED-01", "issue": "Redis Failure"}.items() <= next(
        f for f in data["failures"] if f["item"] == "DUR-RED-01").items()

    complete_lessons(folder)
    completed = examday("postmortem", "--complete", str(folder), "--target", str(config))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    key = make_ssh_key(tmp_path, "board", "Exam Board")
    assert examday("sign", str(folder), "--key", str(key)).returncode == 0
    assert examday("verify", str(folder)).returncode == 0

    rendering = render(folder / "postmortem.html", tmp_path / "profile")
    (tmp_path / "postmortem.png").write_bytes(rendering.png)  # for a person to look at (pytest --basetemp)
    assert rendering.dom.count('class="chart"') == 3 and rendering.dom.count("polyline") >= 3
    colours = colour_counts(rendering.png)
    assert colours[SERIES_BLUE] > 100, "no plotted line in the screenshot"
    assert colours[FAILED_BAND] > 100, "the failed round is not marked in the screenshot"
