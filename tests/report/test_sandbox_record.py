"""`pytest -m preexam` against the sandbox leaves a signed record that verifies, renders and leaks nothing.

The sandbox's stage and faults belong to whoever else is testing: these tests
only read it (and add a few request lines to its backend's log), so the
verdict may be anything; the record must be right whatever it is.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from examday.attestations import Attestation, append_attestation
from examday.probes.docker import DockerProbe
from examday.probes.errors import ProbeError
from examday.sandbox.layout import CONTAINERS, SandboxPaths
from examday.sandbox.lifecycle import configured_ports
from tests.report.chromium import render
from tests.report.helpers import PLAIN_ENV, REPO, allowed_signers, examday, planted_secrets, records_under

pytestmark = [pytest.mark.sandbox]

COMMUNICATION_ITEMS = ("PRE-COM-01", "PRE-COM-02", "PRE-COM-03", "PRE-COM-04")

# An item no real checklist would have: it quotes every secret it can find, verbatim.
LEAKY_ITEM = '''
import pytest
from examday.checklist import item


@item("PRE-OBS-98", "Test only: an item that quotes secrets verbatim", remediation="none: tests redaction")
@pytest.mark.preexam
def test_quotes_secrets(docker_engine, examday_config, evidence):
    name = examday_config.docker.containers.backend
    env = docker_engine.container(name).env
    planted = [line for line in docker_engine.logs(name, tail=2000) if "examday-planted" in line]
    password = examday_config.postgres.password.get_secret_value()
    print("backend env:", env)
    print("planted log lines:", planted)
    evidence.record(env=env, planted_log_lines=planted, dsn=f"postgresql://exam_user:{password}@db/exam")
    assert False, f"quoting {env.get('DATABASE_URL')}, password {password} and {planted[:2]}"
'''


@dataclass
class SandboxRuns:
    signed: Path  # the plain preexam run's record, signed by dana
    signed_exit: int
    leaky: Path  # preexam plus the leaky item
    planted: dict[str, str]  # what must appear in no file: name -> value
    other_phases: list[Path]  # the records of freeze, during, postexam (its capture bundle) and recovery
    capture: Path  # an `examday capture` bundle


def plant_tokens_in_backend_log() -> dict[str, str]:
    """Request lines carrying a bearer token and a token= assignment, in the backend's own log."""
    bearer, query = secrets.token_hex(16), secrets.token_hex(16)
    base = f"http://127.0.0.1:{configured_ports()['EXAMDAY_PORT_BACKEND']}"
    with httpx.Client(base_url=base, timeout=5) as client:
        client.get(f"/v1/examday-planted/token={query}", headers={"Authorization": f"Bearer {bearer}"})
        client.get(f"/v1/examday-planted/Bearer {bearer}")
        client.get(f"/v1/examday-planted?token={query}")
    return {"bearer token": bearer, "token= value": query}


def log_holds(values: list[str]) -> bool:
    probe = DockerProbe(timeout=5)
    try:
        text = "\n".join(probe.logs(CONTAINERS["backend"], tail=2000))
    finally:
        probe.close()
    return all(value in text for value in values)


def attested_file(folder: Path) -> Path:
    path = folder / "attestations.toml"
    for item_id in COMMUNICATION_ITEMS:
        append_attestation(path, Attestation(item=item_id, by="Test Operator", note="done for the test",
                                             at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1),
                                             evidence={"url": "https://tickets.example/OPS-9"}))
    return path


def run_preexam(reports: Path, *args: str, phase: str = "preexam") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", str(REPO / "checks"), "-m", phase,
                           "-p", "no:cacheprovider", "-q", "--rootdir", str(REPO), "--reports-dir", str(reports),
                           "--operator", "Test Operator", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300, env=PLAIN_ENV)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> SandboxRuns:
    paths = SandboxPaths.default()
    try:
        running = DockerProbe(timeout=5).container(CONTAINERS["backend"]).is_running
    except ProbeError:
        running = False
    if not running or not paths.postgres_password.exists():
        pytest.fail("the sandbox is not up: run `examday sandbox up` first")
    folder = tmp_path_factory.mktemp("sandbox-records")
    planted = {**planted_secrets(paths), **plant_tokens_in_backend_log()}
    assert log_holds([planted["bearer token"], planted["token= value"]]), "planting in the backend log failed"

    attestations = attested_file(folder)
    signed = run_preexam(folder / "signed", "--attestations", str(attestations), "--sign-key", str(keys["dana"]))
    leaky_module = folder / "leaky" / "test_leaky_item.py"
    leaky_module.parent.mkdir()
    leaky_module.write_text(LEAKY_ITEM)
    leaky = subprocess.run([sys.executable, "-m", "pytest", str(REPO / "checks"), str(leaky_module), "-m", "preexam",
                            "-p", "no:cacheprovider", "-q", "--rootdir", str(REPO), "--attestations",
                            str(attestations), "--reports-dir", str(folder / "leaky-reports")],
                           cwd=REPO, capture_output=True, text=True, timeout=300, env=PLAIN_ENV)
    assert "PRE-OBS-98" in leaky.stdout, leaky.stdout[-3000:] + leaky.stderr[-2000:]
    [signed_record] = records_under(folder / "signed")
    [leaky_record] = records_under(folder / "leaky-reports")
    for phase in ("freeze", "during", "postexam", "recovery"):
        run_preexam(folder / "phases", "--attestations", str(attestations), phase=phase)
    capture = examday("capture", str(folder / "capture"), "--minutes", "30", cwd=REPO)
    assert (folder / "capture" / "capture.json").exists(), capture.stdout + capture.stderr
    return SandboxRuns(signed_record, signed.returncode, leaky_record, planted, records_under(folder / "phases"),
                       folder / "capture")


