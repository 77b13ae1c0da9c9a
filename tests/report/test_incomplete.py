"""A GO hides nothing: an automated item not checked makes the run INCOMPLETE (exit 1), unless
the target declares it not applicable ([[not_applicable]]: who, why, until when)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.report.helpers import SYNTHETIC_CONFIG, SyntheticChecklist, waiver_toml

NOW = dt.datetime.now(dt.timezone.utc)
ITEMS = """
    from examday.checklist import not_applicable

    @item("FRZ-INF-01", "Verify all services are healthy", remediation="restart it")
    @pytest.mark.freeze
    def test_ok():
        pass

    @item("FRZ-INF-07", "Test staging environment", remediation="bring staging up")
    @pytest.mark.freeze
    def test_staging(evidence):
        evidence.record(touched=True)
        pytest.skip("no staging environment configured ([staging] api_base_url)")

    @item("FRZ-PRX-01", "Proxy routers healthy", remediation="fix the router")
    @pytest.mark.freeze
    def test_proxy():
        not_applicable("not deployed (the target declares no proxy)")
"""


def declaration(item_id: str, expires: dt.datetime) -> str:
    return waiver_toml(item_id, expires, justification="no staging for this platform").replace(
        "[[waiver]]", "[[not_applicable]]")


def results_of(site: SyntheticChecklist) -> dict:
    [record] = site.records
    return json.loads((record / "results.json").read_text())


def outcomes(results: dict) -> dict[str, str]:
    return {i["id"]: i["outcome"] for i in results["items"]}


def test_an_item_not_checked_makes_the_run_incomplete_and_exit_1(synthetic: SyntheticChecklist) -> None:
    done = synthetic.items(ITEMS).run("-m", "freeze")
    assert done.returncode == 1, done.stdout
    assert "verdict: INCOMPLETE" in done.stdout
    assert "NOT CHECKED FRZ-INF-07" in done.stdout and "[staging] api_base_url" in done.stdout
    assert "[[not_applicable]]" in done.stdout  # says how to declare it instead
    results = results_of(synthetic)
    assert results["verdict"] == "INCOMPLETE"
    assert results["statement"]["predicate"]["result"] == "FAILED"
    assert outcomes(results) == {"FRZ-INF-01": "passed", "FRZ-INF-07": "skipped", "FRZ-PRX-01": "not_applicable"}
    [proxy] = [i for i in results["items"] if i["id"] == "FRZ-PRX-01"]
    assert proxy["message"] == "not deployed (the target declares no proxy)"
    [record] = synthetic.records
    page = (record / "checklist.html").read_text()
    assert "INCOMPLETE" in page and "Not checked" in page and "[staging] api_base_url" in page
    junit = (record / "junit.xml").read_text()
    assert 'type="not_applicable"' in junit


def test_a_declared_item_is_not_run_and_the_run_is_go(tmp_path: Path) -> None:
    config = SYNTHETIC_CONFIG + declaration("FRZ-INF-07", NOW + dt.timedelta(days=30))
    site = SyntheticChecklist(tmp_path / "site", config).items(ITEMS)
    done = site.run("-m", "freeze")
    assert done.returncode == 0, done.stdout
    assert "verdict: GO" in done.stdout
    results = results_of(site)
    assert outcomes(results)["FRZ-INF-07"] == "not_applicable"
    [staging] = [i for i in results["items"] if i["id"] == "FRZ-INF-07"]
    assert staging["evidence"] == {}  # declared: the item never ran
    assert staging["declaration"]["by"] == "Dana Okafor"
    assert "declared not applicable by Dana Okafor: no staging for this platform" in staging["message"]
    [record] = site.records
    assert "Declared not applicable" in (record / "checklist.html").read_text()


def test_an_expired_declaration_counts_as_missing(tmp_path: Path) -> None:
    config = SYNTHETIC_CONFIG + declaration("FRZ-INF-07", NOW - dt.timedelta(minutes=1))
    site = SyntheticChecklist(tmp_path / "site", config).items(ITEMS)
    done = site.run("-m", "freeze")
    assert done.returncode == 1 and "verdict: INCOMPLETE" in done.stdout


def test_a_malformed_declaration_is_one_clear_error(tmp_path: Path) -> None:
    config = SYNTHETIC_CONFIG + '[[not_applicable]]\nitem = "FRZ-INF-07"\nby = "Dana"\n'
    site = SyntheticChecklist(tmp_path / "site", config).items(ITEMS)
    done = site.run("-m", "freeze")
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "not_applicable" in output and "Traceback" not in output
    assert site.records == []
