"""The plugin's contract: IDs required and unique, strict markers, one clear config error, the catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MINIMAL_CONFIG = """
[target]
name = "unit"
kind = "sandbox"

[api]
base_url = "http://127.0.0.1:9"
"""


def make_checklist(tmp_path: Path, body: str, config: str = MINIMAL_CONFIG) -> Path:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["examday.plugin"]\n')
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\nmarkers =\n"
                                         "    preexam: p\n    freeze: f\n    manual: m\n")
    (tmp_path / "examday.toml").write_text(config)
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "test_items.py").write_text("import pytest\nfrom examday.checklist import item\n\n" + body)
    return tmp_path


def run_pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "checks", "-p", "no:cacheprovider", "--no-archive", *args],
                          cwd=root, capture_output=True, text=True, timeout=60)


def test_an_item_without_an_id_is_a_collection_error(tmp_path):
    root = make_checklist(tmp_path, "@pytest.mark.preexam\ndef test_x():\n    pass\n")
    done = run_pytest(root)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "no checklist ID" in done.stderr


def test_a_duplicate_id_is_a_collection_error(tmp_path):
    body = ""
    for name in ("a", "b"):
        body += (f'@item("PRE-INF-01", "t", remediation="r")\n@pytest.mark.preexam\n'
                 f"def test_{name}():\n    pass\n\n")
    done = run_pytest(make_checklist(tmp_path, body))
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "duplicate checklist ID PRE-INF-01" in done.stderr


def test_an_item_without_a_phase_is_a_collection_error(tmp_path):
    body = '@item("PRE-INF-01", "t", remediation="r")\ndef test_a():\n    pass\n'
    done = run_pytest(make_checklist(tmp_path, body))
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "no phase marker" in done.stderr


def test_an_unknown_marker_is_refused(tmp_path):
    body = '@item("PRE-INF-01", "t", remediation="r")\n@pytest.mark.preexm\ndef test_a():\n    pass\n'
    done = run_pytest(make_checklist(tmp_path, body))
    assert done.returncode != 0
    assert "preexm" in done.stdout + done.stderr


def test_a_config_error_is_one_message_before_any_item_runs(tmp_path):
    body = '@item("PRE-INF-01", "t", remediation="r")\n@pytest.mark.preexam\ndef test_a():\n    raise SystemExit(9)\n'
    root = make_checklist(tmp_path, body, MINIMAL_CONFIG + "\n[tls]\nmin_days_left = \"soon\"\n")
    done = run_pytest(root)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "tls.min_days_left" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_a_failed_item_shows_message_and_remediation_not_a_traceback(tmp_path):
    body = ('@item("PRE-INF-01", "Verify all services are healthy", remediation="restart the thing")\n'
            "@pytest.mark.preexam\ndef test_a(evidence):\n    evidence.record(seen=3)\n"
            '    assert 3 == 4, "three services, four expected"\n')
    done = run_pytest(make_checklist(tmp_path, body))
    assert done.returncode == 1
    assert "PRE-INF-01 Verify all services are healthy" in done.stdout
    assert "FAILED: three services, four expected" in done.stdout
    assert "remediation: restart the thing" in done.stdout
    assert '"seen": 3' in done.stdout
    assert "def test_a" not in done.stdout  # no source listing


def test_a_dead_dependency_fails_once_then_fast(tmp_path):
    body = ('@item("PRE-INF-01", "a", remediation="r")\n@pytest.mark.preexam\n'
            "def test_a(api):\n    api.health()\n\n"
            '@item("PRE-INF-02", "b", remediation="r")\n@pytest.mark.preexam\n'
            "def test_b(api):\n    api.health()\n")
    done = run_pytest(make_checklist(tmp_path, body))
    assert done.returncode == 1
    # Only the FAILURES section: with CI set, pytest repeats each message in its summary.
    failures = done.stdout.split("short test summary info")[0]
    first, second = failures.split("PRE-INF-02 b")
    assert "api unavailable" in first and "found down earlier" not in first
    assert "api unavailable" in second and "found down earlier in this run" in second


def test_catalog_lists_items_with_kind(tmp_path):
    body = ('@item("PRE-COM-01", "Notify team", remediation="r", manual=True)\n@pytest.mark.preexam\n'
            "def test_a(attested):\n    pass\n\n"
            '@item("PRE-INF-01", "Verify", remediation="r")\n@pytest.mark.preexam\ndef test_b():\n    pass\n')
    done = run_pytest(make_checklist(tmp_path, body), "--examday-catalog")
    assert done.returncode == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "PRE-INF-01" in done.stdout and "automated" in done.stdout
    assert "PRE-COM-01" in done.stdout and "attested" in done.stdout


def test_a_triage_that_names_no_common_issue_is_a_collection_error(tmp_path):
    body = '@item("DUR-LAT-09", "t", remediation="r", triage="Slowness")\n@pytest.mark.preexam\ndef test_a():\n    pass\n'
    done = run_pytest(make_checklist(tmp_path, body))
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "triage 'Slowness' is none of the runbook's issues (High Latency, " in done.stderr