def results(record: Path) -> dict:
    return json.loads((record / "results.json").read_text())


def test_the_preexam_record_verifies_with_its_signer(runs, keys, tmp_path):
    allowed = allowed_signers(tmp_path / "allowed_signers", ("dana@exam-board", keys["dana"]))
    done = examday("verify", str(runs.signed), "--allowed-signers", str(allowed))
    assert done.returncode == 0, done.stdout
    assert "good signature by dana@exam-board" in done.stdout
    assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=runs.signed).returncode == 0


def test_the_record_names_the_run_and_every_preexam_item(runs):
    document = results(runs.signed)
    run = document["run"]
    assert (run["target_name"], run["target_kind"], run["phase"]) == ("sandbox", "sandbox", "preexam")
    assert run["operator"] == "Test Operator" and re.fullmatch(r"[0-9a-f]{64}", run["config_digest"])
    assert re.fullmatch(r"preexam-\d{6}Z", runs.signed.name) and runs.signed.parents[1].name == "sandbox"
    ids = {item["id"] for item in document["items"]}
    assert set(COMMUNICATION_ITEMS) <= ids and {"PRE-INF-01", "PRE-CFG-01", "PRE-MON-01", "PRE-CAP-01"} <= ids
    attested = [i for i in document["items"] if i["id"] in COMMUNICATION_ITEMS]
    assert all(i["outcome"] == "passed" and i["attestation"]["by"] == "Test Operator" for i in attested)


def test_the_exit_code_follows_the_verdict(runs):
    verdict = results(runs.signed)["verdict"]
    assert (runs.signed_exit == 0) == (verdict != "NO-GO"), (runs.signed_exit, verdict)


def test_no_planted_secret_appears_in_any_file_of_any_record(runs):
    assert results(runs.leaky)["verdict"] == "NO-GO"  # the leaky item did run and quote everything
    assert len(runs.other_phases) == 4
    for record in (runs.signed, runs.leaky, *runs.other_phases, runs.capture):
        for path in sorted(p for p in record.rglob("*") if p.is_file()):
            text = path.read_text(encoding="utf-8", errors="replace")
            leaked = [name for name, value in runs.planted.items() if value in text]
            assert not leaked, f"{path.relative_to(record.parent)} holds {leaked}"


def test_checklist_html_renders_in_chromium_with_javascript_disabled(runs, tmp_path):
    rendering = render(runs.signed / "checklist.html", tmp_path / "profile")
    assert rendering.png.startswith(b"\x89PNG") and len(rendering.png) > 10_000
    assert rendering.pdf.startswith(b"%PDF") and len(rendering.pdf) > 10_000
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", rendering.pdf)
    assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)  # A4
    for item in results(runs.signed)["items"]:
        assert f'data-item-id="{item["id"]}"' in rendering.dom, item["id"]
    assert rendering.dom.count('<tr class="item') == len(results(runs.signed)["items"])
    assert "<script" not in rendering.dom.lower()


def test_the_renderer_really_runs_no_javascript(tmp_path):
    page = tmp_path / "control.html"
    page.write_text("<html><body><p id='p'>static</p><script>document.getElementById('p').textContent = "
                    "'script ran'</script></body></html>")
    dom = render(page, tmp_path / "profile").dom
    assert '<p id="p">static</p>' in dom


def test_reports_lists_the_run_with_verdict_and_signer(runs):
    done = examday("reports", "--reports-dir", str(runs.signed.parents[2]))
    assert done.returncode == 0
    assert runs.signed.name in done.stdout and results(runs.signed)["verdict"] in done.stdout
    assert "dana@exam-board" in done.stdout and "yes" in done.stdout
